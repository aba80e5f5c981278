# The Trainer: owns the loop, FSDP2 sharding, optimizer, schedule, loader and checkpoints.
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable, List, Optional

import numpy as np
import torch
import torch.distributed as dist

from ..errors import SpelangyError
from .checkpoint import Checkpointer
from .config import OptimConfig, TrainConfig, save_config
from .loss import lm_loss
from .metrics import StepMetrics, Stopwatch, batch_fingerprint, source_tokens, summary
from .model import SpeechTextLM

DatasetFn = Callable[..., "torch.utils.data.IterableDataset"]


def lr_lambda(cfg: OptimConfig, total_steps: int) -> Callable[[int], float]:
    """Linear warmup to 1, then cosine to `min_lr_ratio` over `decay_steps` (or the rest)."""
    warmup = cfg.warmup_steps
    decay = cfg.decay_steps or max(1, total_steps - warmup)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / decay)
        return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def shard_model(model: torch.nn.Module, bf16: bool) -> None:
    """FSDP2: one unit per transformer block, then the root (embedding, final norm, head)."""
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    mp = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32) if bf16 \
        else MixedPrecisionPolicy()
    for i, block in enumerate(model.blocks):
        # The last block's parameters are needed at once by backward: keep them gathered.
        fully_shard(block, mp_policy=mp, reshard_after_forward=i < len(model.blocks) - 1)
    fully_shard(model, mp_policy=mp)


class Trainer:
    """Trains `SpeechTextLM` on the batches of `dataset_fn(rank=, world_size=, output=)`.

    The process group must be initialised (see `spelangy.train.launch`). Data work stays in
    DataLoader workers on the CPU; on a GPU the ragged batch crosses to the device and is
    packed there (`spelangy.DevicePacker`). Every step is logged (`metrics.jsonl`); the
    model, optimizer, schedule and loader state are checkpointed together.
    """

    def __init__(self, cfg: TrainConfig, output_dir, steps: int, dataset_fn: DatasetFn,
                 resume: bool = False, source_names: Optional[List[str]] = None):
        if steps < 1:
            raise SpelangyError(f"--steps must be at least 1, got {steps}")
        self.cfg, self.steps = cfg, steps
        self.output_dir = Path(output_dir)
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        self.device = _device()
        self.bf16 = cfg.bf16 and self.device.type == "cuda"

        ragged = self.device.type == "cuda"
        self.dataset = dataset_fn(rank=self.rank, world_size=self.world_size,
                                  output="ragged" if ragged else "packed")
        self.vocab = self.dataset.vocab
        self.packer = _device_packer(self.device) if ragged else None
        self.source_names = source_names or [s.name for s in self.dataset.sources]

        torch.manual_seed(cfg.seed)  # the same full weights on every rank, then sharded
        self.model = SpeechTextLM(cfg.model, self.vocab).to(self.device)
        self.num_parameters = self.model.num_parameters()
        shard_model(self.model, self.bf16)
        decay = [p for p in self.model.parameters() if p.ndim >= 2]
        no_decay = [p for p in self.model.parameters() if p.ndim < 2]
        o = cfg.optim
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": o.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=o.lr, betas=o.betas,
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda(o, steps))

        from ..state import LoaderStateTracker

        self.tracker = LoaderStateTracker()
        self.checkpointer = Checkpointer(self.output_dir, self.rank, self.world_size)
        self.metrics = StepMetrics(self.output_dir, self.source_names, cfg.log_every,
                                   self.device, self.rank, self.world_size)
        self.start_step = self._restore() if resume else self._fresh()

    def _fresh(self) -> int:
        if self.checkpointer.latest() is not None:
            raise SpelangyError(
                f"{self.checkpointer.root} already holds checkpoints: pass --resume to continue "
                f"that run, or choose another --output-dir"
            )
        self.metrics.start(0)
        return 0

    def _restore(self) -> int:
        step = self.checkpointer.latest()
        if step is None:
            self._log(f"no checkpoint under {self.checkpointer.root}: starting from step 0")
            return self._fresh()
        loader_states, extra = self.checkpointer.load(
            step, self.model, self.optimizer, self.scheduler,
            extra={"source_tokens": {n: 0 for n in self.source_names}},
        )
        # Every rank's state: exact on the saved topology, elastic on another.
        self.dataset.load_state_dict(loader_states, reshard=True)
        self.tracker.load_state_dict(self.dataset.state_dict())
        self.metrics.source_totals = {k: int(v) for k, v in extra["source_tokens"].items()}
        self.metrics.start(step)
        self._log(f"resumed from {self.checkpointer.path(step)} at step {step}")
        return step

    def _log(self, message: str) -> None:
        if self.rank == 0:
            print(f"[train] {message}", flush=True)

    def _loader(self):
        workers = self.cfg.data.num_workers
        return torch.utils.data.DataLoader(
            self.dataset, batch_size=None, num_workers=workers,
            pin_memory=self.device.type == "cuda", persistent_workers=False,
            prefetch_factor=4 if workers else None,
        )

    def _to_device(self, batch):
        if self.packer is not None:
            return self.packer(batch)
        return batch.to(self.device, non_blocking=True)

    def train(self) -> List[dict]:
        """Run from the restored step to `steps`; return this process's metric records."""
        if self.rank == 0:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            save_config(self.cfg, self.output_dir / "config.json")
        self._log(
            f"{self.num_parameters / 1e6:.2f}M parameters, vocab {self.vocab.vocab_size} "
            f"(text {self.vocab.text_vocab_size}, speech {self.vocab.bos - self.vocab.speech_offset}), "
            f"{self.world_size} rank(s) on {self.device.type}, steps {self.start_step + 1}..{self.steps}"
        )
        records = []
        if self.start_step >= self.steps:
            self._log(f"already at step {self.start_step}: nothing to do")
            return records
        batches = iter(self._loader())
        watch = Stopwatch()
        every = self.cfg.checkpoint_every
        for step in range(self.start_step + 1, self.steps + 1):
            t0 = time.perf_counter()
            batch = next(batches, None)
            if batch is None:
                raise SpelangyError(f"the loader ran out of batches at step {step}: set num_epochs=None")
            wait = time.perf_counter() - t0
            self.tracker.update(batch)
            fingerprint = batch_fingerprint(np.asarray(batch.tokens), batch.receipts)
            counts = source_tokens(batch.receipts, self.source_names)
            record = self._step(step, self._to_device(batch), wait, watch, fingerprint, counts)
            records.append(record)
            if (every and step % every == 0) or step == self.steps:
                self.checkpointer.save(step, self.model, self.optimizer, self.scheduler,
                                       self.tracker.state_dict(),
                                       extra={"source_tokens": dict(self.metrics.source_totals)})
        self._log(f"done at step {self.steps}\n{summary(records)}")
        return records

    def _step(self, step, batch, wait, watch, fingerprint, counts) -> dict:
        lr = self.scheduler.get_last_lr()[0]
        logits = self.model(batch.tokens, batch.position_ids, batch.cu_seqlens, batch.max_seqlen)
        parts = lm_loss(logits, batch.labels, self.vocab)
        parts.loss.backward()
        if self.cfg.optim.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.optim.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        tokens = batch.tokens.numel()
        return self.metrics.step(step, lr, parts.sums, parts.counts, wait, watch.lap(),
                                 tokens, counts, fingerprint)


def _device() -> torch.device:
    if torch.cuda.is_available():
        import os

        local = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device("cpu")


def _device_packer(device: torch.device):
    import spelangy

    return spelangy.DevicePacker(device)
