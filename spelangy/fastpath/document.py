# One manifest line -> one SpeechDocument without Lhotse objects per supervision and per word.
"""The rules are those of `spelangy.convert` (its docstring); this file only reads them
from the parsed JSON instead of from `MonoCut`/`SupervisionSegment`/`AlignmentItem`
objects. Anything it does not take (other cut types, old dict-style alignment items, cuts
without stored speech tokens, and every kind of bad input) goes to the Lhotse path, which
gives the same document or the error that names the cut.
"""
from __future__ import annotations

import gc
import re
from operator import itemgetter
from typing import List, NamedTuple, Tuple

import numpy as np

from ..convert import (ALIGNMENT_TOLERANCE, CLOSERS, SENTENCE_END, cut_to_document,
                       is_sentence_end)
from ..documents import DEFAULT_FRAME_SHIFT, SpeechDocument
from ..manifest import Where, cut_from_line
from .speech_arrays import Unhandled, read_speech_tokens

_by_start = itemgetter("start")
_SEP = "\x00"  # joins words for the sentence-end scan (checked to occur in no word)
_SENTENCE_END_RE = re.compile("[%s][%s]*(?=%s|\\Z)" % (
    re.escape("".join(SENTENCE_END)), re.escape(CLOSERS), _SEP))
# Lhotse builds MonoCut and SupervisionSegment with `Cls(**fields)`: other keys fail there.
_CUT_FIELDS = frozenset(("type", "id", "start", "duration", "channel", "supervisions",
                         "recording", "custom"))  # cuts with "features" go to Lhotse
# (allowed, required) fields of Recording and AudioSource (no transforms or video here)
_RECORDING = (frozenset(("id", "sources", "sampling_rate", "num_samples", "duration",
                         "channel_ids")),
              frozenset(("id", "sources", "sampling_rate", "num_samples", "duration")))
_SOURCE = (frozenset(("type", "channels", "source")), frozenset(("type", "channels", "source")))
_CUT_REQUIRED = frozenset(("id", "start", "duration", "channel"))
_SUP_FIELDS = frozenset(("id", "recording_id", "start", "duration", "channel", "text", "language",
                         "speaker", "gender", "custom", "alignment"))
_SUP_REQUIRED = frozenset(("id", "recording_id", "start", "duration"))
_TEMPORAL_FIELDS = frozenset(("array", "temporal_dim", "frame_shift", "start"))
_ARRAY_FIELDS = frozenset(("storage_type", "storage_path", "storage_key", "shape"))
_FALLBACK = (Unhandled, KeyError, TypeError, ValueError, IndexError, AttributeError, OSError)


def _fields_ok(obj, fields, nested=None) -> bool:
    allowed, required = fields
    if not (isinstance(obj, dict) and obj.keys() <= allowed and required <= obj.keys()):
        return False
    return nested is None or (isinstance(obj["sources"], list) and all(
        _fields_ok(source, nested) for source in obj["sources"]))


def _is_tier(items) -> bool:
    # Lhotse reads every tier, each item as AlignmentItem(*item): 3 or 4 values.
    return isinstance(items, list) and all(
        isinstance(i, (list, dict)) and 3 <= len(i) <= 4 for i in items)


def _sentence_ends(words: List[str]) -> np.ndarray:
    """`is_sentence_end` of every word, by one regex pass over the joined words."""
    joined = _SEP.join(words)
    if joined.count(_SEP) != len(words) - 1:  # a word holds the separator: word by word
        return np.fromiter(map(is_sentence_end, words), np.uint8, len(words))
    ends = np.cumsum(np.fromiter(map(len, words), np.int64, len(words)) + 1) - 1
    hits = np.fromiter((m.end() for m in _SENTENCE_END_RE.finditer(joined)), np.int64)
    flags = np.zeros(len(words), np.uint8)
    flags[np.searchsorted(ends, hits)] = 1
    return flags


def _text_words(sup: dict) -> List[str]:
    text = sup.get("text")
    words = text.split() if isinstance(text, str) else []
    if not words:
        raise Unhandled("empty transcript")
    return words


def _columns(per_turn: list):
    """(counts, symbols, starts, durations) of the alignment items of all turns."""
    counts = np.fromiter(map(len, per_turn), np.int64, len(per_turn))
    items = [item for turn in per_turn for item in turn]
    if not items:
        return counts, (), np.zeros(0), np.zeros(0)
    # Lhotse reads each item as AlignmentItem(*item): (symbol, start, duration[, score]).
    if set(map(type, items)) != {list} or not set(map(len, items)) <= {3, 4}:
        raise Unhandled("alignment items not in the list form")
    symbols, starts, durations = list(zip(*items))[:3]
    return counts, symbols, np.array(starts, np.float64), np.array(durations, np.float64)


