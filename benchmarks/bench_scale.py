# Streaming at several corpus sizes, speech and text: the manifest (raw file) path beside the
# prepared path, in one run.
#   .venv/bin/python benchmarks/bench_scale.py [--sizes 150,600,2400] [--text-mb 2.5,10,40]
#       [--rounds 5] [--dir DIR]
"""For each corpus size, speech (generated corpora, `spelangy.bench.corpus`, 8 manifest
files) and text (generated JSONL, 8 files), in one run:

- the build: `spelangy index` with 1 and 2 local processes (documents/s; text: also MB/s),
  and for speech the Lhotse-native pipeline's cold pass over the same manifests in one
  process (`spelangy.bench.lhotse_native`, documents/s), the baseline the build is
  compared with per core;
- for the manifest and the prepared path, with 0 and 2 DataLoader workers, each in a fresh
  process: seconds to the first batch, memory of each worker after it (PSS and private,
  from /proc/PID/smaps_rollup; with 0 workers, the main process's growth since before the
  dataset was made), and packed tokens/s (wall clock, padding left out) in `--rounds`
  rounds of 100 batches of one 16,384-token row: the first round, the median and the best.
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
FILES = 8  # input files per corpus, speech and text


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


def run_case(kind: str, path, spm: str, workers: int, rounds: int) -> dict:
    """One case, in this (fresh) process: first batch, memory, throughput."""
    import itertools

    from torch.utils.data import DataLoader

    from spelangy import InterleavedDataset, PackingConfig
    from spelangy.sources import SpeechTextSource, TextSource
    from spelangy.text_tokenizer import TextTokenizer

    tok = TextTokenizer(spm)
    before = smaps(os.getpid())
    start = time.perf_counter()
    source = SpeechTextSource("s", path) if kind == "speech" else TextSource("t", path)
    ds = InterleavedDataset([source], tok, packing=PackingConfig(seq_len=SEQ_LEN, batch_size=1))
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
    rates = []  # this VM drifts: rounds in one process, the first one warming up
    for _ in range(rounds):
        wall0 = time.perf_counter()
        tokens = sum(int((b.modality != 3).sum()) for b in itertools.islice(it, 100))
        rates.append(tokens / (time.perf_counter() - wall0) / 1e6)
    return {"first_batch_s": first, "pss_mib": pss, "private_mib": private,
            "mtok_per_s": rates}


def generate_text(root: Path, mb: float) -> list:
    """`mb` megabytes of `{"text": ...}` documents of 200 to 2,000 words, in FILES JSONL files
    (contiguous blocks of documents). The words are the speech corpus's (same vocabulary,
    seed and Zipf-like frequencies), so its SentencePiece model tokenizes them as it does the
    transcripts; no sentences, as the per-word cost is all the benchmark needs."""
    import numpy as np

    from spelangy.bench.corpus import CorpusSpec, make_vocabulary

    spec = CorpusSpec()
    rng = np.random.default_rng(spec.seed)
    vocab = make_vocabulary(rng, spec.word_vocab_size)  # the first draw, as in the corpus
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    lines, size = [], 0
    while size < mb * 1e6:
        picks = np.searchsorted(cdf, rng.random(int(rng.integers(200, 2000))))
        lines.append(json.dumps({"text": " ".join(vocab[i] for i in picks)}) + "\n")
        size += len(lines[-1])
    root.mkdir(parents=True, exist_ok=True)
    paths = [root / f"text.{k:06d}.jsonl" for k in range(min(FILES, len(lines)))]
    for path, block in zip(paths, np.array_split(np.arange(len(lines)), len(paths))):
        path.write_text("".join(lines[i] for i in block))
    return [str(p) for p in paths]


def build(paths, out: Path, spm: str, jobs: int) -> tuple:
    """`spelangy index` of `paths` into `out`: (documents, seconds)."""
    from spelangy.prepared.build import build_index
    from spelangy.text_tokenizer import TextTokenizer

    import shutil

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    meta = build_index(paths, out, TextTokenizer(spm), num_jobs=jobs, progress=False)
    return meta["documents"], time.perf_counter() - start


def lhotse_native_docs_per_s(paths, spm: str) -> float:
    """Documents/s of the Lhotse-native pipeline's cold pass over `paths`, one process."""
    from spelangy.bench.lhotse_native import LhotseNativePipeline

    pipeline = LhotseNativePipeline(paths, spm, seq_len=SEQ_LEN)
    start = time.perf_counter()
    for _ in pipeline.rows():
        pass
    return pipeline.num_documents / (time.perf_counter() - start)


