# InterleavedDataset: exactly-once sharding, equal batch counts, epochs, mixing, exact resume.
import itertools

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from fake_sources import FakeTokenizer, speech_source, text_source
from order_spec import spec_order
from spelangy import (ChunkingConfig, InterleavedDataset, LoaderStateTracker, Modality,
                      PackingConfig, SamplingConfig, SpelangyError)
from spelangy.reference import build_speech_document, interleave_text


def make_dataset(sources, **kwargs):
    settings = dict(text_tokenizer=FakeTokenizer(), packing=PackingConfig(seq_len=64, batch_size=2),
                    backend="reference", seed=3)
    settings.update(kwargs)
    return InterleavedDataset(sources, **settings)


def take(ds, num_workers, limit=None):
    loader = DataLoader(ds, batch_size=None, num_workers=num_workers)
    return list(itertools.islice(loader, limit))


def document_length(ds, source, doc, epoch=0):
    if hasattr(doc, "turn_start"):
        tokens = build_speech_document(doc, ds.chunking, ds.sampling, ds.seed, epoch, ds.vocab)[0]
    else:
        tokens = interleave_text(doc, ds.vocab)[0]
    return len(tokens)


@pytest.mark.parametrize("world_size,num_workers", [(1, 0), (1, 2), (2, 0), (2, 2), (3, 0), (3, 2)])
def test_every_document_exactly_once_and_equal_batch_counts(world_size, num_workers, rng):
    sources = [speech_source(rng, n=13, weight=0.4), text_source(rng, n=11, weight=0.6)]
    per_rank = [
        take(make_dataset(sources, rank=r, world_size=world_size, num_epochs=1), num_workers)
        for r in range(world_size)
    ]
    assert len({len(batches) for batches in per_rank}) == 1, "ranks yield different batch counts"
    pieces = {}
    for batch in itertools.chain.from_iterable(per_rank):
        for receipt in itertools.chain.from_iterable(batch.receipts):
            pieces.setdefault((receipt.source, receipt.cut_id), []).append((receipt.start, receipt.end))
    ds = make_dataset(sources)
    expected = {(s.name, d.cut_id): document_length(ds, s, d) for s in sources for d in s.docs}
    assert set(pieces) == set(expected)
    for key, spans in pieces.items():
        spans.sort()
        assert spans[0][0] == 0 and spans[-1][1] == expected[key], key
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), f"{key}: overlap or gap {spans}"


def test_padding_rows_carry_no_loss(rng):
    for _ in range(5):  # a draw that fills its last row exactly has no padding: draw again
        last = take(make_dataset([speech_source(rng, n=3)], num_epochs=1), 0)[-1]
        pad = last.modality == Modality.PAD
        if pad.any():
            break
    assert pad.any()
    assert (last.labels[pad] == -100).all() and (last.tokens[pad] == make_dataset(
        [speech_source(rng, n=1)]).vocab.pad).all()


def document_streams(batches):
    """Per document, in order of appearance, the tokens the batches carry for it: one list
    per pass over the document (a new pass starts when its piece at token 0 comes again)."""
    streams = {}
    for batch in batches:
        for row, receipts in enumerate(batch.receipts):
            for r in receipts:
                tokens = batch.tokens[row, r.row_offset:r.row_offset + r.end - r.start].tolist()
                passes = streams.setdefault(r.cut_id, [])
                if r.start == 0:
                    passes.append([])
                passes[-1].extend(tokens)
    return streams


def test_epochs_reshuffle_and_redraw(rng):
    """Epoch e reads the documents in the order of docs/semantics.md ("Order") and draws
    the modalities of epoch e: the same document differs between epochs."""
    source = speech_source(rng, n=10)
    ds = make_dataset([source], num_epochs=2, sampling=SamplingConfig(mode="stochastic"),
                      packing=PackingConfig(seq_len=4096, batch_size=1))
    batches = take(ds, 0)
    firsts = [r.cut_id for b in batches for r in itertools.chain.from_iterable(b.receipts)
              if r.start == 0]
    for epoch in (0, 1):  # one rank, no workers: shard 0; source 0
        order = spec_order(10, (ds.seed, 0, epoch))
        assert firsts[10 * epoch:10 * (epoch + 1)] == [source.docs[i].cut_id for i in order]
    streams = document_streams(batches)
    differ = 0
    for doc in source.docs:
        got = streams[doc.cut_id]
        assert len(got) == 2
        for epoch in (0, 1):
            want = build_speech_document(doc, ds.chunking, ds.sampling, ds.seed, epoch, ds.vocab)
            assert got[epoch] == want.tokens.tolist(), (doc.cut_id, epoch)
        differ += got[0] != got[1]
    assert differ > 0  # ten documents of several chunks: some draw differently
    again = take(make_dataset([source], num_epochs=2, sampling=SamplingConfig(mode="stochastic"),
                              packing=PackingConfig(seq_len=4096, batch_size=1)), 0)
    assert all(torch.equal(a.tokens, b.tokens) for a, b in zip(batches, again))


