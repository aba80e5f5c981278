# `spelangy bench`: every pipeline on the same manifest in one run, each case in a fresh process.
from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Sequence, Union

from spelangy.reading.sharding import path_list

from .cases import PIPELINES, Case, CaseResult
from .stage_profile import StageProfile, profile_lhotse, profile_spelangy

SPELANGY_PIPELINES = ("cpp", "cpp-warm", "cpp-lhotse-reader", "reference")


@dataclass
class BenchReport:
    cuts_path: Union[str, List[str]]  # one manifest or several files
    spm_path: str
    documents: int
    audio_seconds: float
    manifest_bytes: int  # inflated
    seq_len: int
    cases: List[CaseResult] = field(default_factory=list)
    profiles: Dict[str, StageProfile] = field(default_factory=dict)
    machine: Dict[str, object] = field(default_factory=dict)
    repeats: int = 1  # runs per case; the median is reported
    batch_size: int = 1  # rows per batch

    def to_dict(self) -> dict:
        return asdict(self)


def manifest_stats(cuts_path) -> tuple:
    """(documents, audio seconds, inflated bytes) of a cuts manifest (one path or a list of
    files), without Lhotse objects."""
    import orjson

    from spelangy.reading.sharding import iter_files

    documents, seconds, size = 0, 0.0, 0
    for _, line in iter_files(path_list(cuts_path), "bench"):
        documents += 1
        seconds += float(orjson.loads(line)["duration"])
        size += len(line)
    return documents, seconds, size


def machine_info() -> Dict[str, object]:
    import os
    import platform

    model = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in out.splitlines()
                     if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}


def run_case_subprocess(case: Case) -> CaseResult:
    cmd = [sys.executable, "-m", "spelangy.bench.cases", json.dumps(asdict(case))]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench case {case.pipeline} with {case.workers} workers failed:\n"
                           f"{done.stderr[-4000:]}")
    return CaseResult(**json.loads(done.stdout.strip().splitlines()[-1]))


def run_bench(cuts_path, spm_path, pipelines: Sequence[str] = tuple(PIPELINES),
              workers: Sequence[int] = (0, 1, 2), seq_len: int = 16384,
              max_chunk_duration: float = 10.0, profile: bool = True,
              log: Callable[[str], None] = lambda message: None,
              repeats: int = 1, batch_size: int = 1) -> BenchReport:
    """Every pipeline at every worker count, each case `repeats` times in fresh processes
    (in rounds over all cases); the run with the median wall time is reported (stage
    profiles: the median total), since one short run on a virtual machine can be off by a
    quarter. `cuts_path` is one manifest or a list of files (sharded by file: at least as
    many files as workers). Every pipeline yields batches of `batch_size` rows."""
    unknown = sorted(set(pipelines) - set(PIPELINES))
    if unknown:
        raise ValueError(f"unknown pipelines {unknown}; choose from {sorted(PIPELINES)}")
    if any(w < 0 for w in workers):
        raise ValueError(f"worker counts must be >= 0, got {list(workers)}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    paths = path_list(cuts_path)
    if len(paths) > 1 and max(workers, default=0) > len(paths):
        raise ValueError(f"{len(paths)} manifest files cannot be sharded by file over "
                         f"{max(workers)} workers: give at least as many files as workers")
    cuts_path = paths[0] if len(paths) == 1 else paths
    documents, audio_seconds, size = manifest_stats(cuts_path)
    report = BenchReport(cuts_path, str(spm_path), documents, audio_seconds, size, seq_len,
                         machine=machine_info(), repeats=repeats, batch_size=batch_size)
    if profile:
        for name in pipelines:
            if name in ("cpp-lhotse-reader", "cpp-warm"):
                continue  # convert's Lhotse reader is not split into stages; warm has none
            log(f"stage profile: {name}")
            report.profiles[name] = _median([
                profile_lhotse(cuts_path, spm_path, seq_len, max_chunk_duration) if name == "lhotse"
                else profile_spelangy(cuts_path, spm_path, name, seq_len, max_chunk_duration)
                for _ in range(repeats)], key=lambda p: p.total)
    cases = [Case(name, w, cuts_path, str(spm_path), seq_len, max_chunk_duration, batch_size)
             for name in pipelines for w in workers]
    endless = [c for c in cases
               if c.pipeline in SPELANGY_PIPELINES and (c.workers > 0 or c.pipeline == "cpp-warm")]
    if endless:  # they stop after one epoch's batches
        rows = _epoch_rows(report, cuts_path, spm_path, seq_len, max_chunk_duration)
        for case in endless:
            case.max_batches = math.ceil(rows / batch_size)
    # Round after round of every case, rather than a case's repeats back to back: this
    # machine's speed drifts over minutes, and a slow spell then hits every case alike.
    runs: List[List[CaseResult]] = [[] for _ in cases]
    for round_ in range(repeats):
        for case, done in zip(cases, runs):
            log(f"run {round_ + 1}/{repeats}: {case.pipeline}, {case.workers} workers")
            done.append(run_case_subprocess(case))
    report.cases = [_median(done, key=lambda r: r.seconds) for done in runs]
    return report


def _median(runs: list, key):
    return sorted(runs, key=key)[len(runs) // 2]


def _epoch_rows(report, cuts_path, spm_path, seq_len, max_chunk_duration) -> int:
    profile = report.profiles.get("cpp") or report.profiles.get("reference")
    if profile is None:
        profile = profile_spelangy(cuts_path, spm_path, "cpp", seq_len, max_chunk_duration)
    return math.ceil(profile.tokens / seq_len)
