# One Lhotse cut -> one SpeechDocument (plain arrays), with every bad-input check of SPEC section 9.
"""Conversion rules (docs/semantics.md "Document arrays"); a faster parser must match them.

- Turns are the supervisions sorted by `start` (stable); `turn_start = sup.start`,
  `turn_end = sup.start + sup.duration`; speakers get int32 indices in order of first
  appearance (a missing speaker is a speaker of its own).
- Words are `sup.text.split()`. A turn is aligned when `sup.alignment["word"]` has items
  whose symbol is not blank (Lhotse uses blank items for pauses, see
  `Cut.trim_to_alignments`). Those items, sorted by start, give the times; when their count
  equals the text's word count the text words are kept (they keep punctuation), otherwise
  the alignment symbols are the words.
- Alignment item times are relative to the *recording*, not the cut: Lhotse's
  `SupervisionSegment.with_offset` (used by `MonoCut.truncate`/`extend_by`) shifts
  `sup.start` but leaves `alignment` untouched, and `Cut.trim_to_alignments` computes
  `item.start - cut.start`. So `word_start = item.start - cut.start` and
  `word_end = word_start + item.duration`. For cuts that start at 0 (whole recordings),
  this is `item.start` itself.
- A word ends a sentence when, stripped of trailing closing quotes/brackets, it ends with
  one of `.!?…`.
- Speech tokens come from the cut's `speech_tokens` TemporalArray, sliced to the cut by
  Lhotse; otherwise from the speech tokenizer over the cut's audio (mono mean).
"""
from __future__ import annotations

from typing import List

import numpy as np

from .documents import DEFAULT_FRAME_SHIFT, SpeechDocument
from .manifest import Where

SENTENCE_END = (".", "!", "?", "\u2026")
CLOSERS = "\"')]}\u201d\u2019"
ALIGNMENT_TOLERANCE = 0.01  # seconds an aligned word may stick out of its turn


def is_sentence_end(word: str) -> bool:
    return word.rstrip(CLOSERS).endswith(SENTENCE_END)


def cut_to_document(cut, text_tokenizer, speech_tokenizer=None, where: Where = Where("", "")
                    ) -> SpeechDocument:
    """The arrays of one cut. Raises BadInputError naming `where` and the cut."""
    sups = sorted(cut.supervisions, key=lambda s: s.start)
    if not sups:
        raise where.error("cut has no supervisions", cut.id)
    num_turns = len(sups)
    turn_start = np.fromiter((s.start for s in sups), np.float64, num_turns)
    turn_end = turn_start + np.fromiter((s.duration for s in sups), np.float64, num_turns)
    speakers: dict = {}
    turn_speaker = np.fromiter((speakers.setdefault(s.speaker, len(speakers)) for s in sups),
                               np.int32, num_turns)
    turn_aligned = np.zeros(num_turns, np.uint8)
    turn_word_offsets = np.zeros(num_turns + 1, np.int64)
    words: List[str] = []
    starts: List[np.ndarray] = []
    ends: List[np.ndarray] = []
    offset = float(getattr(cut, "start", 0.0) or 0.0)
    for t, sup in enumerate(sups):
        text_words = sup.text.split() if isinstance(sup.text, str) else []
        if not text_words:
            raise where.error(f"empty transcript in supervision {sup.id!r}", cut.id)
        items = _word_alignment(sup)
        if items:
            w_start = np.fromiter((a.start for a in items), np.float64, len(items)) - offset
            w_end = w_start + np.fromiter((a.duration for a in items), np.float64, len(items))
            _check_inside(w_start, w_end, turn_start[t], turn_end[t], items, sup, cut, where)
            turn_words = text_words if len(items) == len(text_words) else [a.symbol for a in items]
            turn_aligned[t] = 1
        else:
            turn_words = text_words
            w_start = w_end = np.zeros(len(turn_words), np.float64)
        words.extend(turn_words)
        starts.append(w_start)
        ends.append(w_end)
        turn_word_offsets[t + 1] = len(words)
    text_tokens, word_token_offsets = text_tokenizer.encode_words(words)
    speech_tokens, frame_shift = _speech_tokens(cut, speech_tokenizer, where)
    return SpeechDocument(
        cut_id=cut.id,
        turn_start=turn_start,
        turn_end=turn_end,
        turn_speaker=turn_speaker,
        turn_word_offsets=turn_word_offsets,
        turn_aligned=turn_aligned,
        word_start=np.concatenate(starts),
        word_end=np.concatenate(ends),
        word_sentence_end=np.fromiter((is_sentence_end(w) for w in words), np.uint8, len(words)),
        word_token_offsets=word_token_offsets,
        text_tokens=text_tokens,
        speech_tokens=speech_tokens,
        frame_shift=frame_shift,
        duration=float(cut.duration),
    )


