# torchdata's StatefulDataLoader, used as its documentation says: exact resume with and
# without workers, and an elastic resume from its saved states.
import itertools

import pytest
import torch

from data_utils import saved_and_loaded
from fake_sources import FakeTokenizer, speech_source, text_source
from spelangy import InterleavedDataset, PackingConfig
from spelangy.errors import SpelangyError

torchdata = pytest.importorskip("torchdata.stateful_dataloader")
StatefulDataLoader = torchdata.StatefulDataLoader


def make_dataset(sources, **kwargs):
    settings = dict(text_tokenizer=FakeTokenizer(), seed=2,
                    packing=PackingConfig(seq_len=64, batch_size=2))
    settings.update(kwargs)
    return InterleavedDataset(sources, **settings)


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.receipts == y.receipts
        for name in ("tokens", "labels", "position_ids", "modality", "cu_seqlens"):
            assert torch.equal(getattr(x, name), getattr(y, name)), name


@pytest.mark.parametrize("num_workers", [0, 2])
def test_stateful_dataloader_resumes_exactly(rng, num_workers):
    sources = [speech_source(rng, n=10), text_source(rng, n=14, weight=0.5)]
    whole = list(itertools.islice(
        StatefulDataLoader(make_dataset(sources), batch_size=None, num_workers=num_workers), 14))
    for k in (1, int(rng.integers(2, 12))):
        loader = StatefulDataLoader(make_dataset(sources), batch_size=None,
                                    num_workers=num_workers)
        it = iter(loader)
        first = [next(it) for _ in range(k)]
        saved = saved_and_loaded(loader.state_dict())
        del it, loader
        resumed = StatefulDataLoader(make_dataset(sources), batch_size=None,
                                     num_workers=num_workers)
        resumed.load_state_dict(saved)
        rest = list(itertools.islice(resumed, 14 - k))
        assert_same(whole, first + rest)


def test_a_worker_state_is_cheap_and_small(rng):
    """What StatefulDataLoader snapshots after every batch: integers, no token buffers."""
    ds = make_dataset([speech_source(rng, n=6)])
    loader = StatefulDataLoader(ds, batch_size=None, num_workers=2)
    it = iter(loader)
    for _ in range(3):
        next(it)
    snapshot = loader.state_dict()["_snapshot"]["_worker_snapshots"]["worker_0"]["dataset_state"]
    assert snapshot["worker"] == 0 and snapshot["batches"] == 2
    assert len(repr(snapshot)) < 2000


def test_elastic_resume_from_stateful_dataloader_states(rng):
    """Every rank's `loader.state_dict()` lets a run continue on another topology: the
    batches before and after deliver every token of every document once."""
    sources = [speech_source(rng, n=12), text_source(rng, n=10, weight=0.5)]
    delivered, saved = [], []
    for rank in range(2):
        loader = StatefulDataLoader(make_dataset(sources, rank=rank, world_size=2, num_epochs=1),
                                    batch_size=None, num_workers=2)
        delivered += itertools.islice(loader, 3)
        saved.append(saved_and_loaded(loader.state_dict()))
    with pytest.raises(SpelangyError, match="reshard=True"):
        make_dataset(sources, world_size=3, num_epochs=1).load_state_dict(saved)
    for rank in range(3):
        ds = make_dataset(sources, rank=rank, world_size=3, num_epochs=1)
        ds.load_state_dict(saved, reshard=True)
        delivered += StatefulDataLoader(ds, batch_size=None, num_workers=1)
    covered = {}
    for batch in delivered:
        for r in itertools.chain.from_iterable(batch.receipts):
            covered.setdefault(r.cut_id, []).extend(range(r.start, r.end))
    assert set(covered) == {d.cut_id for s in sources for d in s.docs}
    for name, tokens in covered.items():
        assert sorted(tokens) == list(range(len(tokens))), name
