# One shard's stream: mix sources, build each document in the core, pack, cut into batches.
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional

from .config import ChunkingConfig, PackingConfig, SamplingConfig
from .documents import SpeechDocument
from .errors import BadInputError
from .loading import SkipReport
from .mixing import TokenMixer, epoch_order
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
    """The batches of one (rank, worker) shard, resumable from a small dict of integers."""

    def __init__(self, settings: StreamSettings, documents: List[list], shard: int, core,
                 skips: Optional[SkipReport] = None):
        self.settings = settings
        self.documents = documents  # per source: this shard's documents, in manifest order
        self.shard = shard
        self.core = core
        self.skips = skips if skips is not None else SkipReport()
        self.mixer = TokenMixer(settings.weights, [len(d) for d in documents], settings.num_epochs)
        p = settings.packing
        self.packer = Packer(p.mode, p.seq_len, p.best_fit_open_rows)
        self.batches = 0
        self.counters = dict.fromkeys(COUNTERS, 0)
        self._orders = {}

    def _order(self, source: int, epoch: int):
        key = (source, epoch)
        if key not in self._orders:
            self._orders = {k: v for k, v in self._orders.items() if k[1] >= epoch - 1}
            n = len(self.documents[source])
            self._orders[key] = epoch_order(n, self.settings.seed, source, epoch, self.shard)
        return self._orders[key]

    def build(self, ref: DocRef, keep_tokens: bool = True) -> BuiltDocument:
        """Rebuilds document `ref` exactly as the stream built it (for resume, too)."""
        source, epoch, cursor = ref
        doc = self.documents[source][self._order(source, epoch)[cursor]]
        s = self.settings
        if isinstance(doc, SpeechDocument):
            got = self.core.build_speech_document(doc, s.chunking, s.sampling, s.seed, epoch,
                                                  s.vocab)
            tokens, modality = got.tokens, got.modality
            if got.chunks.unsplit_turns or got.audio_chunks_as_text or doc.words_outside_cut:
                self._count(got, doc)
        else:
            tokens, modality = self.core.interleave_text(doc, s.vocab)
        built = BuiltDocument(ref, s.source_names[source], doc.cut_id, tokens, modality, len(tokens))
        if not keep_tokens:
            built.tokens = built.modality = None
        return built

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

    def _fill(self, keep_tokens: bool) -> bool:
        """Pushes documents until a batch is ready; False when the stream has ended."""
        rows_needed = self.settings.packing.batch_size
        while len(self.packer.ready) < rows_needed:
            if self.mixer.finished():
                self.packer.flush()
                return bool(self.packer.ready)
            source = self.mixer.next_source()
            ref = (source, self.mixer.epochs[source], self.mixer.cursors[source])
            doc = self.build(ref, keep_tokens)
            error = self._too_long(doc)
            self.mixer.advance(source, 0 if error else doc.length)
            if error is None:
                self.packer.push(doc)
            elif self.settings.on_bad_input == "raise":
                raise error
            else:
                self.skips.add(doc.source, error)
        return True

    def __iter__(self) -> Iterator:
        """Yields RaggedBatch objects until the stream ends (never, without num_epochs)."""
        p, v = self.settings.packing, self.settings.vocab
        while self._fill(keep_tokens=True):
            rows = self.packer.take(p.batch_size)
            self.batches += 1
            batch = rows_to_ragged(rows, p.batch_size, p.seq_len, v.pad, self.settings.loss_mask_bits)
            batch.loader_state = self.state_dict()
            yield batch

    def count_batches(self) -> int:
        """Batches this shard yields over all its epochs (num_epochs must be set)."""
        assert self.settings.num_epochs is not None, "an endless stream has no batch count"
        count = 0
        while self._fill(keep_tokens=False):
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
        return {
            "batches": self.batches,
            "mixer": self.mixer.state_dict(),
            "packer": self.packer.state_dict(),
            "counters": {**self.counters, "skipped": self.skips.total},
        }

    def load_state_dict(self, state: dict) -> None:
        self.batches = int(state["batches"])
        self.mixer.load_state_dict(state["mixer"])
        self.packer.load_state_dict(state["packer"], self.build)
        # (States saved before a counter existed lack it: it restarts at 0.)
        self.counters = {name: int(state["counters"].get(name, 0)) for name in COUNTERS}
