# Training settings as small documented dataclasses, the named configs, and config files.
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Dict, Optional

from ..config import LOSS_ON, _DictMixin
from ..errors import SpelangyError


@dataclass
class ModelConfig(_DictMixin):
    """A decoder-only transformer (pre-norm, RoPE, SwiGLU); the vocabulary comes from data."""

    dim: int = 64
    """Width of the residual stream."""
    n_layers: int = 2
    """Transformer blocks; each is one FSDP2 unit."""
    n_heads: int = 4
    """Attention heads; `dim` must divide evenly."""
    ffn_hidden: int = 0
    """SwiGLU hidden width; 0 picks the usual 8/3 * dim rounded up to a multiple of 64."""
    rope_theta: float = 10000.0
    """RoPE base frequency."""
    norm_eps: float = 1e-5
    """RMSNorm epsilon."""
    init_std: float = 0.02
    """Std of the normal init of text/special embeddings and linear weights; speech embedding
    rows are Xavier normal instead, as the paper initialised its new speech tokens."""

    def __post_init__(self):
        for name in ("dim", "n_layers", "n_heads"):
            if getattr(self, name) < 1:
                raise SpelangyError(f"ModelConfig.{name} must be positive, got {getattr(self, name)}")
        if self.dim % self.n_heads or (self.dim // self.n_heads) % 2:
            raise SpelangyError(
                f"ModelConfig.dim ({self.dim}) must split into {self.n_heads} heads of even width"
            )
        if self.ffn_hidden < 0:
            raise SpelangyError(f"ModelConfig.ffn_hidden must be >= 0, got {self.ffn_hidden}")
        if self.ffn_hidden == 0:
            self.ffn_hidden = -(-(8 * self.dim // 3) // 64) * 64


@dataclass
class OptimConfig(_DictMixin):
    """AdamW with linear warmup then cosine decay to `min_lr_ratio * lr`."""

    lr: float = 3e-3
    """Peak learning rate."""
    weight_decay: float = 0.1
    """AdamW decoupled weight decay."""
    betas: tuple = (0.9, 0.95)
    """AdamW betas."""
    warmup_steps: int = 20
    """Steps of linear warmup from lr / warmup_steps."""
    decay_steps: int = 0
    """Steps of cosine decay after warmup; 0 uses the run's --steps."""
    min_lr_ratio: float = 0.1
    """Floor of the cosine decay as a fraction of `lr`."""
    grad_clip: float = 1.0
    """Max global gradient norm; 0 disables clipping."""

    def __post_init__(self):
        self.betas = tuple(float(b) for b in self.betas)
        if not self.lr > 0:
            raise SpelangyError(f"OptimConfig.lr must be positive, got {self.lr}")
        if self.warmup_steps < 0 or self.decay_steps < 0:
            raise SpelangyError("OptimConfig.warmup_steps and decay_steps must be >= 0")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            raise SpelangyError(f"OptimConfig.min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}")
        if self.grad_clip < 0:
            raise SpelangyError(f"OptimConfig.grad_clip must be >= 0, got {self.grad_clip}")


@dataclass
class DataConfig(_DictMixin):
    """What the loader reads and how it mixes, chunks, samples and packs (paper: RQ1-RQ3)."""

    seq_len: int = 128
    """Tokens per packed row (the paper used 16,384)."""
    batch_size: int = 4
    """Rows per batch on each data-parallel rank."""
    text_weight: float = 0.6
    """Token share of text-only sources; speech-text sources share the rest."""
    speech_weights: Dict[str, float] = field(default_factory=dict)
    """Relative weights of speech-text subsets (manifest stem -> weight); empty: equal."""
    chunking: str = "fine"
    """`coarse` or `fine` (ChunkingConfig.mode)."""
    sampling: str = "deterministic"
    """`deterministic` or `stochastic` (SamplingConfig.mode)."""
    loss_on: str = "all"
    """`all`, `text` (the paper's audio-loss-masked setting) or `audio`."""
    num_workers: int = 1
    """DataLoader worker processes per rank; 0 loads in the training process."""
    num_epochs: Optional[int] = None
    """Passes over every source, every rank yielding as many batches; None: endless."""

    def __post_init__(self):
        if self.seq_len < 2 or self.batch_size < 1:
            raise SpelangyError("DataConfig.seq_len must be >= 2 and batch_size >= 1")
        if not 0.0 <= self.text_weight <= 1.0:
            raise SpelangyError(f"DataConfig.text_weight must be in [0, 1], got {self.text_weight}")
        if any(w <= 0 for w in self.speech_weights.values()):
            raise SpelangyError(f"DataConfig.speech_weights must be positive, got {self.speech_weights}")
        if self.loss_on not in LOSS_ON:
            raise SpelangyError(f"DataConfig.loss_on must be one of {LOSS_ON}, got {self.loss_on!r}")
        if self.num_workers < 0:
            raise SpelangyError(f"DataConfig.num_workers must be >= 0, got {self.num_workers}")
        if self.num_epochs is not None and self.num_epochs < 1:
            raise SpelangyError(f"DataConfig.num_epochs must be >= 1 or None, got {self.num_epochs}")


@dataclass
class TrainConfig:
    """One training run: model, optimizer, data, and the loop's own settings."""

    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    seed: int = 0
    """Seeds the model init and the loader's streams."""
    checkpoint_every: int = 100
    """Save a checkpoint every this many steps (and always at the last step); 0: only last."""
    log_every: int = 10
    """Print a console line every this many steps; metrics.jsonl gets every step."""
    bf16: bool = True
    """On GPU, run the model in bfloat16 autocast (fp32 master weights); CPU stays fp32."""

    def __post_init__(self):
        if self.checkpoint_every < 0 or self.log_every < 1:
            raise SpelangyError("TrainConfig.checkpoint_every must be >= 0 and log_every >= 1")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise SpelangyError(f"TrainConfig: unknown settings {sorted(unknown)}")
        parts = {"model": ModelConfig, "optim": OptimConfig, "data": DataConfig}
        kwargs = {k: (parts[k].from_dict(v) if k in parts else v) for k, v in d.items()}
        return cls(**kwargs)


def _tiny() -> TrainConfig:
    # Small enough for 2 CPU processes to train a few hundred steps in minutes.
    return TrainConfig(
        model=ModelConfig(dim=64, n_layers=2, n_heads=4),
        optim=OptimConfig(lr=3e-3, warmup_steps=20),
        data=DataConfig(seq_len=256, batch_size=4),
        checkpoint_every=100, log_every=20, bf16=False,
    )


def _100m() -> TrainConfig:
    # ~100M parameters with a ~10k vocabulary; meant for one or more GPUs.
    return TrainConfig(
        model=ModelConfig(dim=768, n_layers=12, n_heads=12),
        optim=OptimConfig(lr=6e-4, warmup_steps=200),
        data=DataConfig(seq_len=4096, batch_size=8, num_workers=2),
        checkpoint_every=500, log_every=10, bf16=True,
    )


NAMED_CONFIGS = {"tiny": _tiny, "100m": _100m}


def load_config(name_or_file: str) -> TrainConfig:
    """A named config (`tiny`, `100m`) or a JSON/TOML file of `TrainConfig.to_dict()` shape.

    A file may name a base with `"base": "tiny"`; its other settings override the base's.
    """
    if name_or_file in NAMED_CONFIGS:
        return NAMED_CONFIGS[name_or_file]()
    path = Path(name_or_file)
    if not path.is_file():
        raise SpelangyError(
            f"--config {name_or_file!r} is neither a named config {sorted(NAMED_CONFIGS)} nor a file"
        )
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            import tomllib

            d = tomllib.loads(text)
        else:
            d = json.loads(text)
    except ValueError as e:
        raise SpelangyError(f"config file {path} cannot be parsed: {e}") from None
    base = d.pop("base", None)
    if base is not None and base not in NAMED_CONFIGS:
        raise SpelangyError(f"config file {path}: unknown base {base!r}")
    merged = NAMED_CONFIGS[base]().to_dict() if base else {}
    for k, v in d.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = {**merged[k], **v}
        else:
            merged[k] = v
    try:
        return TrainConfig.from_dict(merged)
    except (TypeError, ValueError) as e:
        raise SpelangyError(f"config file {path}: {e}") from None


def save_config(cfg: TrainConfig, path: Path) -> None:
    Path(path).write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
