# The chunk table and the whole result of building one speech document.
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Chunks(NamedTuple):
    """Chunks of one document, as parallel arrays (docs/semantics.md, "Chunking")."""

    start: np.ndarray  # float64 [C] seconds from the cut start
    end: np.ndarray  # float64 [C]
    speaker: np.ndarray  # int32 [C]
    word_begin: np.ndarray  # int64 [C]
    word_end: np.ndarray  # int64 [C]
    frame_begin: np.ndarray  # int64 [C]
    frame_end: np.ndarray  # int64 [C]
    unsplit_turns: int  # fine mode: turns over the maximum that had no alignment to split at

    @property
    def num_chunks(self) -> int:
        return len(self.start)

    @property
    def duration(self) -> np.ndarray:
        return self.end - self.start


class SpeechBuild(NamedTuple):
    """One speech document chunked, sampled and interleaved (`build_speech_document`)."""

    tokens: np.ndarray  # int32 [N]
    modality: np.ndarray  # int8 [N]
    chunks: Chunks
    chunk_modality: np.ndarray  # int8 [C], as emitted (after the rule below)
    audio_chunks_as_text: int  # audio chunks without a real speech frame, emitted as text
