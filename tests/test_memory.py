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


def test_cpp_manifest_reader_keeps_no_memory(corpus, rng):
    from spelangy._C import read_manifest_line

    cuts, _ = corpus
    with gzip.open(cuts, "rb") as f:
        lines = [line for line in f if line.strip()]
    big = max(lines, key=len)
    for line in lines:  # warm up: the reader's scratch buffers reach their size
        read_manifest_line(line)
    before = rss()
    for _ in range(4000):
        got = read_manifest_line(lines[int(rng.integers(len(lines)))])
        assert not isinstance(got, str)
        read_manifest_line(big[: int(rng.integers(len(big)))])  # unhandled: frees as well
    growth = rss() - before
    assert growth < 4 * MIB, f"RSS grew by {growth / MIB:.1f} MiB over 8000 lines"


# --- batches leaving DataLoader workers as ragged arrays, built on arrival ------------------

def test_worker_batches_arrive_as_equal_packed_batches(corpus):
    import pickle

    import torch
    from torch.utils.data import DataLoader

    from spelangy import InterleavedDataset, PackedBatch, PackingConfig
    from spelangy.build import RaggedInTransit
    from spelangy.sources import SpeechTextSource

    cuts, spm = corpus

    def dataset(seq_len=128):
        return InterleavedDataset([SpeechTextSource("tiny", cuts)], spm, num_epochs=1,
                                  packing=PackingConfig(seq_len=seq_len, batch_size=2))

    here = list(DataLoader(dataset(), batch_size=None, num_workers=0))
    there = list(DataLoader(dataset(), batch_size=None, num_workers=1))
    assert len(here) == len(there) > 3
    for a, b in zip(here, there):
        assert isinstance(b, PackedBatch)
        assert (a.receipts, a.max_seqlen, a.loader_state) == (b.receipts, b.max_seqlen,
                                                              b.loader_state)
        for name in ("tokens", "labels", "position_ids", "modality", "cu_seqlens"):
            x, y = getattr(a, name), getattr(b, name)
            assert x.dtype == y.dtype and x.shape == y.shape and torch.equal(x, y), name
    # What a worker hands over: the ragged arrays only (a fifth of the padded tensors' bytes).
    packed = next(iter(dataset(1024)))
    ds = dataset(1024)
    ds.output = "ragged"
    sent = pickle.dumps(RaggedInTransit(next(iter(ds))))
    assert len(sent) < len(pickle.dumps(packed)) / 3
    got = pickle.loads(sent)
    assert isinstance(got, PackedBatch) and got.receipts == packed.receipts
    for name in ("tokens", "labels", "position_ids", "modality", "cu_seqlens"):
        assert torch.equal(getattr(got, name), getattr(packed, name)), name


def test_a_collate_fn_in_the_worker_receives_a_packed_batch(corpus):
    import torch
    from torch.utils.data import DataLoader

    from spelangy import InterleavedDataset, PackedBatch, PackingConfig
    from spelangy.sources import SpeechTextSource

    cuts, spm = corpus
    ds = InterleavedDataset([SpeechTextSource("tiny", cuts)], spm, num_epochs=1,
                            packing=PackingConfig(seq_len=128, batch_size=2))
    def to_hf(batch):  # runs in the worker
        assert isinstance(batch, PackedBatch)
        return {"input_ids": batch.tokens, "labels": batch.labels}

    plain = list(DataLoader(ds, batch_size=None, num_workers=0))
    for got, want in zip(DataLoader(ds, batch_size=None, num_workers=1, collate_fn=to_hf), plain):
        assert torch.equal(got["input_ids"], want.tokens)
        assert torch.equal(got["labels"], want.labels)
    # A collate_fn that returns the batch hands over a PackedBatch, equal to the plain one.
    back = list(DataLoader(ds, batch_size=None, num_workers=1, collate_fn=lambda b: b))
    assert [type(b) for b in back] == [PackedBatch] * len(plain)
    assert all(torch.equal(a.tokens, b.tokens) for a, b in zip(back, plain))
    assert [b.receipts for b in back] == [b.receipts for b in plain]
