# One measured run (a pipeline at a worker count), meant to run in a fresh process so that its
# peak RSS is its own: `python -m spelangy.bench.cases '<json case>'` prints a JSON result.
from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import asdict, dataclass
from typing import List, Optional, Union

PIPELINES = {
    "cpp": "spelangy, C++ core, fast manifest path",
    "cpp-warm": "spelangy, C++ core, a later epoch (warm)",
    "cpp-lhotse-reader": "spelangy, C++ core, Lhotse manifest reader",
    "reference": "spelangy, Python reference core, fast manifest path",
    "lhotse": "Lhotse-native pipeline",
}
PAD = 3  # Modality.PAD


@dataclass
class Case:
    pipeline: str
    workers: int
    cuts_path: Union[str, List[str]]
    """One manifest, or several files: then spelangy shards by file and the Lhotse-native
    pipeline gives each worker its own files."""
    spm_path: str
    seq_len: int = 16384
    max_chunk_duration: float = 10.0
    batch_size: int = 1
    """Rows per batch (per DataLoader item), in every pipeline."""
    max_batches: Optional[int] = None
    """spelangy with workers streams without an epoch limit (an epoch limit makes every
    worker count all shards first); the run stops after this many batches, one epoch's worth.
    `cpp-warm` first takes this many batches off the clock (the first epoch, which reads the
    manifest), then measures `warm_epochs` times as many (later epochs, from the arrays each
    worker kept)."""
    warm_epochs: int = 5


@dataclass
class CaseResult:
    pipeline: str
    workers: int
    rows: int  # batches (DataLoader items) of `batch_size` rows
    tokens: int  # packed tokens, padding excluded
    seconds: float  # wall clock
    cpu_seconds: float  # user + system time of the main process and its workers
    rss_main_mib: float
    rss_worker_mib: float  # largest worker; 0 without workers
    epochs: float = 1.0  # passes over the manifest's documents that the clock saw
    first_batch_seconds: float = 0.0  # wall clock until the first batch (0 for cpp-warm)


def spelangy_dataset(case: Case, num_epochs: Optional[int]):
    from spelangy import ChunkingConfig, InterleavedDataset, PackingConfig, SamplingConfig
    from spelangy.reading.sharding import path_list
    from spelangy.sources import SpeechTextSource

    reader = "lhotse" if case.pipeline == "cpp-lhotse-reader" else "fast"
    shard_by = "file" if len(path_list(case.cuts_path)) > 1 else "document"
    return InterleavedDataset(
        [SpeechTextSource("bench", case.cuts_path, reader=reader, shard_by=shard_by)],
        case.spm_path,
        chunking=ChunkingConfig("fine", case.max_chunk_duration),
        sampling=SamplingConfig("deterministic"),
        packing=PackingConfig(seq_len=case.seq_len, batch_size=case.batch_size),
        seed=0, num_epochs=num_epochs,
        backend="reference" if case.pipeline == "reference" else "cpp",
    )


def _batches(case: Case):
    """The batch iterator of the case, and how to count a batch's packed tokens."""
    import torch

    if case.pipeline == "lhotse":
        from .lhotse_native import LhotseNativeDataset, LhotseNativePipeline

        dataset = LhotseNativeDataset(LhotseNativePipeline(
            case.cuts_path, case.spm_path, case.seq_len, case.max_chunk_duration),
            batch_size=case.batch_size)
        count = lambda row: row["num_tokens"]  # noqa: E731
    else:
        one_epoch = case.workers == 0 and case.pipeline != "cpp-warm"
        dataset = spelangy_dataset(case, 1 if one_epoch else None)
        count = lambda batch: int((batch.modality != PAD).sum())  # noqa: E731
    if case.workers == 0:
        return iter(dataset), count
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=case.workers)
    return iter(loader), count


def _worker_cpu_seconds(batches) -> float:
    """CPU time so far of the live DataLoader workers behind `batches` (Linux /proc)."""
    import os

    total = 0.0
    for worker in getattr(batches, "_workers", ()):
        with open(f"/proc/{worker.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run_case(case: Case) -> CaseResult:
    if case.pipeline not in PIPELINES:
        raise ValueError(f"pipeline must be one of {sorted(PIPELINES)}, got {case.pipeline!r}")
    # Imports first: the clock measures the data work, not module loading.
    import lhotse  # noqa: F401
    import sentencepiece  # noqa: F401
    import torch

    import spelangy.dataset  # noqa: F401

    # Counting a batch's tokens is the bench's own work: one thread, so that torch's
    # intra-op pool does not spin on the cores the loader is measured on.
    torch.set_num_threads(1)

    warm = case.pipeline == "cpp-warm"
    if warm and case.max_batches is None:
        raise ValueError("cpp-warm needs max_batches: the batches of one epoch")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    batches, count = _batches(case)
    if warm:  # the first epoch, off the clock
        for _ in range(case.max_batches):
            next(batches)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_start = usage.ru_utime + usage.ru_stime + _worker_cpu_seconds(batches)
        start = time.perf_counter()
    rows = tokens = 0
    first = 0.0
    for batch in batches:
        rows += 1
        tokens += count(batch)
        if rows == 1 and not warm:
            first = time.perf_counter() - start
        if case.max_batches is not None and rows >= case.max_batches * (
                case.warm_epochs if warm else 1):
            break
    seconds = time.perf_counter() - start
    workers_cpu = _worker_cpu_seconds(batches) if warm else None
    del batches  # shuts DataLoader workers down, so that their peak RSS is counted below
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    cpu = own.ru_utime + own.ru_stime - cpu_start + (
        children.ru_utime + children.ru_stime if workers_cpu is None else workers_cpu)
    workers = children.ru_maxrss / 1024 if case.workers else 0.0
    return CaseResult(case.pipeline, case.workers, rows, tokens, seconds, cpu,
                      own.ru_maxrss / 1024, workers, case.warm_epochs if warm else 1.0, first)


if __name__ == "__main__":
    result = run_case(Case(**json.loads(sys.argv[1])))
    print(json.dumps(asdict(result)))
