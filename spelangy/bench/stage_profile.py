# Where the time goes: each pipeline run once in this process with a mark at every stage
# boundary, plus the core alone over documents already in memory (the warm case).
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Dict, Optional

from .stages import StageTimer


@dataclass
class StageProfile:
    pipeline: str
    documents: int
    tokens: int  # packed tokens, padding excluded
    seconds: Dict[str, float]  # CPU seconds per stage
    core_seconds: Optional[float] = None
    """Chunk, sample, interleave and pack again over the documents kept in memory (spelangy
    only): the per-epoch cost once documents are arrays."""
    extra: Dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def _warm_imports(backend: Optional[str] = None) -> None:
    """Modules the pipelines import lazily, loaded before the clock starts."""
    import lhotse.array  # noqa: F401
    import lhotse.features.io  # noqa: F401
    import sentencepiece  # noqa: F401
    import torch  # noqa: F401

    import spelangy.build  # noqa: F401

    if backend is not None:
        from spelangy.core import get_core

        get_core(backend)


def profile_lhotse(cuts_path, spm_path, seq_len: int, max_chunk_duration: float) -> StageProfile:
    from .lhotse_native import LhotseNativePipeline

    _warm_imports()
    timer = StageTimer()
    pipeline = LhotseNativePipeline(cuts_path, spm_path, seq_len, max_chunk_duration, timer)
    tokens = sum(row["num_tokens"] for row in pipeline.rows())
    return StageProfile("lhotse", pipeline.num_documents, tokens, dict(timer.seconds))


class _SpelangyPacking:
    """Concat packing into single-row batches with spelangy's own packer and batch builder."""

    def __init__(self, backend: str, seq_len: int, vocab):
        from spelangy.config import loss_mask_bits

        from spelangy.packing import Packer

        self.backend, self.seq_len, self.vocab = backend, seq_len, vocab
        self.packer = Packer("concat", seq_len, 1)
        self.bits = loss_mask_bits("all")
        self.tokens = 0

    def push(self, index: int, cut_id: str, tokens, modality) -> None:
        from spelangy.packing import BuiltDocument

        self.packer.push(BuiltDocument((0, 0, index), "bench", cut_id, tokens, modality, len(tokens)))
        self._drain()

    def finish(self) -> None:
        self.packer.flush()
        self._drain()

    def _drain(self) -> None:
        from spelangy.build import build_batch
        from spelangy.packing import rows_to_ragged

        while self.packer.ready:
            ragged = rows_to_ragged(self.packer.take(1), 1, self.seq_len, self.vocab.pad, self.bits)
            self.tokens += len(ragged.tokens)
            build_batch(ragged, backend=self.backend)


def profile_spelangy(cuts_path, spm_path, backend: str, seq_len: int,
                     max_chunk_duration: float) -> StageProfile:
    """The fast manifest path and the `backend` core, stage by stage, on one core; the
    files of a manifest in several files one after the other."""
    from spelangy.config import ChunkingConfig, SamplingConfig
    from spelangy.core import get_core
    from spelangy.errors import Where
    from spelangy.reading import native
    from spelangy.reading.lhotse_reader import cut_from_line, cut_to_document
    from spelangy.reading.sharding import iter_files, path_list
    from spelangy.text_tokenizer import TextTokenizer
    from spelangy.vocab import VocabLayout

    _warm_imports(backend)
    core = get_core(backend)
    tokenizer = TextTokenizer(spm_path)
    chunking, sampling = ChunkingConfig("fine", max_chunk_duration), SamplingConfig()
    timer, documents, packing = StageTimer(), [], None
    timer.restart()
    where = Where("bench", "")
    for index, (_, raw) in enumerate(iter_files(path_list(cuts_path), "bench")):
        # The C++ reader where it takes the line, as `line_to_document` does; else Lhotse's.
        tables = native.read_tables(raw)
        speech = None
        if tables is not None:
            timer.mark("manifest")
            speech = native.tables_speech_tokens(tables, where)
            timer.mark("speech_tokens")
        if speech is not None:
            doc = native.tables_to_document(tables, tokenizer, *speech)
            speech_vocab_size = tables.speech_vocab_size
        else:
            cut = cut_from_line(raw, where)
            doc = cut_to_document(cut, tokenizer, None, where)
            timer.mark("manifest")
            speech_vocab_size = cut.custom["speech_vocab_size"]
        timer.mark("text_tokenize")
        if packing is None:
            vocab = VocabLayout(tokenizer.vocab_size, int(speech_vocab_size))
            packing = _SpelangyPacking(backend, seq_len, vocab)
            timer.restart()
        tokens, modality = core.build_speech_document(doc, chunking, sampling, 0, 0, vocab)[:2]
        timer.mark("chunk_sample")
        packing.push(index, doc.cut_id, tokens, modality)
        timer.mark("pack")
        documents.append(doc)
    packing.finish()
    timer.mark("pack")
    profile = StageProfile(backend, len(documents), packing.tokens, dict(timer.seconds))
    # Warm: the same documents, already arrays, through the core and the packer once more.
    packing = _SpelangyPacking(backend, seq_len, vocab)
    start = time.process_time()
    for index, doc in enumerate(documents):
        tokens, modality = core.build_speech_document(doc, chunking, sampling, 0, 1, vocab)[:2]
        packing.push(index, doc.cut_id, tokens, modality)
    packing.finish()
    profile.core_seconds = time.process_time() - start
    return profile
