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
    from spelangy.fastpath import assemble, cut_speech_tokens, native, parse_line
    from spelangy.manifest_files import iter_files, path_list
    from spelangy.text_tokenizer import TextTokenizer
    from spelangy.vocab import VocabLayout

    _warm_imports(backend)
    core = get_core(backend)
    tokenizer = TextTokenizer(spm_path)
    chunking, sampling = ChunkingConfig("fine", max_chunk_duration), SamplingConfig()
    timer, documents, packing = StageTimer(), [], None
    timer.restart()
    for index, (_, raw) in enumerate(iter_files(path_list(cuts_path), "bench")):
        # The C++ reader where it takes the line, as `line_to_document` does; else orjson.
        got = native.read_line(raw)
        if got is not None:
            timer.mark("manifest")
            speech, frame_shift = native.speech_tokens(got)
            timer.mark("speech_tokens")
            doc = native.document(got, *native.encode(got, tokenizer), speech, frame_shift)
            speech_vocab_size = got[14]
        else:
            data, tables = parse_line(raw)
            timer.mark("manifest")
            speech, frame_shift = cut_speech_tokens(data)
            timer.mark("speech_tokens")
            doc = assemble(tables, *tokenizer.encode_words(tables.words), speech, frame_shift)
            speech_vocab_size = data["custom"]["speech_vocab_size"]
        timer.mark("text_tokenize")
        if packing is None:
            vocab = VocabLayout(tokenizer.vocab_size, int(speech_vocab_size))
            packing = _SpelangyPacking(backend, seq_len, vocab)
            timer.restart()
        tokens, modality, _, _ = core.build_speech_document(doc, chunking, sampling, 0, 0, vocab)
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
        tokens, modality, _, _ = core.build_speech_document(doc, chunking, sampling, 0, 1, vocab)
        packing.push(index, doc.cut_id, tokens, modality)
    packing.finish()
    profile.core_seconds = time.process_time() - start
    return profile
