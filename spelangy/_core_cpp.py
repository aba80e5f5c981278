# The C++ core behind the same functions and return types as spelangy.reference.
"""Thin wrappers over `spelangy._C`: they translate configs to integer codes, call the
extension (which releases the GIL) and wrap its arrays in the package's types. Each
function has exactly the signature of its counterpart in `spelangy.reference`."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import _C
from .batch import RaggedBatch
from .chunks import Chunks, SpeechBuild
from .config import ChunkingConfig, SamplingConfig
from .documents import SpeechDocument, TextDocument, speech_arrays
from .errors import BadInputError, SpelangyError
from .vocab import Modality, VocabLayout

_CHUNKING = {"coarse": 0, "fine": 1}
_MAX_MODALITY = int(max(Modality))
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


def _settings(chunking: ChunkingConfig, sampling: SamplingConfig, seed: int, epoch: int,
              vocab: VocabLayout) -> tuple:
    return (_CHUNKING[chunking.mode], chunking.max_chunk_duration, _SAMPLING[sampling.mode],
            sampling.p_audio, int(sampling.first), seed & _U64, epoch & _U64, _vocab_ids(vocab))


def _run(doc, function: str, settings: tuple):
    """`_C.<function>` of a speech document. A prepared corpus's document is run from the
    maps (`_C.PreparedSpeechColumns.<function>`); one they do not give (a damaged build, a
    document the core refuses) is run on its arrays, which say why."""
    if not isinstance(doc, SpeechDocument):
        got = getattr(doc.columns, function)(doc.number, doc.key, *settings)
        if got is not None:
            return got
        doc = speech_arrays(doc)
    try:
        return getattr(_C, function)(doc, *settings)
    except ValueError as err:
        raise _bad_document(doc, err) from None


def build_speech_document(
    doc: SpeechDocument,
    chunking: ChunkingConfig,
    sampling: SamplingConfig,
    seed: int,
    epoch: int,
    vocab: VocabLayout,
) -> SpeechBuild:
    """Chunk, sample and interleave one document."""
    tokens, modality, fields, chunk_modalities, as_text = _run(
        doc, "build_speech_document", _settings(chunking, sampling, seed, epoch, vocab))
    # tuple.__new__: a NamedTuple's own __new__ is Python code, and this runs per document.
    return tuple.__new__(SpeechBuild, (tokens, modality, Chunks(*fields), chunk_modalities,
                                       as_text))


def speech_document_length(
    doc: SpeechDocument,
    chunking: ChunkingConfig,
    sampling: SamplingConfig,
    seed: int,
    epoch: int,
    vocab: VocabLayout,
) -> int:
    """len(build_speech_document(...).tokens), without writing the tokens."""
    return _run(doc, "speech_document_length", _settings(chunking, sampling, seed, epoch, vocab))


# The ragged arrays in the builders' argument order, with the dtypes the builders read.
_HOST_ARRAYS = (("tokens", np.int32), ("modality", np.int8), ("piece_row", np.int32),
                ("piece_col", np.int32), ("piece_length", np.int32), ("piece_src", np.int64),
                ("piece_next_label", np.int64))


def _host_array(ragged: RaggedBatch, name: str, dtype) -> np.ndarray:
    """One field as a contiguous 1-D array of `dtype`, or an error: a narrowing cast that
    would wrap a value (an int64 offset past 2**31 into int32) is refused, not done."""
    a = np.asarray(getattr(ragged, name))
    if a.ndim != 1:
        raise SpelangyError(f"RaggedBatch.{name} must be a 1-D array, got shape {a.shape}")
    if a.dtype != dtype:
        if a.dtype != np.bool_ and not np.issubdtype(a.dtype, np.integer):
            raise SpelangyError(f"RaggedBatch.{name} must hold integers "
                                f"({np.dtype(dtype).name}), got {a.dtype}")
        info = np.iinfo(dtype)
        if a.size and not np.can_cast(a.dtype, dtype) and (a.min() < info.min or
                                                          a.max() > info.max):
            raise SpelangyError(f"RaggedBatch.{name} has values outside {np.dtype(dtype).name} "
                                f"([{a.min()}, {a.max()}])")
    return np.ascontiguousarray(a, dtype=dtype)


def host_arrays(ragged: RaggedBatch) -> list:
    """The ragged arrays in the builders' argument order and dtypes (no copy when they
    match), after checking their shapes, sizes and plan: the builders trust them. Raises
    SpelangyError naming what is wrong."""
    arrays = [_host_array(ragged, name, dtype) for name, dtype in _HOST_ARRAYS]
    tokens, modality, piece_row = arrays[:3]
    if len(modality) != len(tokens):
        raise SpelangyError(f"RaggedBatch.modality has {len(modality)} entries for "
                            f"{len(tokens)} tokens")
    # The builders shift the loss mask by a token's modality: only the Modality codes exist.
    if len(modality) and (modality.min() < 0 or modality.max() > _MAX_MODALITY):
        raise SpelangyError(f"RaggedBatch.modality has codes outside [0, {_MAX_MODALITY}] "
                            f"([{modality.min()}, {modality.max()}])")
    for (name, _), a in zip(_HOST_ARRAYS[3:], arrays[3:]):
        if len(a) != len(piece_row):
            raise SpelangyError(f"RaggedBatch.{name} has {len(a)} entries for "
                                f"{len(piece_row)} pieces")
    for name in ("batch_size", "seq_len", "pad_id", "loss_mask_bits"):
        value = getattr(ragged, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or not -2**31 <= int(value) < 2**31:
            raise SpelangyError(f"RaggedBatch.{name} must be an int32 integer, got {value!r}")
    err = _C.check_batch_plan(piece_row, arrays[3], arrays[4], arrays[5], len(tokens),
                              int(ragged.batch_size), int(ragged.seq_len))
    if err:
        raise SpelangyError(f"invalid packing plan in RaggedBatch: {err}")
    return arrays


def _build(ragged: RaggedBatch, builder) -> tuple:
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
    "speech_document_length",
]
