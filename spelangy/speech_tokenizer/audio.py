# Resampling for the speech tokenizer and the recipes (mono float32 in, mono float32 out).
from __future__ import annotations

import numpy as np


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Resample mono float32 audio with Lhotse's own torch resampler (no torchaudio/scipy)."""
    if int(source_rate) == int(target_rate):
        return samples
    import torch
    from lhotse.augmentation.torchaudio import get_or_create_resampler

    resampler = get_or_create_resampler(int(source_rate), int(target_rate))
    return resampler(torch.from_numpy(np.ascontiguousarray(samples)[None, :]))[0].numpy().astype(np.float32)
