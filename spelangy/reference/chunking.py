# Reference chunking: turns -> coarse or fine chunks (docs/semantics.md, "Chunking").
from __future__ import annotations

import math

import numpy as np

from ..chunks import Chunks
from ..config import ChunkingConfig
from ..documents import SpeechDocument


def _frame(t: float, frame_shift: float, num_frames: int) -> int:
    """The frame nearest to time t (half up), clamped to [0, num_frames] before rounding so
    that times far outside the cut (or not finite) give a frame inside it."""
    x = t / frame_shift + 0.5
    return 0 if not x > 0 else num_frames if not x < num_frames else math.floor(x)


def frame_range(start: float, end: float, frame_shift: float, num_frames: int) -> tuple:
    begin = _frame(start, frame_shift, num_frames)
    return begin, max(begin, _frame(end, frame_shift, num_frames))


def _coarse(doc: SpeechDocument, max_duration: float) -> list:
    chunks = []  # [start, end, speaker, word_begin, word_end]
    for t in range(doc.num_turns):
        start, end = float(doc.turn_start[t]), float(doc.turn_end[t])
        speaker = int(doc.turn_speaker[t])
        w0, w1 = int(doc.turn_word_offsets[t]), int(doc.turn_word_offsets[t + 1])
        if chunks and chunks[-1][2] == speaker and end - chunks[-1][0] <= max_duration:
            chunks[-1][1] = max(chunks[-1][1], end)
            chunks[-1][4] = w1
        else:
            chunks.append([start, end, speaker, w0, w1])
    return chunks


def _sentences(doc: SpeechDocument, w0: int, w1: int) -> list:
    """Word ranges of the sentences of turn words [w0, w1)."""
    sentences, begin = [], w0
    for w in range(w0, w1):
        if doc.word_sentence_end[w] or w == w1 - 1:
            sentences.append((begin, w + 1))
            begin = w + 1
    return sentences


def _split_turn(doc: SpeechDocument, t: int, max_duration: float) -> list:
    start, end = float(doc.turn_start[t]), float(doc.turn_end[t])
    speaker = int(doc.turn_speaker[t])
    sentences = _sentences(doc, int(doc.turn_word_offsets[t]), int(doc.turn_word_offsets[t + 1]))
    # Sentence i spans [bounds[i], bounds[i + 1]): cut points at the next sentence's first word.
    bounds = [start] + [float(doc.word_start[s[0]]) for s in sentences[1:]] + [end]
    pieces = []
    for i, (s0, s1) in enumerate(sentences):
        if pieces and bounds[i + 1] - pieces[-1][0] <= max_duration:
            pieces[-1][1] = bounds[i + 1]
            pieces[-1][4] = s1
        else:
            pieces.append([bounds[i], bounds[i + 1], speaker, s0, s1])
    return pieces


def _fine(doc: SpeechDocument, max_duration: float) -> tuple:
    chunks, unsplit = [], 0
    for t in range(doc.num_turns):
        start, end = float(doc.turn_start[t]), float(doc.turn_end[t])
        w0, w1 = int(doc.turn_word_offsets[t]), int(doc.turn_word_offsets[t + 1])
        if end - start > max_duration:
            if not doc.turn_aligned[t]:
                unsplit += 1
            elif len(_sentences(doc, w0, w1)) >= 2:
                chunks.extend(_split_turn(doc, t, max_duration))
                continue
        chunks.append([start, end, int(doc.turn_speaker[t]), w0, w1])
    return chunks, unsplit


def chunk_document(doc: SpeechDocument, chunking: ChunkingConfig) -> Chunks:
    if chunking.mode == "coarse":
        rows, unsplit = _coarse(doc, chunking.max_chunk_duration), 0
    else:
        rows, unsplit = _fine(doc, chunking.max_chunk_duration)
    num_frames = len(doc.speech_tokens)
    frames = [frame_range(r[0], r[1], doc.frame_shift, num_frames) for r in rows]
    return Chunks(
        start=np.array([r[0] for r in rows], dtype=np.float64),
        end=np.array([r[1] for r in rows], dtype=np.float64),
        speaker=np.array([r[2] for r in rows], dtype=np.int32),
        word_begin=np.array([r[3] for r in rows], dtype=np.int64),
        word_end=np.array([r[4] for r in rows], dtype=np.int64),
        frame_begin=np.array([f[0] for f in frames], dtype=np.int64),
        frame_end=np.array([f[1] for f in frames], dtype=np.int64),
        unsplit_turns=unsplit,
    )
