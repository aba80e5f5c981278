# Per-stage wall-clock accounting for the benchmark pipelines.
from __future__ import annotations

import time
from typing import Dict

STAGES = ("manifest", "speech_tokens", "chunk_sample", "text_tokenize", "pack")
STAGE_TITLES = {
    "manifest": "manifest reading",
    "speech_tokens": "speech-token loading",
    "chunk_sample": "chunking and sampling",
    "text_tokenize": "text tokenization",
    "pack": "packing",
}


class StageTimer:
    """Accumulates CPU seconds per stage; `mark(stage)` charges the time since the last mark.

    CPU time (`process_time`) rather than wall time: the figure is the CPU cost per packed
    token, and it stays meaningful on a machine that other work shares. Marks rather than
    context managers keep the bookkeeping to one clock read per stage boundary.
    """

    def __init__(self):
        self.seconds: Dict[str, float] = {stage: 0.0 for stage in STAGES}
        self._last = time.process_time()

    def restart(self) -> None:
        self._last = time.process_time()

    def mark(self, stage: str) -> None:
        now = time.process_time()
        self.seconds[stage] += now - self._last
        self._last = now

    def shares(self) -> Dict[str, float]:
        total = sum(self.seconds.values())
        return {s: (v / total if total > 0 else 0.0) for s, v in self.seconds.items()}


class NullTimer:
    """A timer that records nothing: the untimed runs pay only a method call per mark."""

    def restart(self) -> None:
        pass

    def mark(self, stage: str) -> None:
        pass
