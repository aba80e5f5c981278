# Loader settings as small picklable dataclasses, validated on construction.
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Optional

from .vocab import Modality

CHUNKING_MODES = ("coarse", "fine")
SAMPLING_MODES = ("deterministic", "stochastic")
PACKING_MODES = ("concat", "best_fit")
LOSS_ON = ("all", "text", "audio")
DEFAULT_MAX_CHUNK_DURATION = {"coarse": 30.0, "fine": 10.0}


class _DictMixin:
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown settings {sorted(unknown)}")
        return cls(**d)


def _check_choice(owner: str, name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{owner}.{name} must be one of {choices}, got {value!r}")


@dataclass
class ChunkingConfig(_DictMixin):
    """How a document's turns become (audio, transcript) chunks (paper: RQ1)."""

    mode: str = "fine"
    """`coarse`: merge consecutive same-speaker turns; `fine`: one chunk per turn, long turns
    split at sentence ends."""
    max_chunk_duration: Optional[float] = None
    """Longest chunk in seconds; None picks 30 s for coarse and 10 s for fine."""

    def __post_init__(self):
        _check_choice("ChunkingConfig", "mode", self.mode, CHUNKING_MODES)
        if self.max_chunk_duration is None:
            self.max_chunk_duration = DEFAULT_MAX_CHUNK_DURATION[self.mode]
        if not self.max_chunk_duration > 0:
            raise ValueError(
                f"ChunkingConfig.max_chunk_duration must be positive, got {self.max_chunk_duration}"
            )
        self.max_chunk_duration = float(self.max_chunk_duration)


@dataclass
class SamplingConfig(_DictMixin):
    """Which modality each chunk appears in (paper: RQ3)."""

    mode: str = "deterministic"
    """`deterministic`: strict alternation; `stochastic`: first chunk fixed, others drawn."""
    p_audio: float = 0.5
    """Probability that a non-first chunk is audio in `stochastic` mode."""
    first_modality: str = "audio"
    """Modality of the first chunk: `audio` or `text`."""

    def __post_init__(self):
        _check_choice("SamplingConfig", "mode", self.mode, SAMPLING_MODES)
        _check_choice("SamplingConfig", "first_modality", self.first_modality, ("audio", "text"))
        if not 0.0 <= self.p_audio <= 1.0:
            raise ValueError(f"SamplingConfig.p_audio must be in [0, 1], got {self.p_audio}")
        self.p_audio = float(self.p_audio)

    @property
    def first(self) -> Modality:
        return Modality.AUDIO if self.first_modality == "audio" else Modality.TEXT


@dataclass
class PackingConfig(_DictMixin):
    """How documents are packed into fixed-length rows and rows into batches."""

    seq_len: int = 16384
    """Tokens per row."""
    batch_size: int = 1
    """Rows per batch."""
    mode: str = "concat"
    """`concat`: end to end, documents split across rows, no padding; `best_fit`: documents
    kept whole where they fit, rows padded."""
    best_fit_open_rows: int = 16
    """`best_fit` only: rows kept open at once before the fullest is emitted."""
    max_document_rows: int = 64
    """A document longer than this many rows is bad input (an error, or a counted skip)."""

    def __post_init__(self):
        _check_choice("PackingConfig", "mode", self.mode, PACKING_MODES)
        if self.seq_len < 2:
            raise ValueError(f"PackingConfig.seq_len must be at least 2, got {self.seq_len}")
        if self.batch_size < 1:
            raise ValueError(f"PackingConfig.batch_size must be at least 1, got {self.batch_size}")
        if self.max_document_rows < 1:
            raise ValueError(
                f"PackingConfig.max_document_rows must be at least 1, got {self.max_document_rows}"
            )
        if self.best_fit_open_rows < 1:
            raise ValueError(
                f"PackingConfig.best_fit_open_rows must be at least 1, got {self.best_fit_open_rows}"
            )


def loss_modalities(loss_on: str) -> frozenset:
    """The target modalities that carry loss for a `loss_on` setting."""
    _check_choice("InterleavedDataset", "loss_on", loss_on, LOSS_ON)
    shared = {Modality.SPECIAL}
    if loss_on in ("all", "text"):
        shared.add(Modality.TEXT)
    if loss_on in ("all", "audio"):
        shared.add(Modality.AUDIO)
    return frozenset(shared)


def loss_mask_bits(loss_on: str) -> int:
    """The loss set as a bitmask over modality codes, as the C++ core and kernel take it."""
    return sum(1 << int(m) for m in loss_modalities(loss_on))
