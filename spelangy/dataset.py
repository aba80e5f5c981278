# InterleavedDataset: the PyTorch IterableDataset that users put in a DataLoader.
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Optional, Sequence, Union

import torch

from .config import ChunkingConfig, PackingConfig, SamplingConfig, loss_mask_bits
from .core import BACKENDS, get_core
from .counting import max_batches
from .errors import SpelangyError
from .loading import ON_BAD_INPUT, SkipReport, load_shards
from .resharding import merge_rank_states
from .state import (LoaderStateTracker, check_version, from_loader_state, is_worker_snapshot,
                    same_topology, worker_snapshot)
from .stream import ShardStream, StreamSettings
from .vocab import VocabLayout

if TYPE_CHECKING:
    from .text_tokenizer import TextTokenizer

OUTPUTS = ("packed", "ragged")


class InterleavedDataset(torch.utils.data.IterableDataset):
    """Packed, interleaved speech-text batches streamed from Lhotse manifests and text.

    Use with `DataLoader(ds, batch_size=None, num_workers=N)`: every item is a whole batch
    (`PackedBatch`, or `RaggedBatch` with `output="ragged"` for the GPU packing path).

    Order and sharding: each epoch of a source is one seeded permutation of all its
    documents, the same whatever the world size and worker count; document i belongs to
    shard i % (world_size * num_workers), which reads its documents in that order
    (docs/semantics.md, "Order"). A `SpeechTextSource` over several manifest files with
    `shard_by="file"` gives file k, whole, to shard k % (world_size * num_workers), so that
    each worker opens only its own files, in an order of the shard's own. Either way, in
    one epoch every document is used exactly once across all ranks and workers, and each
    epoch re-draws modalities. Without `num_epochs` the stream never ends; with it, every
    worker of every rank yields the same number of batches (the longest shard's count;
    others end with all-padding batches), counted from document lengths when a shard
    runs out (`spelangy.counting`): nothing is read for it before the first batch.

    Resume: feed each batch to a `LoaderStateTracker`, save its `state_dict()` per rank,
    and call `load_state_dict()` on a fresh dataset before making the DataLoader. Given
    the states of every rank and `reshard=True`, a run continues on another world size or
    worker count.

    Each worker reads its shard's documents once, into arrays it keeps across epochs (later
    epochs only chunk, sample, interleave and pack). From DataLoader workers, batches cross
    to the main process as ragged arrays and become `PackedBatch` on arrival.

    Args:
        sources: `SpeechTextSource` / `TextSource` objects with unique names; their weights
            are token shares.
        text_tokenizer: a SentencePiece `.model` path or a `TextTokenizer`.
        chunking, sampling, packing: the settings objects (defaults: fine, deterministic,
            concat rows of 16,384 tokens, one row per batch).
        loss_on: `all`, `text` (no loss on audio targets) or `audio`.
        seed: seeds the shuffles and the modality draws; rank, world_size: data parallelism.
        num_epochs: None streams forever; N ends after every source gave N epochs.
        speech_vocab_size: the speech codebook size; by default the cuts' own
            `custom["speech_vocab_size"]`.
        on_bad_input: `raise` (an error naming the file and cut) or `skip` (counted, logged).
        backend: `cpp` (the C++ core) or `reference` (pure Python, same batches).
        output: `packed` (PackedBatch) or `ragged` (RaggedBatch, for `DevicePacker`).
    """

    def __init__(
        self,
        sources: Sequence,
        text_tokenizer: Union[str, os.PathLike, "TextTokenizer"],
        chunking: Optional[ChunkingConfig] = None,
        sampling: Optional[SamplingConfig] = None,
        packing: Optional[PackingConfig] = None,
        loss_on: str = "all",
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        num_epochs: Optional[int] = None,
        speech_vocab_size: Optional[int] = None,
        on_bad_input: str = "raise",
        backend: str = "cpp",
        output: str = "packed",
    ):
        super().__init__()
        if not sources:
            raise SpelangyError("InterleavedDataset needs at least one source")
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise SpelangyError(f"source names must be unique, got {names}")
        if not 0 <= rank < world_size:
            raise SpelangyError(f"rank must be in [0, world_size={world_size}), got {rank}")
        if num_epochs is not None and num_epochs < 1:
            raise SpelangyError(f"num_epochs must be at least 1 or None, got {num_epochs}")
        for name, value, choices in (("on_bad_input", on_bad_input, ON_BAD_INPUT),
                                     ("backend", backend, BACKENDS), ("output", output, OUTPUTS)):
            if value not in choices:
                raise SpelangyError(f"{name} must be one of {choices}, got {value!r}")
        self.sources = list(sources)
        self.text_tokenizer = text_tokenizer
        if isinstance(text_tokenizer, (str, os.PathLike)):
            from .text_tokenizer import TextTokenizer

            self.text_tokenizer = TextTokenizer(text_tokenizer)
        self.chunking = chunking or ChunkingConfig()
        self.sampling = sampling or SamplingConfig()
        self.packing = packing or PackingConfig()
        self.loss_on = loss_on
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.num_epochs = num_epochs
        self.on_bad_input, self.backend, self.output = on_bad_input, backend, output
        self.vocab = VocabLayout(self.text_tokenizer.vocab_size,
                                 speech_vocab_size or self._speech_vocab_size())
        self._resume: Optional[dict] = None  # this rank's saved state
        self._reshard = False
        self._elastic: Optional[dict] = None  # where an elastic resume starts
        self._worker_resume: Optional[dict] = None  # a worker's own state (StatefulDataLoader)
        self._snapshot: Optional[dict] = None  # a worker's state after its last batch
        self._tracker = LoaderStateTracker()  # used when iterated in this process
        self.skips = SkipReport()

    def _speech_vocab_size(self) -> int:
        for source in self.sources:
            size = getattr(source, "speech_vocab_size", lambda: None)()
            if size:
                return size
        if any(hasattr(s, "speech_vocab_size") for s in self.sources):
            raise SpelangyError(
                "cannot tell the speech vocabulary size: the cuts carry no "
                "custom['speech_vocab_size']; pass speech_vocab_size= to InterleavedDataset"
            )
        return 1  # text-only: no speech ids are ever emitted

    def _settings(self) -> StreamSettings:
        return StreamSettings(
            source_names=[s.name for s in self.sources], weights=[s.weight for s in self.sources],
            chunking=self.chunking, sampling=self.sampling, packing=self.packing, vocab=self.vocab,
            loss_mask_bits=loss_mask_bits(self.loss_on), seed=self.seed,
            num_epochs=self.num_epochs, on_bad_input=self.on_bad_input,
        )

    # --- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The state after the last batch yielded in this process: inside a DataLoader
        worker (where torchdata's `StatefulDataLoader` asks for it), that worker's own; in
        the training process, the rank's (num_workers=0, or what a resumed dataset starts
        from: load a `LoaderStateTracker` with it, then feed it the batches)."""
        if torch.utils.data.get_worker_info() is not None and self._snapshot is not None:
            return self._snapshot
        return self._tracker.state_dict()

    def load_state_dict(self, state: Union[dict, Sequence[dict]], reshard: bool = False) -> None:
        """Resume where `state` was taken: this rank's saved state, the list of every
        rank's states (this rank's is used), what torchdata's `StatefulDataLoader` saved
        (`loader.state_dict()`, of one rank or of every rank), or, inside a DataLoader
        worker, that worker's own state. On the world size and worker count that saved
        it, the batches are exactly those an uninterrupted run gives. With `reshard=True`
        and the states of every rank, the run may also continue on another world size or
        worker count: every document piece the saved run had not delivered in its epochs
        under way is delivered once, nothing twice (an elastic resume, docs/semantics.md,
        "Resume"); a source sharded by file restarts its epoch."""
        if is_worker_snapshot(state):  # StatefulDataLoader, in a worker
            check_version(state)
            self._worker_resume = state
            return
        states = list(state) if isinstance(state, (list, tuple)) else [state]
        states = [from_loader_state(s) if "_snapshot" in s or "dataset_state" in s else s
                  for s in states]
        for s in states:
            check_version(s)
        own = [s for s in states if not s["workers"] or (s["world_size"], s["rank"]) ==
               (self.world_size, self.rank)]
        if len(states) == 1 and states[0]["workers"] and states[0]["world_size"] == \
                self.world_size and states[0]["rank"] != self.rank:
            raise SpelangyError(f"loader state belongs to rank {states[0]['rank']}, this "
                                f"dataset is rank {self.rank}")
        self._resume = own[0] if len(own) == 1 else None
        self._reshard = reshard
        self._elastic = None
        if reshard:
            global_order = [getattr(s, "shard_by", "document") == "document"
                            for s in self.sources]
            self._elastic = merge_rank_states(states, len(self.sources), global_order)
        elif self._resume is None:
            saved = next(s for s in states if s["workers"])
            raise SpelangyError(
                f"loader state was saved with world_size={saved['world_size']}, this dataset "
                f"has world_size={self.world_size}; pass the states of every rank with "
                f"reshard=True to continue the epoch on the new topology")
        self._tracker = LoaderStateTracker()
        if self._resume is not None:
            self._tracker.load_state_dict(self._resume)
        elif self._elastic is not None:
            self._tracker.start = self._elastic

    # --- iteration -------------------------------------------------------------------------
    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        num_workers, physical = (info.num_workers, info.id) if info else (1, 0)
        state, worker_state, logical, start = self._resume, None, physical, None
        if self._worker_resume is not None:
            state, worker_state, logical, start = self._resume_worker(num_workers)
        elif state is not None and same_topology(state, self.world_size, num_workers):
            # The DataLoader starts with worker 0; after k batches the next one belongs to
            # worker k % n, so worker p plays the part of worker (p + k) % n.
            logical = (physical + state["batches"]) % num_workers
            worker_state = state["workers"].get(str(logical))
            start = state.get("start")
        elif self._reshard:
            start, state = self._elastic, None
        elif state is not None:
            raise SpelangyError(
                f"loader state was saved with world_size={state['world_size']} and "
                f"num_workers={state['num_workers']}, but this loader runs with world_size="
                f"{self.world_size} and num_workers={num_workers}; pass the states of every "
                f"rank to load_state_dict(states, reshard=True) to continue the epoch on "
                f"the new topology")
        if info is None:
            self._tracker = LoaderStateTracker()
            if state is not None:
                self._tracker.load_state_dict(state)
            self._tracker.start = self._tracker.start or start
        num_shards = self.world_size * num_workers
        shard = self.rank * num_workers + logical
        stream, count = self._make_stream(shard, num_shards, start)
        if worker_state is not None:
            stream.load_state_dict(worker_state)
        yield from self._emit(stream, count, logical, num_workers, info is None, start)

    def _resume_worker(self, num_workers: int) -> tuple:
        saved = self._worker_resume
        topology = (self.rank, self.world_size, num_workers)
        if (saved["rank"], saved["world_size"], saved["num_workers"]) != topology:
            raise SpelangyError(
                f"a worker's state from rank {saved['rank']} of world_size "
                f"{saved['world_size']} with num_workers={saved['num_workers']} cannot resume "
                f"rank {self.rank} of {self.world_size} with num_workers={num_workers}; "
                f"to continue on another topology, pass the states of every rank to "
                f"load_state_dict(states, reshard=True) before making the loader")
        return None, saved, saved["worker"], saved.get("start")

    def _make_stream(self, shard: int, num_shards: int, start: Optional[dict]):
        """The shard's stream, and with num_epochs over several shards, a function that
        counts the batches of the longest shard (called when this one runs out: nothing of
        the other shards is read before the first batch)."""
        core, settings = get_core(self.backend), self._settings()
        skipped_before = self.skips.total
        per_source = [load_shards(src, self.text_tokenizer, num_shards, {shard},
                                  self.on_bad_input, self.skips, shard) for src in self.sources]
        if self.num_epochs is None and not any(len(p[shard]) for p in per_source):
            raise SpelangyError(
                f"shard {shard} of {num_shards} (rank {self.rank}) holds no document: the sources "
                f"have fewer documents than world_size * num_workers"
            )
        own = [p[shard] for p in per_source]
        stream = ShardStream(settings, own, shard, core, self.skips, start,
                             reading_skips=self.skips.total - skipped_before)
        if self.num_epochs is None or num_shards == 1:
            return stream, None  # endless, or a single shard that just ends where it ends

        def count() -> int:
            others = set(range(num_shards)) - {shard}
            every = [[*load_shards(src, self.text_tokenizer, num_shards, others,
                                   self.on_bad_input, SkipReport(), shard).values()]
                     for src in self.sources]
            for shards, mine in zip(every, own):
                shards.insert(shard, mine)
            return max_batches(settings, every, start, core)

        return stream, count

    def _emit(self, stream: ShardStream, count: Optional[Callable[[], int]], logical: int,
              num_workers: int, in_process: bool, start: Optional[dict]):
        meta = {"worker": logical, "num_workers": num_workers, "rank": self.rank,
                "world_size": self.world_size}
        batches, announced, target = iter(stream), False, None
        while True:
            ragged = next(batches, None)
            if ragged is None:  # this shard ran out: pad to the longest shard's count
                if count is None:
                    return
                target = count() if target is None else target
                if stream.batches >= target:
                    return
                ragged = stream.padding_batch()
            ragged.loader_state = {**meta, **ragged.loader_state}
            if not in_process:  # what StatefulDataLoader snapshots, by reference: cheap
                self._snapshot = worker_snapshot(ragged.loader_state, start)
            if start is not None and not announced:  # once per worker: the tracker keeps it
                ragged.loader_state["start"], announced = start, True
            out = ragged
            if self.output == "packed" and not in_process and self.backend == "cpp":
                from .build import RaggedInTransit

                out = RaggedInTransit(ragged)  # a PackedBatch once in the DataLoader's process
            elif self.output == "packed":
                from .build import build_batch

                out = build_batch(ragged, backend=self.backend)
            if in_process:
                self._tracker.update(out)
            yield out