def test_token_shares_follow_weights(rng):
    sources = [speech_source(rng, n=20, weight=0.4), text_source(rng, n=40, weight=0.6)]
    ds = make_dataset(sources, packing=PackingConfig(seq_len=256, batch_size=4))
    counts = {"speech": 0, "text": 0}
    for i, batch in enumerate(take(ds, 0, limit=40)):
        for r in itertools.chain.from_iterable(batch.receipts):
            counts[r.source] += r.end - r.start
        if i >= 4:
            share = counts["text"] / sum(counts.values())
            assert abs(share - 0.6) < 0.06, (i, share)


@pytest.mark.parametrize("num_workers", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("mode", ["concat", "best_fit"])
def test_resume_gives_exactly_the_remaining_batches(num_workers, mode, rng):
    sources = [speech_source(rng, n=9, weight=0.5), text_source(rng, n=7, weight=0.5)]
    packing = PackingConfig(seq_len=48, batch_size=2, mode=mode, best_fit_open_rows=3)
    everything = take(make_dataset(sources, packing=packing), num_workers, limit=12)
    # Checkpoints that are not a multiple of the worker count: the workers' rotation must
    # resume at the right one.
    for k in (1, 3, 5, 7):
        tracker = LoaderStateTracker()
        for batch in take(make_dataset(sources, packing=packing), num_workers, limit=k):
            tracker.update(batch)
        resumed = make_dataset(sources, packing=packing)
        resumed.load_state_dict(tracker.state_dict())
        rest = take(resumed, num_workers, limit=12 - k)
        assert [b.receipts for b in everything[k:]] == [b.receipts for b in rest]
        assert all(torch.equal(a.tokens, b.tokens) and torch.equal(a.labels, b.labels)
                   for a, b in zip(everything[k:], rest))


def test_state_refuses_another_topology_unless_resharded(rng):
    sources = [speech_source(rng, n=8)]
    tracker = LoaderStateTracker()
    first = take(make_dataset(sources, num_epochs=1), 2, limit=3)
    for batch in first:
        tracker.update(batch)
    state = tracker.state_dict()
    assert set(state) == {"version", "rank", "world_size", "num_workers", "batches", "workers"}
    other = make_dataset(sources, world_size=2, num_epochs=1)
    with pytest.raises(SpelangyError, match="world_size=1"):
        other.load_state_dict(state)
    same = make_dataset(sources, num_epochs=1)
    same.load_state_dict(state)
    with pytest.raises(SpelangyError, match="num_workers=2"):
        take(same, 0, limit=1)
    older = dict(state, version=1)
    with pytest.raises(SpelangyError, match="version 1"):
        same.load_state_dict(older)
    # Resharded, the epoch continues on the new topology: the batches before and after
    # deliver every piece of every document of it once.
    spans = {}
    after = []
    for rank in range(2):
        resharded = make_dataset(sources, world_size=2, rank=rank, num_epochs=1)
        resharded.load_state_dict([state], reshard=True)
        after += take(resharded, 0)
    for batch in first + after:
        for r in itertools.chain.from_iterable(batch.receipts):
            spans.setdefault(r.cut_id, []).append((r.start, r.end))
    ds = make_dataset(sources)
    assert set(spans) == {d.cut_id for d in sources[0].docs}
    for doc in sources[0].docs:
        parts = sorted(spans[doc.cut_id])
        assert parts[0][0] == 0 and parts[-1][1] == document_length(ds, sources[0], doc)
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:])), doc.cut_id


def test_deterministic_alternation_in_every_document(rng):
    ds = make_dataset([speech_source(rng, n=6)], num_epochs=1,
                      chunking=ChunkingConfig(mode="fine", max_chunk_duration=3.0),
                      packing=PackingConfig(seq_len=100000, batch_size=1, mode="best_fit"))
    vocab = ds.vocab
    documents = 0
    for batch in take(ds, 0):
        bounds = batch.cu_seqlens.tolist()
        flat = batch.tokens.flatten()
        for lo, hi in zip(bounds, bounds[1:]):
            doc = flat[lo:hi]
            if doc[0] != vocab.bos:
                continue  # padding
            documents += 1
            markers = doc[(doc == vocab.audio_marker) | (doc == vocab.text_marker)].tolist()
            if not markers:  # no chunk had a token (a short turn past the speech array's end)
                assert doc.tolist() == [vocab.bos, vocab.eos]
                continue
            # A marker at every switch, the first chunk in audio.
            assert markers[0] == vocab.audio_marker
            assert all(a != b for a, b in zip(markers, markers[1:]))
    assert documents == 6


@pytest.mark.parametrize("mode", ["concat", "best_fit"])
def test_cpp_and_reference_datasets_give_identical_batches(mode, rng):
    sources = [speech_source(rng, n=8, weight=0.5), text_source(rng, n=8, weight=0.5)]
    settings = dict(num_epochs=1, sampling=SamplingConfig(mode="stochastic"), loss_on="text",
                    packing=PackingConfig(seq_len=96, batch_size=3, mode=mode))
    reference = take(make_dataset(sources, backend="reference", **settings), 0)
    cpp = take(make_dataset(sources, backend="cpp", **settings), 0)
    assert len(reference) == len(cpp)
    for a, b in zip(reference, cpp):
        assert a.receipts == b.receipts
        for name in ("tokens", "labels", "position_ids", "modality", "cu_seqlens"):
            assert torch.equal(getattr(a, name), getattr(b, name)), name
