# Documents as plain arrays: the only form the core (C++ or reference) sees.
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

DEFAULT_FRAME_SHIFT = 0.08  # 12.5 Hz speech tokens
NO_AUDIO = -1  # a speech frame the cut has no audio for (padding of a MixedCut): never emitted


def doc_key(cut_id: str) -> int:
    """A stable 64-bit key for a document: seeds its modality draws on every rank."""
    digest = hashlib.blake2b(cut_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@dataclass
class SpeechDocument:
    """One speech-text document (a cut). Array meanings: docs/semantics.md."""

    cut_id: str
    turn_start: np.ndarray  # float64 [T]
    turn_end: np.ndarray  # float64 [T]
    turn_speaker: np.ndarray  # int32 [T]
    turn_word_offsets: np.ndarray  # int64 [T+1]
    turn_aligned: np.ndarray  # uint8 [T]
    word_start: np.ndarray  # float64 [W]
    word_end: np.ndarray  # float64 [W]
    word_sentence_end: np.ndarray  # uint8 [W]
    word_token_offsets: np.ndarray  # int64 [W+1]
    text_tokens: np.ndarray  # int32 [K]
    speech_tokens: np.ndarray  # int32 [F], NO_AUDIO where the cut has no audio
    frame_shift: float = DEFAULT_FRAME_SHIFT
    duration: float = 0.0
    words_outside_cut: int = 0  # words of supervisions outside the cut, left out when read
    key: int = field(default=0)

    def __post_init__(self):
        if self.key == 0:
            self.key = doc_key(self.cut_id)

    @property
    def num_turns(self) -> int:
        return len(self.turn_start)

    @property
    def num_words(self) -> int:
        return len(self.word_start)


def speech_arrays(doc) -> SpeechDocument:
    """A speech document's arrays: `doc` itself, or, for a prepared corpus's document that
    is not read yet (`spelangy.prepared.corpus.PreparedSpeechDocument`), its arrays read now."""
    return doc if isinstance(doc, SpeechDocument) else doc.arrays()


@dataclass
class TextDocument:
    """One text-only document: its SentencePiece ids (no key: it has no draws to seed)."""

    doc_id: str
    text_tokens: np.ndarray  # int32 [K]

    @property
    def cut_id(self) -> str:
        return self.doc_id
