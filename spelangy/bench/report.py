# The benchmark tables, as Markdown (readable in a terminal, pasted as is into benchmarks/README.md).
from __future__ import annotations

from typing import List

from .cases import PIPELINES
from .harness import BenchReport
from .stages import STAGE_TITLES, STAGES


def _table(header: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(c.rjust(w) if i else c.ljust(w)
                                  for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    rule = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule] + [line(r) for r in rows])


def throughput_table(report: BenchReport) -> str:
    """Wall-clock rates, the CPU cost per token (`Mtok/s/core`: tokens per CPU-second of the
    main process and its workers), the time to the first batch (with spelangy's workers: the
    first pass over their shards, which they run in parallel), and the ratio to the
    Lhotse-native pipeline at the same worker count (per CPU-second)."""
    per_cpu = {(c.pipeline, c.workers): c.tokens / c.cpu_seconds for c in report.cases}
    wall = {(c.pipeline, c.workers): c.tokens / c.seconds for c in report.cases}
    rows = []
    for c in report.cases:
        rss = f"{c.rss_main_mib:.0f}" + (f" + {c.workers}x{c.rss_worker_mib:.0f}" if c.workers else "")
        lhotse = per_cpu.get(("lhotse", c.workers))
        one = wall.get((c.pipeline, 1))
        rows.append([
            PIPELINES[c.pipeline], str(c.workers),
            f"{report.documents * c.epochs / c.seconds:.0f}",
            f"{wall[c.pipeline, c.workers] / 1e6:.2f}",
            f"{per_cpu[c.pipeline, c.workers] / 1e6:.2f}",
            f"{report.audio_seconds * c.epochs / 3600 / c.seconds:.1f}",
            f"{c.cpu_seconds / c.seconds:.2f}",
            f"{wall[c.pipeline, c.workers] / one:.2f}x" if one and c.workers > 1 else "-",
            f"{c.first_batch_seconds:.3f}" if c.first_batch_seconds else "-",
            rss, f"{per_cpu[c.pipeline, c.workers] / lhotse:.1f}x" if lhotse else "-",
        ])
    return _table(["pipeline", "workers", "docs/s", "Mtok/s", "Mtok/s/core", "audio h/s",
                   "cores busy", "vs 1 worker", "first batch s", "peak RSS MiB",
                   "vs Lhotse/core"], rows)


def stage_table(report: BenchReport) -> str:
    profiles = list(report.profiles.values())
    if not profiles:
        return ""
    rows = []
    for stage in STAGES:
        cells = [STAGE_TITLES[stage]]
        for p in profiles:
            share = p.seconds[stage] / p.total if p.total else 0.0
            cells.append(f"{1e3 * p.seconds[stage] / p.documents:.2f} ms ({100 * share:.0f}%)")
        rows.append(cells)
    rows.append(["total CPU per document"] + [f"{1e3 * p.total / p.documents:.2f} ms" for p in profiles])
    rows.append(["Mtok/s, one core"] + [f"{p.tokens / p.total / 1e6:.2f}" for p in profiles])
    rows.append(["Mtok/s, core only (warm)"] + [
        f"{p.tokens / p.core_seconds / 1e6:.1f}" if p.core_seconds else "-" for p in profiles])
    return _table(["stage (per document, share)"] + [PIPELINES[p.pipeline] for p in profiles], rows)


def format_report(report: BenchReport) -> str:
    m = report.machine
    head = (f"{report.documents} documents, {report.audio_seconds / 3600:.1f} h of audio, "
            f"{report.manifest_bytes / 2**20:.1f} MiB of manifest JSON, rows of {report.seq_len} "
            f"tokens, {report.batch_size} row(s) per batch; {m.get('cpu', '?')}, {m.get('cores', '?')} cores, Python {m.get('python', '?')}"
            + (f"; median of {report.repeats} runs per case" if report.repeats > 1 else ""))
    parts = [head, "", throughput_table(report)]
    stages = stage_table(report)
    if stages:
        parts += ["", "Stages (CPU time, one process, no workers):", "", stages]
    return "\n".join(parts)