def _word_alignment(sup) -> list:
    alignment = sup.alignment or {}
    items = [a for a in alignment.get("word") or () if a.symbol.strip()]
    items.sort(key=lambda a: a.start)
    return items


def _check_inside(w_start, w_end, t_start, t_end, items, sup, cut, where) -> None:
    outside = (w_start < t_start - ALIGNMENT_TOLERANCE) | (w_end > t_end + ALIGNMENT_TOLERANCE)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise where.error(
            f"word alignment outside its turn: word {items[i].symbol!r} at "
            f"[{w_start[i]:.3f}, {w_end[i]:.3f}] s, supervision {sup.id!r} spans "
            f"[{t_start:.3f}, {t_end:.3f}] s (times from the cut start)",
            cut.id,
        )


def _speech_tokens(cut, speech_tokenizer, where: Where):
    custom = getattr(cut, "custom", None) or {}
    if cut.has_custom("speech_tokens"):
        try:
            tokens = np.asarray(cut.load_custom("speech_tokens"))
        except Exception as exc:  # any storage backend failure: name the cut, keep the cause
            raise where.error(f"cannot read speech_tokens: {exc!r}", cut.id) from exc
        frame_shift = getattr(custom.get("speech_tokens"), "frame_shift", None)
        vocab_size = custom.get("speech_vocab_size")
        what = "speech_tokens"
    elif speech_tokenizer is not None:
        tokens = np.asarray(speech_tokenizer.encode(_load_mono(cut, where), cut.sampling_rate))
        frame_shift = speech_tokenizer.frame_shift
        vocab_size = speech_tokenizer.vocab_size
        what = f"speech tokenizer {type(speech_tokenizer).__name__} output"
    else:
        raise where.error("cut has no speech_tokens and no speech_tokenizer was given", cut.id)
    if tokens.ndim == 2 and tokens.shape[1] == 1:
        tokens = tokens[:, 0]
    if tokens.ndim != 1 or not (np.issubdtype(tokens.dtype, np.integer) or tokens.size == 0):
        raise where.error(f"{what} must be a 1-D integer array, got dtype {tokens.dtype} "
                          f"shape {tokens.shape}", cut.id)
    limit = int(vocab_size) if vocab_size is not None else 2**31 - 1
    if tokens.size and (tokens.min() < 0 or tokens.max() >= limit):
        bad = int(tokens.min()) if tokens.min() < 0 else int(tokens.max())
        raise where.error(f"{what} has id {bad} outside [0, {limit})"
                          + (" (speech_vocab_size)" if vocab_size is not None else ""), cut.id)
    return tokens.astype(np.int32, copy=False), float(frame_shift or DEFAULT_FRAME_SHIFT)


def _load_mono(cut, where: Where) -> np.ndarray:
    if not cut.has_recording:
        raise where.error("cut has no speech_tokens and no recording to tokenize", cut.id)
    try:
        samples = cut.load_audio()
    except Exception as exc:  # missing file, unreadable codec, truncated data: all bad input
        raise where.error(f"cannot load audio: {exc!r}", cut.id) from exc
    samples = np.asarray(samples, dtype=np.float32)
    return samples.mean(axis=0) if samples.ndim == 2 else samples
