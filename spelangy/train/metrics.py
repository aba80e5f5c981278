# Per-step metrics: reduced across ranks, printed on the console, appended to metrics.jsonl.
from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.distributed as dist

from .loss import LOSS_MODALITIES, modality_losses

# Batch hashes travel in a float64 all-reduce, so they stay below 2**52 to remain exact.
_HASH_MOD = 2**52


def batch_fingerprint(tokens: np.ndarray, receipts) -> int:
    """A hash of one rank's batch (its tokens and the document pieces they came from)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(np.ascontiguousarray(tokens).tobytes())
    h.update(repr([[tuple(r) for r in row] for row in receipts]).encode())
    return int.from_bytes(h.digest(), "little") % _HASH_MOD


def source_tokens(receipts, names: Sequence[str]) -> List[int]:
    """Tokens per source in one batch, from its receipts (padding has no receipt)."""
    index = {n: i for i, n in enumerate(names)}
    out = [0] * len(names)
    for row in receipts:
        for r in row:
            out[index[r.source]] += r.end - r.start
    return out


class StepMetrics:
    """Reduces one step's numbers across ranks with a single all-reduce and logs them.

    Every rank calls `step(...)`; rank 0 prints and writes. `source_totals` accumulate the
    realised token counts per source over the whole run (restored on resume), so the
    logged shares are the shares of the stream so far.
    """

    def __init__(self, output_dir: Path, source_names: Sequence[str], log_every: int,
                 device: torch.device, rank: int, world_size: int):
        self.path = Path(output_dir) / "metrics.jsonl"
        self.names = list(source_names)
        self.log_every = log_every
        self.device = device
        self.rank = rank
        self.world_size = world_size
        self.source_totals: Dict[str, int] = {n: 0 for n in self.names}

    def start(self, resume_step: int) -> None:
        """Keep the records of steps up to `resume_step` (0: none): a run killed after its
        last checkpoint logged steps that the resumed run will log again."""
        if self.rank != 0:
            return
        kept = []
        if resume_step and self.path.exists():
            kept = [line for line in self.path.read_text().splitlines()
                    if line and json.loads(line)["step"] <= resume_step]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(line + "\n" for line in kept))

    def step(self, step: int, lr: float, loss_sums: torch.Tensor, loss_counts: torch.Tensor,
             wait_s: float, step_s: float, tokens: int, sources: List[int], fingerprint: int):
        n, s = len(LOSS_MODALITIES), len(self.names)
        slot = torch.zeros(self.world_size, dtype=torch.float64)
        slot[self.rank] = fingerprint
        local = torch.cat([
            loss_sums.detach().double().cpu(), loss_counts.detach().double().cpu(),
            torch.tensor([wait_s, step_s, tokens], dtype=torch.float64),
            torch.tensor(sources, dtype=torch.float64), slot,
        ]).to(self.device)
        dist.all_reduce(local)
        v = local.cpu()
        sums, counts = v[:n], v[n:2 * n]
        wait, step_time, total_tokens = (float(x) for x in v[2 * n:2 * n + 3])
        batch_sources = [int(x) for x in v[2 * n + 3:2 * n + 3 + s]]
        hashes = [int(x) for x in v[2 * n + 3 + s:]]
        for name, count in zip(self.names, batch_sources):
            self.source_totals[name] += count
        realised = sum(self.source_totals.values())
        # Ranks meet in collectives every step, so their step times agree; average them.
        mean_step = step_time / self.world_size
        record = {
            "step": step,
            "loss": float(sums.sum() / counts.sum()) if counts.sum() > 0 else None,
            **modality_losses(sums, counts),
            "tokens_per_s": total_tokens / mean_step if mean_step > 0 else None,
            "data_wait_share": wait / step_time if step_time > 0 else 0.0,
            "lr": lr,
            "source_shares": {
                k: (c / realised if realised else 0.0) for k, c in self.source_totals.items()
            },
            "batch_hashes": hashes,
        }
        if self.rank == 0:
            with self.path.open("a") as f:
                f.write(json.dumps(record) + "\n")
            if step % self.log_every == 0 or step == 1:
                print(console_line(record), file=sys.stdout, flush=True)
        return record


def console_line(r: dict) -> str:
    def fmt(x):
        return "  -  " if x is None else f"{x:.3f}"

    shares = " ".join(f"{k}={v:.2f}" for k, v in r["source_shares"].items())
    return (
        f"step {r['step']:>5}  loss {fmt(r['loss'])}  text {fmt(r['loss_text'])}  "
        f"audio {fmt(r['loss_audio'])}  special {fmt(r['loss_special'])}  "
        f"{r['tokens_per_s']:,.0f} tok/s  data wait {100 * r['data_wait_share']:.1f}%  "
        f"shares {shares}"
    )


class Stopwatch:
    """Wall time split into waiting for data and the rest, per step."""

    def __init__(self):
        self.last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed, self.last = now - self.last, now
        return elapsed


def summary(records: List[dict], window: int = 20) -> str:
    """Loss per modality over the first and the last `window` steps of a run, and throughput:
    what the demo shows to make "the loss goes down, the loader keeps up" visible."""
    if not records:
        return ""
    window = max(1, min(window, len(records) // 2 or 1))
    head, tail = records[:window], records[-window:]

    def mean(rows, key):
        values = [r[key] for r in rows if r[key] is not None]
        return sum(values) / len(values) if values else None

    lines = [f"loss by target modality, steps {head[0]['step']}-{head[-1]['step']} -> "
             f"{tail[0]['step']}-{tail[-1]['step']}:"]
    for key in ("loss", "loss_text", "loss_audio", "loss_special"):
        a, b = mean(head, key), mean(tail, key)
        if a is not None and b is not None:
            lines.append(f"  {key.replace('loss_', ''):<8} {a:7.3f} -> {b:7.3f}")
    steady = records[min(len(records) - 1, window):] or records
    shares = ", ".join(f"{k} {v:.1%}" for k, v in records[-1]["source_shares"].items())
    lines.append(f"throughput {mean(steady, 'tokens_per_s'):,.0f} tokens/s trained, "
                 f"data wait {mean(steady, 'data_wait_share'):.1%} of step time")
    lines.append(f"realised token shares: {shares}")
    return "\n".join(lines)
