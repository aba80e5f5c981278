# A document's speech frames, whatever their origin: stored arrays or a tokenizer on the fly.
"""One frame rule for every cut and origin (docs/semantics.md, "Reading cuts"):

- A cut of D seconds has F = `seconds_to_frames(D, frame_shift)` frames (Lhotse's rounding,
  half up); frame f covers [f * frame_shift, (f + 1) * frame_shift) from the cut start.
- Stored codes (`custom["speech_tokens"]`): a MonoCut or MultiCut takes the slice Lhotse's
  `load_custom` gives (the array's own `start` says where in the recording it begins). A
  MixedCut places the slice of each audible track that has codes at frame
  `seconds_to_frames(track.offset)`; every other frame is NO_AUDIO (padding, or a track
  without codes). Two such tracks over one frame are an error: the mix has no stored codes.
- Codes made on the fly: the tokenizer over the cut's audio (mono; a MixedCut's mix);
  frames of a MixedCut that no audible non-padding track covers are NO_AUDIO.
- At most F codes are kept; codes that fall short of F by more than one frame are an
  error: they are not the cut's codes (typically an array stored from the recording start
  for a cut that starts later).
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import numpy as np

from ..documents import DEFAULT_FRAME_SHIFT, NO_AUDIO
from ..errors import Where
from .audio import load_mono

SPEECH_TOKENS = "speech_tokens"  # the custom field that holds a cut's stored codes


def frame_count(duration: float, frame_shift: float) -> int:
    """Frames of `duration` seconds, exactly as `lhotse.array.seconds_to_frames` counts them
    (the ratio rounded to 8 decimals, then half up), without its Decimal: this runs once per
    document."""
    x = round(max(float(duration), 0.0) / frame_shift, 8)
    whole = math.floor(x)
    return whole + (x - whole >= 0.5)  # x - whole is exact: the tie goes up, as in Lhotse


def audible_tracks(cut) -> List[Tuple[object, float]]:
    """`(data cut, offset in seconds)` for the parts of `cut` that hold audio: the cut itself
    for a MonoCut or MultiCut; the audible tracks of a MixedCut that are not padding (a
    muted track is silent unless every track is, as Lhotse mixes them)."""
    from lhotse.cut import MixedCut
    from lhotse.cut.data import DataCut

    if isinstance(cut, DataCut):
        return [(cut, 0.0)]
    if isinstance(cut, MixedCut):
        tracks = [t for t in cut.tracks if not t.mute] or cut.tracks
        out = []
        for t in tracks:
            out += [(part, t.offset + offset) for part, offset in audible_tracks(t.cut)]
        return out
    return []  # a PaddingCut


def declared_vocab_size(line: bytes) -> Optional[int]:
    """The codebook size a MonoCut line declares in `custom["speech_vocab_size"]`, read
    from its JSON alone (importing Lhotse, and torch with it, takes seconds); None when
    the line is anything else, which Lhotse's reading then answers."""
    import orjson

    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    custom = data.get("custom") if isinstance(data, dict) and data.get("type") == "MonoCut" \
        else None
    size = custom.get("speech_vocab_size") if isinstance(custom, dict) else None
    return size if isinstance(size, int) and not isinstance(size, bool) else None


def vocab_limit(vocab_size, what: str, where: Where, cut_id: str) -> Optional[int]:
    """`custom["speech_vocab_size"]` as an int (None when absent), or an error naming it."""
    if vocab_size is None:
        return None
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, float)) \
            or vocab_size != int(vocab_size) or vocab_size < 1:
        raise where.error(f"speech_vocab_size of {what} must be a positive integer, got "
                          f"{vocab_size!r}", cut_id)
    return int(vocab_size)


def check_codes(codes, vocab_size: Optional[int], what: str, where: Where,
                cut_id: str) -> np.ndarray:
    """The one check of speech codes from any origin: int32 [N] in [0, vocab_size)."""
    codes = np.asarray(codes)
    if codes.ndim == 2 and codes.shape[1] == 1:
        codes = codes[:, 0]
    if codes.ndim != 1 or not (np.issubdtype(codes.dtype, np.integer) or codes.size == 0):
        raise where.error(f"{what} must be a 1-D integer array, got dtype {codes.dtype} "
                          f"shape {codes.shape}", cut_id)
    limit = vocab_size if vocab_size is not None else 2**31 - 1
    if codes.size and (codes.min() < 0 or codes.max() >= limit):
        bad = int(codes.min()) if codes.min() < 0 else int(codes.max())
        raise where.error(f"{what} has id {bad} outside [0, {limit})"
                          + (" (speech_vocab_size)" if vocab_size is not None else ""), cut_id)
    return codes.astype(np.int32, copy=False)


def fit_codes(codes: np.ndarray, duration: float, frame_shift: float, what: str, where: Where,
              cut_id: str) -> np.ndarray:
    """The first F codes of a span of `duration` seconds; an error when they fall short of F
    by more than one frame."""
    num_frames = frame_count(duration, frame_shift)
    if len(codes) < num_frames - 1:
        raise where.error(
            f"{what} has {len(codes)} frames, but the cut's {duration:g} s are {num_frames} "
            f"frames of {frame_shift:g} s: the codes do not cover the cut (stored codes must "
            f"start where the cut starts in its recording, see attach_speech_tokens)", cut_id)
    return codes[:num_frames]


