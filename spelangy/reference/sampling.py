# Reference modality sampling: a counter-based draw per (seed, epoch, document, chunk).
from __future__ import annotations

import numpy as np

from ..config import SamplingConfig
from ..vocab import Modality

_MASK = (1 << 64) - 1


def splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def uniform(seed: int, epoch: int, key: int, chunk_index: int) -> float:
    h = splitmix64(seed & _MASK)
    h = splitmix64(h ^ (epoch & _MASK))
    h = splitmix64(h ^ (key & _MASK))
    h = splitmix64(h ^ (chunk_index & _MASK))
    return (h >> 11) * 2.0**-53


def sample_modalities(
    num_chunks: int, key: int, sampling: SamplingConfig, seed: int, epoch: int
) -> np.ndarray:
    first = sampling.first
    other = Modality.TEXT if first == Modality.AUDIO else Modality.AUDIO
    out = np.empty(num_chunks, dtype=np.int8)
    for i in range(num_chunks):
        if i == 0:
            out[i] = first
        elif sampling.mode == "deterministic":
            out[i] = first if i % 2 == 0 else other
        else:
            audio = uniform(seed, epoch, key, i) < sampling.p_audio
            out[i] = Modality.AUDIO if audio else Modality.TEXT
    return out
