# One shard's stream: mix sources, build each document in the core, pack, cut into batches.
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, List, Optional

import numpy as np

from .config import ChunkingConfig, PackingConfig, SamplingConfig
from .documents import SpeechDocument, TextDocument
from .errors import BadInputError
from .loading import SkipReport
from .mixing import TokenMixer
from .order import Layer, SourceWalk
from .state import check_start, check_worker_state
from .packing import BuiltDocument, DocRef, Packer, rows_to_ragged
from .vocab import VocabLayout


# What a shard counts as it builds documents (each time it builds one, every epoch):
# turns over the maximum chunk duration left whole, audio chunks emitted as text for want of
# speech frames, words of supervisions outside their cut (docs/semantics.md).
COUNTERS = ("unsplit_turns", "audio_chunks_as_text", "words_outside_cut")


@dataclass
class StreamSettings:
    """Everything a shard stream needs besides its documents (all picklable)."""

    source_names: List[str]
    weights: List[float]
    chunking: ChunkingConfig
    sampling: SamplingConfig
    packing: PackingConfig
    vocab: VocabLayout
    loss_mask_bits: int
    seed: int
    num_epochs: Optional[int]
    on_bad_input: str


class ShardStream:
    """The batches of one (rank, worker) shard, resumable from a small dict of integers.

    `documents` holds, per source, the shard's documents (`LoadedShard`,
    `PreparedShard`); each epoch reads them in the source's global order
    (`spelangy.order`). `start` is where an elastic resume begins (`spelangy.resharding`):
    the epochs, what earlier topologies read of them, the pieces their packers held (this
    shard takes those of its own documents) and their counters (shard 0 carries them).
    `reading_skips`: bad documents left out while reading this shard, reported with the
    stream's own skips.
    """

    def __init__(self, settings: StreamSettings, documents: List, shard: int, core,
                 skips: Optional[SkipReport] = None, start: Optional[dict] = None,
                 reading_skips: int = 0):
        self.settings = settings
        self.documents = documents
        self.shard = shard
        self.core = core
        self.skips = skips if skips is not None else SkipReport()
        self.reading_skips = reading_skips
        self.walks = [SourceWalk(d, settings.seed, s) for s, d in enumerate(documents)]
        self.mixer = TokenMixer(settings.weights, [len(d) > 0 for d in documents],
                                settings.num_epochs)
        p = settings.packing
        self.packer = Packer(p.mode, p.seq_len, p.best_fit_open_rows)
        self.batches = 0
        self.counters = dict.fromkeys(COUNTERS + ("skipped",), 0)
        if start is not None:
            self._start_from(start)

    def _start_from(self, start: dict) -> None:
        check_start(start, [d.domain for d in self.documents])
        self.mixer.epochs = [int(e) for e in start["epochs"]]
        for walk, layers in zip(self.walks, start["layers"]):
            walk.layers = [Layer(*layer) for layer in layers]
        counters = dict(self.counters)  # rebuilding a held document counts nothing again
        for source, epoch, number, begin, end in start["pieces"]:
            if self.documents[source].owns(np.array([number], np.int64))[0]:
                self.packer.push(self.build((source, epoch, number)), begin, end)
        self.counters = counters
        if self.shard == 0:
            self.counters.update({k: int(v) for k, v in start["counters"].items()})

    def build(self, ref: DocRef) -> BuiltDocument:
        """Rebuilds document `ref` exactly as the stream built it (for resume, too)."""
        source, epoch, number = ref
        doc = self.documents[source].document(number)
        s = self.settings
        if not isinstance(doc, TextDocument):
            got = self.core.build_speech_document(doc, s.chunking, s.sampling, s.seed, epoch,
                                                  s.vocab)
            tokens, modality = got.tokens, got.modality
            if got.chunks.unsplit_turns or got.audio_chunks_as_text or doc.words_outside_cut:
                self._count(got, doc)
        else:
            tokens, modality = self.core.interleave_text(doc, s.vocab)
        return BuiltDocument(ref, s.source_names[source], doc.cut_id, tokens, modality, len(tokens))

    def _count(self, got, doc: SpeechDocument) -> None:
        self.counters["unsplit_turns"] += got.chunks.unsplit_turns
        self.counters["audio_chunks_as_text"] += got.audio_chunks_as_text
        self.counters["words_outside_cut"] += doc.words_outside_cut

    def _too_long(self, doc: BuiltDocument) -> Optional[BadInputError]:
        p = self.settings.packing
        if doc.length <= p.max_document_rows * p.seq_len:
            return None
        return BadInputError(
            f"document has {doc.length} tokens, more than PackingConfig.max_document_rows="
            f"{p.max_document_rows} rows of {p.seq_len}", source=doc.source, cut_id=doc.cut_id,
        )

    def _fill(self, make: Callable[[DocRef], BuiltDocument]) -> bool:
        """Pushes documents (`make` builds them) until a batch is ready; False when the
        stream has ended."""
        rows_needed = self.settings.packing.batch_size
        while len(self.packer.ready) < rows_needed:
            if self.mixer.finished():
                self.packer.flush()
                return bool(self.packer.ready)
            source = self.mixer.next_source()
            epoch = self.mixer.epochs[source]
            found = self.walks[source].next(epoch, self.mixer.positions[source])
            if found is None:
                self.mixer.end_epoch(source)
                continue
            position, number = found
            doc = make((source, epoch, number))
            error = self._too_long(doc)
            self.mixer.advance(source, position, 0 if error else doc.length)
            if error is None:
                self.packer.push(doc)
            elif self.settings.on_bad_input == "raise":
                raise error
            else:
                self.counters["skipped"] += 1
                self.skips.add(doc.source, error)
        return True

    def __iter__(self) -> Iterator:
        """Yields RaggedBatch objects until the stream ends (never, without num_epochs).

        A stream that ends yields each batch once the next one is made: documents skipped
        after the last batch are then counted in the state that batch carries, not lost for
        want of a batch to carry them (that end state resumes to nothing, as the state
        taken right after the batch does)."""
        if self.settings.num_epochs is None:
            while self._fill(self.build):
                yield self._take()
            return
        held = None
        while self._fill(self.build):
            if held is not None:
                yield held
            held = self._take()
        if held is not None:
            held.loader_state = self.state_dict()
            yield held

    def _take(self):
        p, v = self.settings.packing, self.settings.vocab
        rows = self.packer.take(p.batch_size)
        self.batches += 1
        batch = rows_to_ragged(rows, p.batch_size, p.seq_len, v.pad, self.settings.loss_mask_bits)
        batch.loader_state = self.state_dict()
        return batch

    def count_batches(self, length_of: Callable[[DocRef], int]) -> int:
        """Batches this shard yields over all its epochs (num_epochs must be set), packing
        documents of the lengths `length_of` gives without building them
        (`spelangy.counting`)."""
        assert self.settings.num_epochs is not None, "an endless stream has no batch count"
        names = self.settings.source_names

        def sized(ref: DocRef) -> BuiltDocument:
            return BuiltDocument(ref, names[ref[0]], "", None, None, length_of(ref))

        count = 0
        while self._fill(sized):
            self.packer.take(self.settings.packing.batch_size)
            count += 1
        return count

    def padding_batch(self):
        """An all-padding batch: tops a shard up to the batch count of the longest shard."""
        p, v = self.settings.packing, self.settings.vocab
        self.batches += 1
        batch = rows_to_ragged([], p.batch_size, p.seq_len, v.pad, self.settings.loss_mask_bits)
        batch.loader_state = self.state_dict()
        return batch

    def state_dict(self) -> dict:
        counters = {**self.counters, "skipped": self.counters["skipped"] + self.reading_skips}
        return {
            "batches": self.batches,
            "mixer": self.mixer.state_dict(),
            "packer": self.packer.state_dict(),
            "counters": counters,
            "skipped_reading": self.reading_skips,  # found again by a resumed reader
        }

    def load_state_dict(self, state: dict) -> None:
        check_worker_state(state, [d.domain for d in self.documents])
        self.batches = int(state["batches"])
        self.mixer.load_state_dict(state["mixer"])
        self.packer.load_state_dict(state["packer"], self.build)
        self.counters = {name: int(state["counters"].get(name, 0)) for name in self.counters}
        self.counters["skipped"] -= int(state.get("skipped_reading", 0))