def stored_codes(codes, vocab_size, frame_shift, duration: float, where: Where,
                 cut_id: str) -> Tuple[np.ndarray, float]:
    """A data cut's stored codes, as loaded (its slice), checked and fitted: (int32 [<= F],
    frame shift). `frame_shift` is None for an `Array` without a time axis."""
    frame_shift = float(frame_shift or DEFAULT_FRAME_SHIFT)
    codes = check_codes(codes, vocab_limit(vocab_size, SPEECH_TOKENS, where, cut_id),
                        SPEECH_TOKENS, where, cut_id)
    return fit_codes(codes, duration, frame_shift, SPEECH_TOKENS, where, cut_id), frame_shift


def _load_stored(cut, where: Where, cut_id: str) -> Tuple[np.ndarray, float, object]:
    """(codes, frame shift, vocab size) of a data cut's `speech_tokens`."""
    try:
        codes = cut.load_custom(SPEECH_TOKENS)
    except Exception as exc:  # any storage backend failure: name the cut, keep the cause
        raise where.error(f"cannot read speech_tokens: {exc!r}", cut_id) from exc
    manifest = cut.custom[SPEECH_TOKENS]
    codes, frame_shift = stored_codes(codes, cut.custom.get("speech_vocab_size"),
                                      getattr(manifest, "frame_shift", None), cut.duration,
                                      where, cut_id)
    return codes, frame_shift, cut.custom.get("speech_vocab_size")


def _has_stored(cut) -> bool:
    return SPEECH_TOKENS in (getattr(cut, "custom", None) or {})


def _placed(tracks, total: float, frame_shift: float, parts, where: Where, cut_id: str):
    """Codes of a whole MixedCut from per-track codes placed at the tracks' offsets."""
    out = np.full(frame_count(total, frame_shift), NO_AUDIO, np.int32)
    for (part, offset), codes in zip(tracks, parts):
        if codes is None:
            continue
        begin = min(frame_count(offset, frame_shift), len(out))
        span = out[begin:begin + len(codes)]
        if (span != NO_AUDIO).any():
            raise where.error(
                f"MixedCut tracks overlap in time and more than one carries speech_tokens "
                f"(track cut {part.id!r} at {offset:g} s): a mix has no stored codes; make "
                f"them on the fly with a speech_tokenizer", cut_id)
        span[:] = codes[:len(span)]
    return out


def _mixed_stored(cut, tracks, where: Where) -> Tuple[np.ndarray, float]:
    loaded = [_load_stored(part, where, cut.id) if _has_stored(part) else None
              for part, _ in tracks]
    shifts = {x[1] for x in loaded if x is not None}
    sizes = {x[2] for x in loaded if x is not None}
    if len(shifts) > 1 or len(sizes) > 1:
        raise where.error(f"the tracks' speech_tokens differ in frame_shift {sorted(shifts)} "
                          f"or speech_vocab_size {sorted(map(str, sizes))}", cut.id)
    frame_shift = shifts.pop()
    parts = [None if x is None else x[0] for x in loaded]
    return _placed(tracks, cut.duration, frame_shift, parts, where, cut.id), frame_shift


def _on_the_fly(cut, tracks, speech_tokenizer, where: Where) -> Tuple[np.ndarray, float]:
    from lhotse.cut.data import DataCut

    frame_shift = float(speech_tokenizer.frame_shift)
    what = f"speech tokenizer {type(speech_tokenizer).__name__} output"
    codes = check_codes(speech_tokenizer.encode(load_mono(cut, where), cut.sampling_rate),
                        int(speech_tokenizer.vocab_size), what, where, cut.id)
    codes = fit_codes(codes, cut.duration, frame_shift, what, where, cut.id)
    if isinstance(cut, DataCut):
        return codes, frame_shift
    # A mix: only the frames its audible tracks cover are audio; the rest is padding.
    out = _coverage(tracks, cut.duration, frame_shift)
    covered = (out != NO_AUDIO)[:len(codes)]
    out[:len(codes)][covered] = codes[covered]
    return out, frame_shift


def _coverage(tracks, total: float, frame_shift: float) -> np.ndarray:
    """0 on the frames some track covers (each its F frames from its offset), NO_AUDIO
    elsewhere."""
    out = np.full(frame_count(total, frame_shift), NO_AUDIO, np.int32)
    for part, offset in tracks:
        begin = frame_count(offset, frame_shift)
        out[begin:begin + frame_count(part.duration, frame_shift)] = 0
    return out


def cut_speech_tokens(cut, speech_tokenizer, where: Where) -> Tuple[np.ndarray, float]:
    """The speech codes of any cut (int32, NO_AUDIO where it has no audio) and their frame
    shift: stored codes where the cut (or a track of a MixedCut) has them, else made by
    `speech_tokenizer` from the audio, else an error naming the cut."""
    tracks = audible_tracks(cut)
    stored = [part for part, _ in tracks if _has_stored(part)]
    if stored and len(tracks) == 1 and tracks[0][0] is cut:
        return _load_stored(cut, where, cut.id)[:2]
    if stored:
        return _mixed_stored(cut, tracks, where)
    if speech_tokenizer is not None:
        return _on_the_fly(cut, tracks, speech_tokenizer, where)
    raise where.error("cut has no speech_tokens and no speech_tokenizer was given", cut.id)