def _words(sups: list, offset: float, turn_start: np.ndarray, turn_end: np.ndarray):
    """All words of a document with their times, which turns are aligned, and where each
    turn's words start.

    The word tables of all turns are read in one pass (`zip` over every alignment item)
    and checked with array operations; only the per-turn bookkeeping is a Python loop.
    """
    num_turns = len(sups)
    text_words = [_text_words(s) for s in sups]
    per_turn = [(s.get("alignment") or {}).get("word") or () for s in sups]
    counts, symbols, starts, durations = _columns(per_turn)
    if not all(map(str.strip, symbols)):
        # Blank items are pauses: convert drops them (rare, so a plain loop).
        per_turn = [[item for item in turn if item[0].strip()] for turn in per_turn]
        counts, symbols, starts, durations = _columns(per_turn)
    bounds = np.zeros(num_turns + 1, np.int64)
    np.cumsum(counts, out=bounds[1:])
    backwards = np.flatnonzero(np.diff(starts) < 0) + 1
    if len(backwards) and not set(backwards.tolist()) <= set(bounds.tolist()):
        # Items out of time order inside a turn: the stable sort convert does, per turn.
        order = np.concatenate([a + np.argsort(starts[a:b], kind="stable")
                                for a, b in zip(bounds[:-1], bounds[1:])])
        starts, durations = starts[order], durations[order]
        symbols = [symbols[i] for i in order]
    w_start = starts - offset
    w_end = w_start + durations
    outside = ((w_start < np.repeat(turn_start, counts) - ALIGNMENT_TOLERANCE)
               | (w_end > np.repeat(turn_end, counts) + ALIGNMENT_TOLERANCE))
    if outside.any():
        raise Unhandled("word alignment outside its turn")
    num_words = np.fromiter(map(len, text_words), np.int64, num_turns)
    if np.array_equal(counts, num_words):
        # The usual case: every turn aligned word for word with its text.
        return ([w for ws in text_words for w in ws], w_start, w_end,
                np.ones(num_turns, np.uint8), bounds)
    words, starts_out, ends_out = [], [], []
    offsets = np.zeros(num_turns + 1, np.int64)
    for t, (a, b) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
        if a == b:
            words.extend(text_words[t])
            zeros = np.zeros(len(text_words[t]), np.float64)
            starts_out.append(zeros)
            ends_out.append(zeros)
        else:
            words.extend(text_words[t] if b - a == len(text_words[t]) else symbols[a:b])
            starts_out.append(w_start[a:b])
            ends_out.append(w_end[a:b])
        offsets[t + 1] = len(words)
    return (words, np.concatenate(starts_out), np.concatenate(ends_out),
            (counts > 0).astype(np.uint8), offsets)


class Tables(NamedTuple):
    """The turn and word tables of one cut, read from its JSON (no tokenization yet)."""

    cut_id: str
    start: float
    duration: float
    turn_start: np.ndarray
    turn_end: np.ndarray
    turn_speaker: np.ndarray
    turn_word_offsets: np.ndarray
    turn_aligned: np.ndarray
    words: List[str]
    word_start: np.ndarray
    word_end: np.ndarray
    word_sentence_end: np.ndarray


def read_tables(data: dict) -> Tables:
    """The tables of one parsed manifest line; raises `Unhandled` for the Lhotse path."""
    if data.get("type") != "MonoCut" or not isinstance(data.get("id"), str):
        raise Unhandled("not a MonoCut")
    if not (data.keys() <= _CUT_FIELDS and _CUT_REQUIRED <= data.keys()):
        raise Unhandled("cut fields that Lhotse does not take")
    if "recording" in data and not _fields_ok(data["recording"], _RECORDING, _SOURCE):
        raise Unhandled("recording fields that Lhotse does not take")
    sups = data.get("supervisions") or ()
    for s in sups:
        if not (s.keys() <= _SUP_FIELDS and _SUP_REQUIRED <= s.keys()):
            raise Unhandled("supervision fields that Lhotse does not take")
        tiers = s.get("alignment", {})
        if not isinstance(tiers, dict) or not all(map(_is_tier, tiers.values())):
            raise Unhandled("alignment is not a dict of item lists")
    sups = sorted(sups, key=_by_start)
    if not sups:
        raise Unhandled("no supervisions")
    num_turns = len(sups)
    turn_start = np.fromiter(map(_by_start, sups), np.float64, num_turns)
    turn_end = turn_start + np.fromiter((s["duration"] for s in sups), np.float64, num_turns)
    speakers: dict = {}
    turn_speaker = np.fromiter((speakers.setdefault(s.get("speaker"), len(speakers)) for s in sups),
                               np.int32, num_turns)
    words, word_start, word_end, turn_aligned, turn_word_offsets = _words(
        sups, float(data["start"] or 0.0), turn_start, turn_end)
    return Tables(data["id"], data["start"], data["duration"], turn_start, turn_end, turn_speaker,
                  turn_word_offsets, turn_aligned, words, word_start, word_end,
                  _sentence_ends(words))


