# The Lhotse reader: any Lhotse cut -> one SpeechDocument. It defines the reading rules.
"""Reading rules (docs/semantics.md, "Reading cuts"); the C++ reader follows them exactly on
the MonoCut lines it takes and leaves every other line here.

- Cut types: a MonoCut or MultiCut is one track at offset 0; a MixedCut is its audible
  tracks that are not padding (see `speech_tokens.audible_tracks`), each at its offset; a
  PaddingCut alone holds no speech and is refused.
- Turns are the tracks' supervisions, track after track, stably sorted by start; a turn
  spans `[sup.start + offset, that + sup.duration)` seconds from the cut start. Speakers
  get int32 indices in order of first appearance among the turns kept (a missing speaker
  is a speaker of its own).
- Words are `sup.text.split()`. A turn is aligned when `sup.alignment["word"]` has items
  whose symbol is not blank (Lhotse uses blank items for pauses). Those items, stably sorted
  by start, give the times; when their count equals the text's word count the text words
  are kept (they keep punctuation), otherwise the alignment symbols are the words.
- Alignment items are in recording time: Lhotse's `truncate` and `with_offset` move
  `sup.start` but not the alignment (`Cut.trim_to_alignments` computes `item.start -
  cut.start`). So a word starts at `item.start - track_cut.start + offset` and ends
  `item.duration` later. An aligned word outside its turn (beyond ALIGNMENT_TOLERANCE) is an
  error.
- A cut's id is a string, its start in [0, MAX_CUT_SECONDS] and its duration in (0,
  MAX_CUT_SECONDS] seconds; supervision times are finite numbers, durations not negative,
  texts strings (or null). Anything else is an error naming the value.
- Supervisions that stick out of the cut (Lhotse's `truncate` keeps them by default) by
  more than ALIGNMENT_TOLERANCE: an aligned turn keeps the words whose middle lies in
  [0, duration) and is clipped to the cut; an unaligned turn cannot tell which of its words
  the cut holds and is left out. Words left out are counted (`words_outside_cut`). A cut
  with no turn left is an error.
- A word ends a sentence when, stripped of trailing closing quotes/brackets, it ends with
  one of `.!?…`.
- Speech tokens: `speech_tokens.cut_speech_tokens` (stored, or made on the fly).
"""
from __future__ import annotations

import math
from typing import List

import numpy as np

from ..documents import SpeechDocument
from ..errors import Where
from .speech_tokens import audible_tracks, cut_speech_tokens

SENTENCE_END = (".", "!", "?", "\u2026")
CLOSERS = "\"')]}\u201d\u2019"
ALIGNMENT_TOLERANCE = 0.01  # seconds an aligned word or a turn may stick out of its span
MAX_CUT_SECONDS = 1e7  # longer (or later) is a corrupt value, not a recording (115 days)


def is_sentence_end(word: str) -> bool:
    return word.rstrip(CLOSERS).endswith(SENTENCE_END)


def cut_from_line(line: bytes, where: Where):
    """Parse one manifest line into a Lhotse cut, with Lhotse's own deserializer."""
    import re

    import orjson
    from lhotse.cut import Cut
    from lhotse.serialization import deserialize_item

    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        found = re.search(rb'^\s*\{\s*"id"\s*:\s*"((?:[^"\\]|\\.)*)"', line)  # damage after it
        cut_id = found.group(1).decode("utf-8", "replace") if found else ""
        raise where.error(f"corrupt manifest line (invalid JSON: {exc})", cut_id) from exc
    cut_id = str(data.get("id", "")) if isinstance(data, dict) else ""
    if not isinstance(data, dict) or "type" not in data:
        raise where.error("corrupt manifest line (not a Lhotse cut: no 'type' field)", cut_id)
    try:
        cut = deserialize_item(data)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise where.error(f"corrupt manifest line (not a Lhotse cut: {exc})", cut_id) from exc
    if not isinstance(cut, Cut):
        raise where.error("corrupt manifest line (not a Lhotse cut)", cut_id)
    return cut


