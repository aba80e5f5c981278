# Memory stays flat over a long run: no growth after the first epoch (issue 6, part 4).
import gc
import gzip
import os

import numpy as np
import pytest

from data_utils import make_tiny_corpus

MIB = 1 << 20


def rss() -> int:
    """Resident set size of this process in bytes (Linux)."""
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_tiny_corpus(tmp_path_factory.mktemp("memory"), num_docs=12, aligned=0.8, seed=5)


def test_ten_epochs_do_not_grow_memory(corpus):
    from spelangy import InterleavedDataset, PackingConfig
    from spelangy.sources import SpeechTextSource

    cuts, spm = corpus

    def dataset(num_epochs):
        return InterleavedDataset([SpeechTextSource("tiny", cuts)], spm, num_epochs=num_epochs,
                                  packing=PackingConfig(seq_len=128, batch_size=2))

    per_epoch = sum(1 for _ in dataset(1))
    batches = iter(dataset(10))
    seen = 0
    for _ in range(per_epoch):
        next(batches)
    after_first = rss()
    for _ in batches:
        seen += 1
    growth = rss() - after_first
    assert seen >= 7 * per_epoch  # the later epochs really ran (rows span epochs)
    assert growth < 4 * MIB, f"RSS grew by {growth / MIB:.1f} MiB over 9 more epochs"


def test_cpp_manifest_reader_keeps_no_memory(corpus):
    from spelangy._C import read_manifest_line

    cuts, _ = corpus
    with gzip.open(cuts, "rb") as f:
        lines = [line for line in f if line.strip()]
    big = max(lines, key=len)
    for line in lines:  # warm up: the reader's scratch buffers reach their size
        read_manifest_line(line)
    before = rss()
    rng = np.random.default_rng()
    for _ in range(4000):
        got = read_manifest_line(lines[int(rng.integers(len(lines)))])
        assert not isinstance(got, str)
        read_manifest_line(big[: int(rng.integers(len(big)))])  # unhandled: frees as well
    growth = rss() - before
    assert growth < 4 * MIB, f"RSS grew by {growth / MIB:.1f} MiB over 8000 lines"