def assemble(tables: Tables, text_tokens: np.ndarray, word_token_offsets: np.ndarray,
             speech_tokens: np.ndarray, frame_shift: float) -> SpeechDocument:
    t = tables
    return SpeechDocument(
        cut_id=t.cut_id,
        turn_start=t.turn_start,
        turn_end=t.turn_end,
        turn_speaker=t.turn_speaker,
        turn_word_offsets=t.turn_word_offsets,
        turn_aligned=t.turn_aligned,
        word_start=t.word_start,
        word_end=t.word_end,
        word_sentence_end=t.word_sentence_end,
        word_token_offsets=word_token_offsets,
        text_tokens=text_tokens,
        speech_tokens=speech_tokens,
        frame_shift=frame_shift,
        duration=float(t.duration),
    )


def dict_to_document(data: dict, text_tokenizer) -> SpeechDocument:
    """The document of one parsed manifest line; raises `Unhandled` for the Lhotse path."""
    tables = read_tables(data)
    return assemble(tables, *text_tokenizer.encode_words(tables.words),
                    *cut_speech_tokens(data))


def cut_speech_tokens(data: dict):
    """The cut's speech tokens (int32) and frame shift, checked as convert checks them."""
    custom = data.get("custom") or {}
    manifest = custom.get("speech_tokens")
    if not isinstance(manifest, dict):
        raise Unhandled("no stored speech_tokens")
    # Lhotse builds TemporalArray(**fields) and Array(**fields); other keys leave a dict.
    if not (manifest.keys() <= _TEMPORAL_FIELDS
            and (manifest.get("array") or {}).keys() <= _ARRAY_FIELDS):
        raise Unhandled("speech_tokens fields that Lhotse does not take")
    tokens, frame_shift = read_speech_tokens(manifest, data["start"], data["duration"])
    return checked_speech_tokens(tokens, custom.get("speech_vocab_size"), frame_shift)


def checked_speech_tokens(tokens, vocab_size, frame_shift):
    """Speech tokens as int32 [F] and the frame shift, checked as convert checks them."""
    tokens = np.asarray(tokens)
    if tokens.ndim == 2 and tokens.shape[1] == 1:
        tokens = tokens[:, 0]
    if tokens.ndim != 1 or not (np.issubdtype(tokens.dtype, np.integer) or tokens.size == 0):
        raise Unhandled("speech_tokens is not a 1-D integer array")
    limit = int(vocab_size) if vocab_size is not None else 2**31 - 1
    if tokens.size and (tokens.min() < 0 or tokens.max() >= limit):
        raise Unhandled("speech token outside the vocabulary")
    return tokens.astype(np.int32, copy=False), float(frame_shift or DEFAULT_FRAME_SHIFT)


def parse_line(line: bytes) -> Tuple[dict, Tables]:
    """The parsed JSON of one manifest line and its tables; raises `Unhandled` (or a JSON,
    key or type error) for the Lhotse path."""
    import orjson

    # Parsing makes thousands of short-lived, acyclic objects per line (one list and two
    # floats per word); left to trigger the cyclic collector, they make it sweep the whole
    # heap again and again, which costs more than the parse. Reference counting frees them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        data = orjson.loads(line)
        return data, read_tables(data)
    finally:
        if enabled:
            gc.enable()


def line_to_document(line: bytes, text_tokenizer, where: Where = Where("", ""),
                     speech_tokenizer=None) -> SpeechDocument:
    """The document of one `cuts.jsonl` line: the C++ reader, else the orjson reader, where
    they apply; otherwise Lhotse's deserializer and `spelangy.convert.cut_to_document`
    (same result, same errors)."""
    from .native import native_line_to_document

    try:
        doc = native_line_to_document(line, text_tokenizer)
        if doc is not None:
            return doc
        data, tables = parse_line(line)
        return assemble(tables, *text_tokenizer.encode_words(tables.words),
                        *cut_speech_tokens(data))
    except _FALLBACK:
        pass
    return cut_to_document(cut_from_line(line, where), text_tokenizer, speech_tokenizer, where)