class _Turns:
    """The turn and word tables of one document, built turn by turn."""

    def __init__(self):
        self.start: List[float] = []
        self.end: List[float] = []
        self.speaker: List[int] = []
        self.aligned: List[int] = []
        self.offsets = [0]
        self.words: List[str] = []
        self.word_start: List[np.ndarray] = []
        self.word_end: List[np.ndarray] = []
        self.speakers: dict = {}
        self.words_outside = 0

    def add(self, start, end, speaker, aligned, words, w_start, w_end) -> None:
        self.start.append(start)
        self.end.append(end)
        self.speaker.append(self.speakers.setdefault(speaker, len(self.speakers)))
        self.aligned.append(int(aligned))
        self.words.extend(words)
        self.word_start.append(w_start)
        self.word_end.append(w_end)
        self.offsets.append(len(self.words))


def cut_to_document(cut, text_tokenizer, speech_tokenizer=None, where: Where = Where("", "")
                    ) -> SpeechDocument:
    """The arrays of one cut of any type. Raises BadInputError naming `where` and the cut."""
    _check_cut(cut, where)
    tracks = audible_tracks(cut)
    if not tracks:
        raise where.error(f"a {type(cut).__name__} holds no speech: nothing to read", cut.id)
    # (An offset of 0 adds nothing, not even to -0.0: the C++ reader reads starts as they are.)
    for part, _ in tracks:
        if part is not cut:
            _check_cut(part, where, f"track cut {part.id!r} of ")
        for sup in part.supervisions:
            _check_supervision(sup, cut.id, where)
    sups = [(sup.start + offset if offset else sup.start, sup, part.start - offset)
            for part, offset in tracks for sup in part.supervisions]
    if not sups:
        raise where.error("cut has no supervisions", cut.id)
    sups.sort(key=lambda s: s[0])
    duration = float(cut.duration)
    turns = _Turns()
    for start, sup, shift in sups:
        _add_turn(turns, start, sup, shift, duration, cut.id, where)
    if not turns.start:
        raise where.error(f"no supervision lies inside the cut ({len(sups)} supervisions, all "
                          f"outside [0, {duration:g}] s)", cut.id)
    words = turns.words
    text_tokens, word_token_offsets = text_tokenizer.encode_words(words)
    speech_tokens, frame_shift = cut_speech_tokens(cut, speech_tokenizer, where)
    return SpeechDocument(
        cut_id=cut.id,
        turn_start=np.array(turns.start, np.float64),
        turn_end=np.array(turns.end, np.float64),
        turn_speaker=np.array(turns.speaker, np.int32),
        turn_word_offsets=np.array(turns.offsets, np.int64),
        turn_aligned=np.array(turns.aligned, np.uint8),
        word_start=np.concatenate(turns.word_start),
        word_end=np.concatenate(turns.word_end),
        word_sentence_end=np.fromiter(map(is_sentence_end, words), np.uint8, len(words)),
        word_token_offsets=word_token_offsets,
        text_tokens=text_tokens,
        speech_tokens=speech_tokens,
        frame_shift=frame_shift,
        duration=duration,
        words_outside_cut=turns.words_outside,
    )


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_cut(cut, where: Where, what: str = "") -> None:
    """Types and ranges of a cut's id and times (Lhotse does not check them)."""
    if not isinstance(cut.id, str):
        raise where.error(f"{what}cut id must be a string, got {type(cut.id).__name__}",
                          str(cut.id))
    for name, rule, in_range in (("start", "not negative", lambda t: t >= 0),
                                 ("duration", "positive", lambda t: t > 0)):
        value = getattr(cut, name)
        if not _is_number(value):
            raise where.error(f"{what}cut {name} must be a number of seconds, got "
                              f"{type(value).__name__}", cut.id)
        if not (in_range(value) and value <= MAX_CUT_SECONDS):  # NaN fails too
            raise where.error(f"{what}cut {name} {value!r} s is out of range (it must be "
                              f"{rule} and at most {MAX_CUT_SECONDS:g} s)", cut.id)


