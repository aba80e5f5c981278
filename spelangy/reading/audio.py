# The one audio loader: a cut's samples as mono float32, or an error naming the cut.
from __future__ import annotations

import numpy as np

from ..errors import Where


def mono(samples: np.ndarray) -> np.ndarray:
    """float32 [N] from [N] or Lhotse's [channels, N] (channels averaged)."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=0)
    return np.ascontiguousarray(samples)


def short_reason(error: Exception) -> str:
    """The first lines of an audio loading error: Lhotse appends the whole cut to it."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()][:2]
    return " ".join(lines)[:400]


def audio_path(cut) -> str:
    """The first audio source of the cut's recording, for messages ("" when there is none)."""
    sources = getattr(getattr(cut, "recording", None), "sources", None) or []
    return str(sources[0].source) if sources else ""


def load_mono(cut, where: Where = None) -> np.ndarray:
    """The cut's audio (a MixedCut's mix, padding as silence) as mono float32 [N]."""
    where = where or Where("", audio_path(cut))
    if not cut.has_recording:
        has_features = getattr(cut, "has_features", False)
        raise where.error("cut has no recording to load audio from"
                          + (" (it has features only, and speech tokens are made from audio)"
                             if has_features else ""), cut.id)
    try:
        samples = cut.load_audio()
    except Exception as exc:  # missing file, unreadable codec, truncated data: all bad input
        raise where.error(f"cannot load audio: {short_reason(exc)}", cut.id) from exc
    return mono(samples)
