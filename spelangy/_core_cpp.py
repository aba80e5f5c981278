# The C++ core behind the same functions and return types as spelangy.reference.
"""Thin wrappers over `spelangy._C`: they translate configs to integer codes, call the
extension (which releases the GIL) and wrap its arrays in the package's types. Each
function has exactly the signature of its counterpart in `spelangy.reference`."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import _C
from .batch import RaggedBatch
from .chunks import SpeechBuild, Chunks
from .config import ChunkingConfig, SamplingConfig
from .documents import SpeechDocument, TextDocument
from .errors import BadInputError, SpelangyError
from .vocab import VocabLayout

_CHUNKING = {"coarse": 0, "fine": 1}
_SAMPLING = {"deterministic": 0, "stochastic": 1}
_U64 = (1 << 64) - 1


@lru_cache(maxsize=64)
def _vocab_ids(vocab: VocabLayout) -> tuple:
    return (vocab.speech_offset, vocab.bos, vocab.eos, vocab.audio_marker, vocab.text_marker)


def _bad_document(doc, err: ValueError) -> BadInputError:
    return BadInputError(f"inconsistent document arrays: {err}", cut_id=doc.cut_id)


def chunk_document(doc: SpeechDocument, chunking: ChunkingConfig) -> Chunks:
    try:
        fields = _C.chunk_document(doc, _CHUNKING[chunking.mode], chunking.max_chunk_duration)
    except ValueError as err:
        raise _bad_document(doc, err) from None
    return Chunks(*fields)


def sample_modalities(
    num_chunks: int, key: int, sampling: SamplingConfig, seed: int, epoch: int
) -> np.ndarray:
    return _C.sample_modalities(
        num_chunks, key & _U64, _SAMPLING[sampling.mode], sampling.p_audio, int(sampling.first),
        seed & _U64, epoch & _U64,
    )


def interleave_speech(
    doc: SpeechDocument, chunks: Chunks, modalities: np.ndarray, vocab: VocabLayout
) -> tuple:
    try:
        return _C.interleave_speech(
            doc, chunks.word_begin, chunks.word_end, chunks.frame_begin, chunks.frame_end,
            modalities, _vocab_ids(vocab),
        )
    except ValueError as err:
        raise _bad_document(doc, err) from None


def interleave_text(doc: TextDocument, vocab: VocabLayout) -> tuple:
    return _C.interleave_text(doc.text_tokens, _vocab_ids(vocab))


def build_speech_document(
    doc: SpeechDocument,
    chunking: ChunkingConfig,
    sampling: SamplingConfig,
    seed: int,
    epoch: int,
    vocab: VocabLayout,
) -> SpeechBuild:
    """Chunk, sample and interleave one document."""
    try:
        tokens, modality, fields, chunk_modalities, as_text = _C.build_speech_document(
            doc, _CHUNKING[chunking.mode], chunking.max_chunk_duration,
            _SAMPLING[sampling.mode], sampling.p_audio, int(sampling.first),
            seed & _U64, epoch & _U64, _vocab_ids(vocab),
        )
    except ValueError as err:
        raise _bad_document(doc, err) from None
    # tuple.__new__: a NamedTuple's own __new__ is Python code, and this runs per document.
    return tuple.__new__(SpeechBuild, (tokens, modality, Chunks(*fields), chunk_modalities,
                                       as_text))


def check_plan(ragged: RaggedBatch) -> None:
    """Raise SpelangyError unless the batch's plan tiles its rows and stays in its tokens."""
    if len(ragged.modality) != len(ragged.tokens):
        raise SpelangyError(
            f"RaggedBatch.modality has {len(ragged.modality)} entries for "
            f"{len(ragged.tokens)} tokens"
        )
    if len(ragged.piece_next_label) != ragged.num_pieces:
        raise SpelangyError(
            f"RaggedBatch.piece_next_label has {len(ragged.piece_next_label)} entries for "
            f"{ragged.num_pieces} pieces"
        )
    err = _C.check_batch_plan(
        ragged.piece_row, ragged.piece_col, ragged.piece_length, ragged.piece_src,
        len(ragged.tokens), ragged.batch_size, ragged.seq_len,
    )
    if err:
        raise SpelangyError(f"invalid packing plan in RaggedBatch: {err}")


def host_arrays(ragged: RaggedBatch) -> list:
    """The ragged arrays in the builders' argument order and dtypes (no copy when they match)."""
    return [
        np.ascontiguousarray(ragged.tokens, dtype=np.int32),
        np.ascontiguousarray(ragged.modality, dtype=np.int8),
        np.ascontiguousarray(ragged.piece_row, dtype=np.int32),
        np.ascontiguousarray(ragged.piece_col, dtype=np.int32),
        np.ascontiguousarray(ragged.piece_length, dtype=np.int32),
        np.ascontiguousarray(ragged.piece_src, dtype=np.int64),
        np.ascontiguousarray(ragged.piece_next_label, dtype=np.int64),
    ]


def _build(ragged: RaggedBatch, builder) -> tuple:
    check_plan(ragged)
    inputs = host_arrays(ragged)
    shape = (ragged.batch_size, ragged.seq_len)
    outputs = [
        np.empty(shape, dtype=np.int64), np.empty(shape, dtype=np.int64),
        np.empty(shape, dtype=np.int64), np.empty(shape, dtype=np.int8),
        np.empty(ragged.num_pieces + 1, dtype=np.int32),
    ]
    builder(
        *[a.ctypes.data for a in inputs], ragged.num_pieces, ragged.batch_size, ragged.seq_len,
        ragged.pad_id, ragged.loss_mask_bits, *[a.ctypes.data for a in outputs],
    )
    return tuple(outputs)


def build_batch_arrays(ragged: RaggedBatch) -> tuple:
    """(tokens int64 [B, L], labels int64 [B, L], position_ids int64 [B, L], modality int8
    [B, L], cu_seqlens int32 [P + 1])."""
    return _build(ragged, _C.build_batch_cpu)


def build_batch_arrays_kernel_emulation(ragged: RaggedBatch) -> tuple:
    """As build_batch_arrays, but by the CUDA kernel's per-thread code run on the CPU (each
    position searches its piece), so that machines without a GPU test the kernel's logic."""
    return _build(ragged, _C.build_batch_emulated)


__all__ = [
    "build_batch_arrays",
    "build_speech_document",
    "chunk_document",
    "interleave_speech",
    "interleave_text",
    "sample_modalities",
]
