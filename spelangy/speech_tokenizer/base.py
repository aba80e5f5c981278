# The speech tokenizer interface: what the recipes and the loader need from any tokenizer.
from __future__ import annotations

from pathlib import Path
from typing import Protocol, Union, runtime_checkable

import numpy as np


@runtime_checkable
class SpeechTokenizer(Protocol):
    """Turns mono audio into discrete codes at a fixed frame rate.

    Code f covers [f * frame_shift, (f + 1) * frame_shift) seconds of the input; codes are
    in [0, vocab_size). A user's own tokenizer (a frozen neural codec, FSQ, ...) plugs in
    by having these three members.
    """

    frame_shift: float
    vocab_size: int

    def encode(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        """int32 codes [F] for float32 mono samples [N]."""
        ...


def load_speech_tokenizer(path: Union[str, Path]) -> SpeechTokenizer:
    """Load the built-in tokenizer saved by `FbankKMeansTokenizer.save`."""
    from .fbank_kmeans import FbankKMeansTokenizer

    return FbankKMeansTokenizer.load(path)
