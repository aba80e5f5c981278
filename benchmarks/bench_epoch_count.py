# With num_epochs: the time to the first batch, and what counting every shard's batches costs,
# on the prepared corpora that bench_scale.py leaves in its directory.
#   .venv/bin/python benchmarks/bench_epoch_count.py [--dir DIR] [--shards 4] [--rounds 3]
"""For each prepared corpus (`<dir>/*/index-1`, made by benchmarks/bench_scale.py), rank 0
of `--shards` ranks without workers, num_epochs=1, one 16,384-token row per batch:

- seconds to the first batch (the count is not made before it);
- seconds the count takes when a shard runs out (`spelangy.counting.max_batches` over
  every shard, one epoch), with `concat` and `best_fit` packing, and per document;

the median of `--rounds` rounds, in one process (page cache warm).
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from spelangy import InterleavedDataset, PackingConfig
from spelangy.core import get_core
from spelangy.counting import max_batches
from spelangy.loading import SkipReport, load_shards
from spelangy.prepared.format import tokenizer_fingerprint
from spelangy.sources import SpeechTextSource, TextSource
from spelangy.text_tokenizer import TextTokenizer

SEQ_LEN = 16384


def measure(source, tok, shards: int, mode: str) -> tuple:
    ds = InterleavedDataset([source], tok, num_epochs=1, rank=0, world_size=shards,
                            packing=PackingConfig(seq_len=SEQ_LEN, batch_size=1, mode=mode))
    start = time.perf_counter()
    next(iter(ds))
    first = time.perf_counter() - start
    start = time.perf_counter()
    every = [list(load_shards(source, tok, shards, None, "raise", SkipReport(), 0).values())]
    count = max_batches(ds._settings(), every, None, get_core("cpp"))
    return first, time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default=str(Path.home() / ".cache" / "spelangy" / "scale"))
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.dir)
    corpora = []
    for index in root.glob("*/index-1"):
        speech = index.parent.name.startswith("docs")
        source = SpeechTextSource("s", index) if speech else TextSource("t", index)
        corpora.append((not speech, len(source.prepared), index.parent.name, source))
    if not corpora:
        raise SystemExit(f"no prepared corpus in {root}: run benchmarks/bench_scale.py first")
    # each corpus was built with one of the speech corpora's models
    models = {tokenizer_fingerprint(t): t for t in map(TextTokenizer, root.glob("docs*/spm.model"))}
    print("| corpus | documents | packing | first batch s | count s | count us/document |"
          " batches of the longest shard |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for _, n, name, source in sorted(corpora, key=lambda c: c[:3]):
        tok = models[source.prepared.meta["tokenizer"]["sha256"]]
        for mode in ("concat", "best_fit"):
            runs = [measure(source, tok, args.shards, mode) for _ in range(args.rounds)]
            first, count = (statistics.median(r[i] for r in runs) for i in (0, 1))
            print(f"| {name} | {n} | {mode} | {first:.3f} | {count:.3f} |"
                  f" {count / n * 1e6:.1f} | {runs[0][2]} |")


if __name__ == "__main__":
    main()
