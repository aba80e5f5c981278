# Resume on another topology: every document piece of the epochs under way, exactly once.
import itertools
import pickle
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader

from fake_sources import FakeTokenizer, ListSource, speech_document, speech_source, text_source
from spelangy import InterleavedDataset, LoaderStateTracker, PackingConfig
from spelangy.errors import BadInputError, SpelangyError
from spelangy.reference import build_speech_document, interleave_text


def make_dataset(sources, **kwargs):
    settings = dict(text_tokenizer=FakeTokenizer(), backend="reference", seed=5,
                    packing=PackingConfig(seq_len=64, batch_size=2))
    settings.update(kwargs)
    return InterleavedDataset(sources, **settings)


def in_workers(ds, num_workers, limit=None):
    """The batches a DataLoader(ds, batch_size=None, num_workers=num_workers) yields, its
    workers played in this process (each on its own copy of the dataset, taking turns as
    the DataLoader's in-order round robin does), so that many topologies stay fast."""
    if num_workers == 0:
        yield from itertools.islice(iter(ds), limit)
        return
    streams = []
    for w in range(num_workers):
        info = SimpleNamespace(id=w, num_workers=num_workers, seed=0, dataset=None)
        with mock.patch("torch.utils.data.get_worker_info", return_value=info):
            it = iter(pickle.loads(pickle.dumps(ds)))
            streams.append((it, next(it, None)))  # starts the worker under its identity
    count, w = 0, 0
    while any(first is not None or it is not None for it, first in streams):
        it, first = streams[w]
        item = first if first is not None else (next(it, None) if it is not None else None)
        streams[w] = (it if item is not None else None, None)
        w = (w + 1) % num_workers
        if item is None:
            continue
        if limit is not None and count == limit:
            return
        count += 1
        yield item


def run(sources, world_size, num_workers, limit=None, states=None, real_loader=False, **kw):
    """Every rank's batches (at most `limit` each) and every rank's tracker state."""
    batches, out_states = [], []
    for rank in range(world_size):
        ds = make_dataset(sources, rank=rank, world_size=world_size, **kw)
        if states is not None:
            ds.load_state_dict(states, reshard=True)
        tracker = LoaderStateTracker()
        tracker.load_state_dict(ds.state_dict())
        if real_loader:
            got = itertools.islice(DataLoader(ds, batch_size=None, num_workers=num_workers), limit)
        else:
            got = in_workers(ds, num_workers, limit)
        for batch in got:
            tracker.update(batch)
            batches.append(batch)
        out_states.append(tracker.state_dict())
    return batches, out_states


def coverage(batches):
    """Per document, how many times each of its tokens was delivered."""
    covered = {}
    for batch in batches:
        for r in itertools.chain.from_iterable(batch.receipts):
            counts = covered.setdefault(r.cut_id, {})
            for t in range(r.start, r.end):
                counts[t] = counts.get(t, 0) + 1
    return covered


def assert_each_token_delivered(batches, sources, ds, times):
    covered = coverage(batches)
    docs = [d for s in sources for d in getattr(s, "good_docs", s.docs)]
    assert set(covered) == {d.cut_id if hasattr(d, "cut_id") else d.doc_id for d in docs}
    for doc in docs:
        if hasattr(doc, "turn_start"):
            length = len(build_speech_document(doc, ds.chunking, ds.sampling, ds.seed, 0,
                                               ds.vocab)[0])
            name = doc.cut_id
        else:
            length, name = len(interleave_text(doc, ds.vocab)[0]), doc.doc_id
        assert covered[name] == {t: times for t in range(length)}, name


@pytest.mark.parametrize("mode", ["concat", "best_fit"])
@pytest.mark.parametrize("before,after", [((2, 2), (3, 1)), ((3, 1), (2, 2))])
def test_elastic_resume_mid_epoch_delivers_every_piece_once(rng, mode, before, after):
    sources = [speech_source(rng, n=14), text_source(rng, n=18, weight=0.5)]
    packing = PackingConfig(seq_len=64, batch_size=2, mode=mode)
    kw = dict(num_epochs=1, packing=packing)
    first, states = run(sources, *before, limit=int(rng.integers(2, 6)), real_loader=True, **kw)
    rest, _ = run(sources, *after, states=states, real_loader=True, **kw)
    assert_each_token_delivered(first + rest, sources, make_dataset(sources), times=1)


def test_elastic_resume_twice_and_back(rng):
    sources = [speech_source(rng, n=16), text_source(rng, n=20, weight=0.7)]
    kw = dict(num_epochs=2)
    a, states = run(sources, 2, 2, limit=3, **kw)
    b, states = run(sources, 3, 1, limit=2, states=states, **kw)
    c, states = run(sources, 1, 3, limit=5, states=states, **kw)
    d, _ = run(sources, 2, 2, states=states, **kw)
    assert_each_token_delivered(a + b + c + d, sources, make_dataset(sources), times=2)


