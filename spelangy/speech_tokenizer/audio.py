# Small audio helpers shared by the speech tokenizer and the recipes: mono float32, resampling.
from __future__ import annotations

import numpy as np


def mono(samples: np.ndarray) -> np.ndarray:
    """float32 [N] from [N] or Lhotse's [channels, N] (channels averaged)."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=0)
    return np.ascontiguousarray(samples)


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Resample mono float32 audio with Lhotse's own torch resampler (no torchaudio/scipy)."""
    if int(source_rate) == int(target_rate):
        return samples
    import torch
    from lhotse.augmentation.torchaudio import get_or_create_resampler

    resampler = get_or_create_resampler(int(source_rate), int(target_rate))
    return resampler(torch.from_numpy(np.ascontiguousarray(samples)[None, :]))[0].numpy().astype(np.float32)