def _check_supervision(sup, cut_id: str, where: Where) -> None:
    for name in ("start", "duration"):
        value = getattr(sup, name)
        if not _is_number(value) or not math.isfinite(value):
            raise where.error(f"{name} of supervision {sup.id!r} must be a finite number of "
                              f"seconds, got {value!r}", cut_id)
    if sup.duration < 0:
        raise where.error(f"duration of supervision {sup.id!r} is negative ({sup.duration!r} s)",
                          cut_id)
    if sup.text is not None and not isinstance(sup.text, str):
        raise where.error(f"text of supervision {sup.id!r} must be a string, got "
                          f"{type(sup.text).__name__}", cut_id)


def _add_turn(turns: _Turns, start: float, sup, shift: float, duration: float, cut_id: str,
              where: Where) -> None:
    """Adds one supervision as a turn, clipped to the cut, or counts its words as outside."""
    end = start + sup.duration
    text_words = sup.text.split() if isinstance(sup.text, str) else []
    if not text_words:
        raise where.error(f"empty transcript in supervision {sup.id!r}", cut_id)
    if sup.speaker is not None and not isinstance(sup.speaker, str):
        raise where.error(f"speaker of supervision {sup.id!r} must be a string or null, got "
                          f"{type(sup.speaker).__name__}", cut_id)
    items = _word_alignment(sup, cut_id, where)
    if items:
        w_start = np.fromiter((a.start for a in items), np.float64, len(items)) - shift
        w_end = w_start + np.fromiter((a.duration for a in items), np.float64, len(items))
        _check_inside(w_start, w_end, start, end, items, sup, cut_id, where)
        words = text_words if len(items) == len(text_words) else [a.symbol for a in items]
    else:
        words = text_words
        w_start = w_end = np.zeros(len(words), np.float64)
    tol = ALIGNMENT_TOLERANCE
    if not (start >= -tol and end <= duration + tol):  # sticks out of the cut
        if not items or end <= 0 or start >= duration:
            turns.words_outside += len(words)
            return
        middle = (w_start + w_end) * 0.5
        keep = (middle >= 0) & (middle < duration)
        turns.words_outside += int(len(words) - keep.sum())
        if not keep.any():
            return
        words = [w for w, k in zip(words, keep) if k]
        w_start, w_end = w_start[keep], w_end[keep]
        start, end = max(start, 0.0), min(end, duration)
    turns.add(start, end, sup.speaker, bool(items), words, w_start, w_end)


def _word_alignment(sup, cut_id: str, where: Where) -> list:
    alignment = sup.alignment or {}
    items = list(alignment.get("word") or ())
    for a in items:
        if not isinstance(a.symbol, str):
            raise where.error(f"alignment item symbol {a.symbol!r} of supervision {sup.id!r} "
                              f"is not a string", cut_id)
        if not all(_is_number(x) and math.isfinite(x) for x in (a.start, a.duration)):
            raise where.error(f"alignment item {a.symbol!r} of supervision {sup.id!r} has a "
                              f"start or duration that is not a number", cut_id)
    items = [a for a in items if a.symbol.strip()]
    items.sort(key=lambda a: a.start)
    return items


def _check_inside(w_start, w_end, t_start, t_end, items, sup, cut_id, where) -> None:
    outside = (w_start < t_start - ALIGNMENT_TOLERANCE) | (w_end > t_end + ALIGNMENT_TOLERANCE)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise where.error(
            f"word alignment outside its turn: word {items[i].symbol!r} at "
            f"[{w_start[i]:.3f}, {w_end[i]:.3f}] s, supervision {sup.id!r} spans "
            f"[{t_start:.3f}, {t_end:.3f}] s (times from the cut start)",
            cut_id,
        )