def test_elastic_resume_needs_every_rank(rng):
    sources = [speech_source(rng, n=10)]
    _, states = run(sources, 2, 1, limit=2, num_epochs=1)
    ds = make_dataset(sources, world_size=3, num_epochs=1)
    with pytest.raises(SpelangyError, match="state of every rank"):
        ds.load_state_dict(states[:1], reshard=True)
    with pytest.raises(SpelangyError, match="reshard=True"):
        ds.load_state_dict(states)
    # The same topology from the list of every rank: each rank takes its own, exactly.
    whole, _ = run(sources, 2, 1, num_epochs=1)
    again = make_dataset(sources, rank=1, world_size=2, num_epochs=1)
    again.load_state_dict(states)
    rest = list(again)
    rank1 = [b for b in whole if b.loader_state["rank"] == 1][2:]
    assert [b.receipts for b in rest] == [b.receipts for b in rank1]


class SometimesBad(ListSource):
    """A source whose items listed in `bad` fail to read (skipped under on_bad_input="skip")."""

    def __init__(self, name, documents, bad, weight=1.0):
        super().__init__(name, documents, weight)
        self.bad = set(bad)
        self.good_docs = [d for i, d in enumerate(documents) if i not in self.bad]

    def to_document(self, index, raw, text_tokenizer):
        if index in self.bad:
            raise BadInputError("unreadable", source=self.name)
        return raw


def total_counters(states):
    total = {}
    for state in states:
        tracker = LoaderStateTracker()
        tracker.load_state_dict(state)
        for name, value in tracker.counters().items():
            total[name] = total.get(name, 0) + value
    return total


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_resume_property(data):
    """Random topologies before and after (1 to 4 workers), a checkpoint after an odd
    number of batches, num_epochs, unreadable lines and over-long documents skipped: the
    batches before and after deliver every token of every document once per epoch, and
    the counters end where an uninterrupted run's end."""
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = data.draw(st.integers(6, 16))
    docs = [speech_document(rng, f"s-{i}") for i in range(n)]
    bad = set(rng.choice(n, int(rng.integers(0, 3)), replace=False).tolist())
    long_text = text_source(rng, n=int(rng.integers(4, 10)), weight=0.6)
    sources = [SometimesBad("speech", docs, bad), long_text]
    kw = dict(num_epochs=data.draw(st.integers(1, 2)), on_bad_input="skip",
              packing=PackingConfig(seq_len=48, batch_size=2, max_document_rows=3,
                                    mode=data.draw(st.sampled_from(["concat", "best_fit"]))))
    topology = st.tuples(st.integers(1, 3), st.integers(1, 4))
    before, after = data.draw(topology), data.draw(topology)
    k = data.draw(st.integers(0, 4)) * 2 + 1
    whole, whole_states = run(sources, *before, **kw)
    first, states = run(sources, *before, limit=k, **kw)
    rest, end_states = run(sources, *after, states=states, **kw)
    ds = make_dataset(sources, **kw)
    too_long = {d.cut_id for d in docs if len(build_speech_document(
        d, ds.chunking, ds.sampling, ds.seed, 0, ds.vocab)[0]) > 3 * 48}
    too_long |= {d.doc_id for d in long_text.docs if len(interleave_text(d, ds.vocab)[0]) > 3 * 48}
    sources[0].good_docs = [d for d in sources[0].good_docs if d.cut_id not in too_long]
    long_text.good_docs = [d for d in long_text.docs if d.doc_id not in too_long]
    if any(s.good_docs for s in sources):
        assert_each_token_delivered(first + rest, sources, ds, times=kw["num_epochs"])
    # (with num_epochs every worker yields as many batches: none when nothing was left)
    assert total_counters(end_states if rest else states) == total_counters(whole_states)


def integer_paths(value, path=()):
    """Where the integers of a nested state are."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else []
    return [p for key, item in items for p in integer_paths(item, path + (key,))]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_damaged_state_is_refused_clearly_or_resumes(data):
    """Any integer of the saved states changed: a resume either runs (the state is another
    valid one) or is refused with a SpelangyError; it never fails inside."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    sources = [speech_source(rng, n=9), text_source(rng, n=7, weight=0.5)]
    kw = dict(num_epochs=1, packing=PackingConfig(seq_len=48, batch_size=2, mode="best_fit"))
    _, states = run(sources, 2, 2, limit=3, **kw)
    _, states = run(sources, 1, 3, limit=2, states=states, **kw)  # a state with a start
    paths = integer_paths(states)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        target = states
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = data.draw(st.sampled_from([-7, -1, 0, 1, 2, 5, 10**9]))
    try:
        run(sources, 2, 1, states=states, **kw)
    except SpelangyError:
        pass
