# The built-in speech tokenizer: 100 Hz filterbanks stacked to 12.5 Hz, quantized by k-means.
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Tuple, Union

import numpy as np

from ..errors import SpelangyError
from ..reading.audio import mono
from .audio import resample
from .kmeans import kmeans, nearest

FBANK_SHIFT = 0.01  # Lhotse's Fbank frame shift (100 Hz)
_FORMAT = "spelangy-fbank-kmeans-1"


@dataclass
class FbankKMeansTokenizer:
    """Speech codes without downloaded weights, in the spirit of HuBERT's first iteration
    (k-means over MFCCs): log-mel filterbanks at 100 Hz, `stack` consecutive frames joined
    into one vector (8 -> 12.5 Hz), each dimension normalised by the training mean and std,
    then the index of the nearest k-means centroid.

    Frame f covers [f * frame_shift, (f + 1) * frame_shift); audio of N samples gives
    `round(N / (frame_shift * sampling_rate))` codes (Lhotse's `compute_num_frames`), the
    last fbank frame repeated where the final stack runs past the audio.
    """

    centroids: np.ndarray  # float32 [K, stack * num_filters], in normalised space
    mean: np.ndarray  # float32 [stack * num_filters]
    std: np.ndarray  # float32 [stack * num_filters]
    num_filters: int = 80
    stack: int = 8
    sampling_rate: int = 16000

    def __post_init__(self):
        dim = self.stack * self.num_filters
        if self.centroids.ndim != 2 or self.centroids.shape[1] != dim:
            raise SpelangyError(
                f"FbankKMeansTokenizer: centroids must be [K, {dim}], got {self.centroids.shape}"
            )
        self.centroids = np.ascontiguousarray(self.centroids, dtype=np.float32)
        self.mean = np.asarray(self.mean, dtype=np.float32)
        self.std = np.asarray(self.std, dtype=np.float32)

    @property
    def frame_shift(self) -> float:
        return self.stack * FBANK_SHIFT

    @property
    def vocab_size(self) -> int:
        return len(self.centroids)

    def encode(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        """int32 codes [F] for mono audio."""
        feats = stacked_fbank(samples, sampling_rate, num_filters=self.num_filters,
                              stack=self.stack, target_rate=self.sampling_rate)
        return self.quantize(feats)

    def quantize(self, feats: np.ndarray) -> np.ndarray:
        if len(feats) == 0:
            return np.zeros(0, dtype=np.int32)
        return nearest((feats - self.mean) / self.std, self.centroids)

    def save(self, path: Union[str, Path]) -> None:
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, format=np.array(_FORMAT), centroids=self.centroids, mean=self.mean,
                 std=self.std, num_filters=self.num_filters, stack=self.stack,
                 sampling_rate=self.sampling_rate)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Union[str, Path]) -> "FbankKMeansTokenizer":
        try:
            with np.load(path) as data:
                if str(data["format"]) != _FORMAT:
                    raise SpelangyError(f"{path}: not a spelangy fbank k-means tokenizer")
                return cls(centroids=data["centroids"], mean=data["mean"], std=data["std"],
                           num_filters=int(data["num_filters"]), stack=int(data["stack"]),
                           sampling_rate=int(data["sampling_rate"]))
        except (OSError, KeyError, ValueError) as e:
            if isinstance(e, SpelangyError):
                raise
            raise SpelangyError(f"cannot read speech tokenizer {path}: {e}") from e


def stacked_fbank(samples: np.ndarray, sampling_rate: int, *, num_filters: int = 80,
                  stack: int = 8, target_rate: int = 16000) -> np.ndarray:
    """Filterbank frames stacked by `stack`: float32 [F, stack * num_filters]."""
    from lhotse.features import Fbank, FbankConfig
    from lhotse.utils import compute_num_frames_from_samples

    samples = mono(samples)
    if samples.ndim != 1:
        raise SpelangyError(f"speech tokenizer: expected mono audio, got shape {samples.shape}")
    samples = resample(samples, sampling_rate, target_rate)
    num = compute_num_frames_from_samples(len(samples), stack * FBANK_SHIFT, target_rate)
    if num == 0:
        return np.zeros((0, stack * num_filters), dtype=np.float32)
    fbank = Fbank(FbankConfig(sampling_rate=target_rate, num_filters=num_filters))
    frames = fbank.extract(samples, target_rate)
    need = num * stack
    if len(frames) < need:
        frames = np.concatenate([frames, np.repeat(frames[-1:], need - len(frames), axis=0)])
    return np.ascontiguousarray(frames[:need].reshape(num, stack * num_filters), dtype=np.float32)


AudioItem = Union[Tuple[np.ndarray, int], object]  # (samples, sampling_rate) or a Lhotse cut


def _audio_of(item) -> Tuple[np.ndarray, int]:
    from ..reading.audio import load_mono

    if isinstance(item, tuple):
        return item
    return load_mono(item), item.sampling_rate


def train_speech_tokenizer(audio: Iterable[AudioItem], num_codes: int = 256, *, seed: int = 0,
                           max_frames: int = 60_000, num_iters: int = 25, num_filters: int = 80,
                           stack: int = 8, sampling_rate: int = 16000,
                           progress: bool = True) -> FbankKMeansTokenizer:
    """Train a `FbankKMeansTokenizer` on cuts or (samples, sampling_rate) pairs.

    At most `max_frames` stacked frames (drawn with `seed`) train the codebook; the same
    inputs and seed give the same tokenizer.
    """
    from tqdm import tqdm

    if num_codes < 2:
        raise SpelangyError(f"num_codes must be at least 2, got {num_codes}")
    feats = []
    for item in tqdm(audio, desc="fbank", unit="rec", disable=not progress):
        samples, rate = _audio_of(item)
        feats.append(stacked_fbank(mono(samples), rate, num_filters=num_filters, stack=stack,
                                   target_rate=sampling_rate))
    x = np.concatenate(feats) if feats else np.zeros((0, stack * num_filters), np.float32)
    if len(x) < num_codes:
        raise SpelangyError(
            f"speech tokenizer: {len(x)} frames of {stack * FBANK_SHIFT:g} s are too few to "
            f"train {num_codes} codes; give more audio or lower num_codes"
        )
    rng = np.random.default_rng(seed)
    if len(x) > max_frames:
        x = x[np.sort(rng.choice(len(x), size=max_frames, replace=False))]
    mean = x.mean(axis=0)
    std = np.maximum(x.std(axis=0), 1e-5)
    centroids = kmeans((x - mean) / std, num_codes, seed=seed, num_iters=num_iters)
    return FbankKMeansTokenizer(centroids, mean, std, num_filters=num_filters, stack=stack,
                                sampling_rate=sampling_rate)
