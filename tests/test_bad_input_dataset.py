# Bad documents in the dataset: a clear error naming the cut, or an opt-in counted skip.
import itertools

import numpy as np
import pytest
from torch.utils.data import DataLoader

from fake_sources import FakeTokenizer, ListSource, speech_document
from spelangy.documents import TextDocument
from spelangy import BadInputError, InterleavedDataset, LoaderStateTracker, PackingConfig


class BrokenSource(ListSource):
    """Documents whose index is in `broken` fail to convert, as a corrupt manifest line would."""

    def __init__(self, name, documents, broken):
        super().__init__(name, documents)
        self.broken = set(broken)

    def to_document(self, index, raw, text_tokenizer):
        if index in self.broken:
            raise BadInputError("empty transcript", source=self.name, path="cuts.jsonl.gz",
                                cut_id=raw.cut_id)
        return raw


def make(source, **kwargs):
    settings = dict(text_tokenizer=FakeTokenizer(), backend="reference", num_epochs=1,
                    packing=PackingConfig(seq_len=64, batch_size=2))
    settings.update(kwargs)
    return InterleavedDataset([source], **settings)


def cut_ids(batches):
    return {r.cut_id for b in batches for r in itertools.chain.from_iterable(b.receipts)}


def test_bad_document_raises_naming_the_cut(rng):
    docs = [speech_document(rng, f"doc-{i}") for i in range(5)]
    with pytest.raises(BadInputError, match=r"empty transcript.*cuts.jsonl.gz.*'doc-3'"):
        list(make(BrokenSource("web", docs, broken=[3])))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_skip_mode_counts_and_keeps_the_rest(num_workers, rng):
    docs = [speech_document(rng, f"doc-{i}") for i in range(7)]
    ds = make(BrokenSource("web", docs, broken=[1, 4]), on_bad_input="skip")
    tracker = LoaderStateTracker()
    batches = list(DataLoader(ds, batch_size=None, num_workers=num_workers))
    for b in batches:
        tracker.update(b)
    assert cut_ids(batches) == {f"doc-{i}" for i in (0, 2, 3, 5, 6)}
    assert tracker.counters()["skipped"] == 2


def test_document_longer_than_many_rows(rng):
    docs = [speech_document(rng, "short", num_turns=1), speech_document(rng, "long", num_turns=30)]
    packing = PackingConfig(seq_len=64, batch_size=1, max_document_rows=4)
    lengths_ok = make(ListSource("web", docs), packing=PackingConfig(seq_len=64, batch_size=1))
    long_tokens = sum(r.end - r.start for b in lengths_ok
                      for r in itertools.chain.from_iterable(b.receipts) if r.cut_id == "long")
    assert long_tokens > 4 * 64, "the test document must exceed the limit"
    with pytest.raises(BadInputError, match=r"max_document_rows=4.*'long'"):
        list(make(ListSource("web", docs), packing=packing))
    ds = make(ListSource("web", docs), packing=packing, on_bad_input="skip")
    batches = list(ds)
    assert cut_ids(batches) == {"short"} and ds.state_dict()["workers"]["0"]["counters"]["skipped"] == 1


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_skip_after_the_last_batch_is_counted(num_workers):
    # A short document that fills its rows exactly ends a batch; a too-long document walked
    # after it leaves no batch of its own to carry the skip.
    long = TextDocument("long", np.arange(300, dtype=np.int32))
    packing = PackingConfig(seq_len=64, batch_size=1, max_document_rows=2)
    for size in (60, 61, 62, 124, 125, 126):  # 62 and 126 fill their rows exactly
        short = TextDocument("short", np.arange(size, dtype=np.int32))
        for seed in range(4):
            ds = make(ListSource("web", [short, long]), packing=packing, seed=seed,
                      on_bad_input="skip")
            tracker = LoaderStateTracker()
            batches = list(DataLoader(ds, batch_size=None, num_workers=num_workers))
            for b in batches:
                tracker.update(b)
            assert cut_ids(batches) == {"short"}
            assert tracker.counters()["skipped"] == 1, (size, seed)
            resumed = make(ListSource("web", [short, long]), packing=packing, seed=seed,
                           on_bad_input="skip")
            resumed.load_state_dict(tracker.state_dict())
            assert list(DataLoader(resumed, batch_size=None, num_workers=num_workers)) == []
