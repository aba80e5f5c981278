# Streaming at several corpus sizes: the manifest path beside the prepared path, in one run.
#   .venv/bin/python benchmarks/bench_scale.py [--sizes 150,600,2400] [--dir DIR]
"""For each corpus size (generated speech corpora, `spelangy.bench.corpus`, 8 manifest
files), in one run:

- the build: `spelangy index` with 1 and 2 local processes (documents/s);
- for the manifest and the prepared path, with 0 and 2 DataLoader workers, each in a fresh
  process: seconds to the first batch, memory of each worker after it (PSS and private,
  from /proc/PID/smaps_rollup; with 0 workers, the main process's growth since before the
  dataset was made), and packed tokens/s over the next 100 batches (one row of 16,384
  tokens per batch; CPU seconds of the process and its workers).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SEQ_LEN = 16384


def smaps(pid: int) -> dict:
    """Pss and Private_* of a process in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            out[key] = int(value.split()[0]) / 1024
    return {"pss": out["Pss"], "private": out["Private_Clean"] + out["Private_Dirty"]}


def children(pid: int) -> list:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def run_case(path, spm: str, workers: int) -> dict:
    """One case, in this (fresh) process: first batch, memory, throughput."""
    import itertools

    from torch.utils.data import DataLoader

    from spelangy import InterleavedDataset, PackingConfig
    from spelangy.sources import SpeechTextSource
    from spelangy.text_tokenizer import TextTokenizer

    tok = TextTokenizer(spm)
    before = smaps(os.getpid())
    start = time.perf_counter()
    ds = InterleavedDataset([SpeechTextSource("s", path)], tok,
                            packing=PackingConfig(seq_len=SEQ_LEN, batch_size=1))
    it = iter(DataLoader(ds, batch_size=None, num_workers=workers))
    next(it)
    first = time.perf_counter() - start
    if workers:
        mem = [smaps(c) for c in children(os.getpid())]
        pss = max(m["pss"] for m in mem)
        private = max(m["private"] for m in mem)
    else:
        now = smaps(os.getpid())
        pss, private = now["pss"] - before["pss"], now["private"] - before["private"]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    tokens = sum(int((b.modality != 3).sum()) for b in itertools.islice(it, 100))
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    return {"first_batch_s": first, "pss_mib": pss, "private_mib": private,
            "mtok_per_s": tokens / wall / 1e6, "main_cpu_s": cpu}


def build(paths, out: Path, spm: str, jobs: int) -> float:
    from spelangy.prepared.build import build_index
    from spelangy.text_tokenizer import TextTokenizer

    import shutil

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    meta = build_index(paths, out, TextTokenizer(spm), num_jobs=jobs, progress=False)
    return meta["documents"] / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="150,600,2400")
    parser.add_argument("--dir", default=str(Path.home() / ".cache" / "spelangy" / "scale"))
    parser.add_argument("--case", help=argparse.SUPPRESS)  # a child process runs one case
    args = parser.parse_args()
    if args.case:
        path, spm, workers = json.loads(args.case)
        print(json.dumps(run_case(path, spm, workers)))
        return

    from spelangy.bench.corpus import CorpusSpec, generate_corpus

    rows = []
    for size in map(int, args.sizes.split(",")):
        root = Path(args.dir) / f"docs{size}"
        corpus = generate_corpus(root, CorpusSpec(num_docs=size, manifest_files=8))
        paths, spm = [str(p) for p in corpus.cuts_paths], str(corpus.spm_path)
        rates = {jobs: build(paths, root / f"index-{jobs}", spm, jobs) for jobs in (1, 2)}
        for name, path in (("manifest", paths), ("prepared", str(root / "index-1"))):
            for workers in (0, 2):
                out = subprocess.run([sys.executable, __file__, "--case",
                                      json.dumps([path, spm, workers])],
                                     capture_output=True, text=True, check=True).stdout
                result = json.loads(out.strip().splitlines()[-1])
                rows.append((size, name, workers, result, rates))
                print(size, name, workers, result, flush=True)
    print("\n| documents | path | workers | first batch s | PSS MiB | private MiB | Mtok/s |"
          " build docs/s (1 proc / 2) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size, name, workers, r, rates in rows:
        print(f"| {size} | {name} | {workers} | {r['first_batch_s']:.3f} | {r['pss_mib']:.0f} |"
              f" {r['private_mib']:.0f} | {r['mtok_per_s']:.2f} |"
              f" {rates[1]:.0f} / {rates[2]:.0f} |")


if __name__ == "__main__":
    main()
