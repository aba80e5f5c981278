"""The pure-Python reference of spelangy's core: readable, slow, and the definition that
the C++ core (`spelangy._core_cpp`) and the CUDA kernel are held equal to, token for token.
Semantics: docs/semantics.md."""

from ..chunks import Chunks, SpeechBuild
from ..config import ChunkingConfig, SamplingConfig
from ..documents import SpeechDocument, speech_arrays
from ..vocab import VocabLayout
from .batch_builder import build_batch_arrays
from .chunking import chunk_document
from .interleave import audio_chunks_to_text, interleave_speech, interleave_text
from .sampling import sample_modalities


def build_speech_document(
    doc: SpeechDocument,
    chunking: ChunkingConfig,
    sampling: SamplingConfig,
    seed: int,
    epoch: int,
    vocab: VocabLayout,
) -> SpeechBuild:
    """Chunk, sample and interleave one document."""
    doc = speech_arrays(doc)
    chunks: Chunks = chunk_document(doc, chunking)
    modalities = sample_modalities(chunks.num_chunks, doc.key, sampling, seed, epoch)
    as_text = audio_chunks_to_text(doc, chunks, modalities)
    tokens, modality = interleave_speech(doc, chunks, modalities, vocab)
    return SpeechBuild(tokens, modality, chunks, modalities, as_text)


def speech_document_length(
    doc: SpeechDocument,
    chunking: ChunkingConfig,
    sampling: SamplingConfig,
    seed: int,
    epoch: int,
    vocab: VocabLayout,
) -> int:
    """len(build_speech_document(...).tokens): the reference sizes a document by building it."""
    return len(build_speech_document(doc, chunking, sampling, seed, epoch, vocab).tokens)


__all__ = [
    "build_batch_arrays",
    "build_speech_document",
    "chunk_document",
    "interleave_speech",
    "interleave_text",
    "sample_modalities",
    "speech_document_length",
]