def measure(kind: str, root: Path, paths: list, spm: str, rounds: int, rows: list) -> None:
    """Builds both ways, then runs the four cases of one corpus, each in a fresh process."""
    # MB of text as written (a speech corpus's size is its documents)
    mb = sum(os.path.getsize(p) for p in paths) / 1e6 if kind == "text" else None
    seconds = {}
    for jobs in (1, 2):
        docs, seconds[jobs] = build(paths, root / f"index-{jobs}", spm, jobs)
    lhotse = lhotse_native_docs_per_s(paths, spm) if kind == "speech" else None
    for name, path in (("manifest", paths), ("prepared", str(root / "index-1"))):
        for workers in (0, 2):
            out = subprocess.run([sys.executable, __file__, "--case",
                                  json.dumps([kind, path, spm, workers, rounds])],
                                 capture_output=True, text=True, check=True).stdout
            row = {"kind": kind, "documents": docs, "mb": mb, "path": name, "workers": workers,
                   **json.loads(out.strip().splitlines()[-1]),
                   "build_docs_per_s": [docs / seconds[j] for j in (1, 2)],
                   "build_mb_per_s": [mb / seconds[j] for j in (1, 2)] if mb is not None else None,
                   "lhotse_native_docs_per_s": lhotse}
            rows.append(row)
            print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="150,600,2400", help="speech documents")
    parser.add_argument("--text-mb", default="2.5,10,40", help="megabytes of text")
    parser.add_argument("--dir", default=str(Path.home() / ".cache" / "spelangy" / "scale"))
    parser.add_argument("--rounds", type=int, default=5, help="rounds of 100 batches per case")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # a child process runs one case
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(*json.loads(args.case))))
        return

    from spelangy.bench.corpus import CorpusSpec, generate_corpus

    rows, spm = [], None
    for size in map(int, args.sizes.split(",")):
        root = Path(args.dir) / f"docs{size}"
        corpus = generate_corpus(root, CorpusSpec(num_docs=size, manifest_files=FILES))
        spm = spm or str(corpus.spm_path)  # one model for every text size: comparable tokens
        measure("speech", root, [str(p) for p in corpus.cuts_paths], str(corpus.spm_path),
                args.rounds, rows)
    for mb in map(float, args.text_mb.split(",")):
        root = Path(args.dir) / f"text{mb:g}mb"
        measure("text", root, generate_text(root, mb), spm, args.rounds, rows)
    print("\n| kind | documents | MB | path | workers | first batch s | PSS MiB | private MiB |"
          " Mtok/s, first round | Mtok/s, median / best round |"
          " build docs/s (1 proc / 2) | build MB/s (1 proc / 2) |"
          " Lhotse-native docs/s | build / Lhotse-native, per core |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        text = r["mb"] is not None
        mb = f"{r['mb']:.2f}" if text else "-"
        docs_s = " / ".join(f"{v:.0f}" for v in r["build_docs_per_s"])
        mb_s = " / ".join(f"{v:.1f}" for v in r["build_mb_per_s"]) if text else "-"
        rounds = sorted(r["mtok_per_s"])
        lhotse = r["lhotse_native_docs_per_s"]
        versus = (f"{lhotse:.0f} | {r['build_docs_per_s'][0] / lhotse:.1f}x" if lhotse
                  else "- | -")
        print(f"| {r['kind']} | {r['documents']} | {mb} | {r['path']} |"
              f" {r['workers']} | {r['first_batch_s']:.3f} | {r['pss_mib']:.0f} |"
              f" {r['private_mib']:.0f} | {r['mtok_per_s'][0]:.1f} |"
              f" {rounds[len(rounds) // 2]:.1f} / {rounds[-1]:.1f} | {docs_s} | {mb_s} |"
              f" {versus} |")


if __name__ == "__main__":
    main()
