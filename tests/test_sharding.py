# A speech source over several manifest files: sharding by document and by file, errors, resume.
import gzip
import itertools
import re
from pathlib import Path

import pytest
import torch
from data_utils import export_shar, make_tiny_corpus
from torch.utils.data import DataLoader

import spelangy.reading.sharding
from spelangy import InterleavedDataset, LoaderStateTracker, PackingConfig
from spelangy.errors import BadInputError, SpelangyError
from spelangy.sources import SpeechTextSource

NUM_DOCS = 12


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("files")
    cuts, spm = make_tiny_corpus(root, num_docs=NUM_DOCS, seed=11)
    return cuts, spm, gzip.decompress(cuts.read_bytes()).splitlines(keepends=True)


def split(lines, directory, rng, num_files):
    """The lines over `num_files` non-empty files cut at random places, some gzip, some
    plain; returns the paths and the cut ids of each file."""
    cuts = sorted(rng.choice(range(1, len(lines)), num_files - 1, replace=False).tolist())
    paths, ids = [], []
    for k, (a, b) in enumerate(zip([0] + cuts, cuts + [len(lines)])):
        data = b"".join(lines[a:b])
        gz = bool(rng.random() < 0.5)
        path = directory / (f"cuts.{k:06d}.jsonl" + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(data) if gz else data)
        paths.append(str(path))
        ids.append({f"tiny-{i:03d}" for i in range(a, b)})
    return paths, ids


def dataset(cuts, spm, shard_by="document", **kwargs):
    settings = dict(packing=PackingConfig(seq_len=96, batch_size=2), seed=4)
    settings.update(kwargs)
    return InterleavedDataset([SpeechTextSource("speech", cuts, shard_by=shard_by)], spm,
                              **settings)


def take(ds, num_workers, limit=None):
    loader = DataLoader(ds, batch_size=None, num_workers=num_workers)
    return list(itertools.islice(loader, limit))


def every_rank(cuts, spm, world_size, num_workers, **kwargs):
    return [take(dataset(cuts, spm, rank=r, world_size=world_size, num_epochs=1, **kwargs),
                 num_workers) for r in range(world_size)]


def pieces(batches):
    return [r for b in batches for r in itertools.chain.from_iterable(b.receipts)]


def assert_same_batches(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.receipts == y.receipts
        assert torch.equal(x.tokens, y.tokens) and torch.equal(x.labels, y.labels)


@pytest.mark.parametrize("world_size,num_workers", [(1, 0), (1, 2), (2, 0), (3, 2)])
def test_sharding_by_document_over_files_equals_the_joined_manifest(
        corpus, tmp_path, rng, world_size, num_workers):
    cuts, spm, lines = corpus
    lines = list(lines)
    lines.insert(int(rng.integers(1, len(lines))), b"\n")  # blank lines count as lines
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(b"".join(lines))
    paths, _ = split(lines, tmp_path, rng, 5)
    expected = every_rank(str(joined), spm, world_size, num_workers)
    got = every_rank(paths, spm, world_size, num_workers)
    for a, b in zip(expected, got):
        assert_same_batches(a, b)
    assert {r.cut_id for r in pieces(itertools.chain(*got))} == {
        f"tiny-{i:03d}" for i in range(NUM_DOCS)}


def shard_of_every_cut(cuts, spm, world_size, num_workers):
    """Reads one epoch with shard_by="file" on every rank; checks that every cut of the
    corpus came whole (its pieces tile the tokens an unsharded pass gives it) and from one
    shard only, and returns that shard per cut id."""
    whole = {}  # each cut's token count, from one unsharded pass
    for r in pieces(take(dataset(cuts, spm, num_epochs=1), 0)):
        whole[r.cut_id] = whole.get(r.cut_id, 0) + r.end - r.start
    spans, shard_of = {}, {}
    for rank, batches in enumerate(every_rank(cuts, spm, world_size, num_workers,
                                              shard_by="file")):
        for batch in batches:
            shard = rank * max(num_workers, 1) + batch.loader_state["worker"]
            for r in itertools.chain.from_iterable(batch.receipts):
                spans.setdefault(r.cut_id, []).append((r.start, r.end))
                assert shard_of.setdefault(r.cut_id, shard) == shard, r.cut_id
    assert set(spans) == set(whole)
    for cut_id, cut_spans in spans.items():
        cut_spans.sort()
        assert cut_spans[0][0] == 0 and cut_spans[-1][1] == whole[cut_id], cut_id
        assert all(a[1] == b[0] for a, b in zip(cut_spans, cut_spans[1:])), cut_id
    return shard_of


@pytest.mark.parametrize("world_size", [1, 2])
@pytest.mark.parametrize("num_workers", [0, 2])
def test_sharding_by_file_delivers_every_cut_once_from_its_files(
        corpus, tmp_path, rng, world_size, num_workers):
    cuts, spm, lines = corpus
    paths, ids = split(lines, tmp_path, rng, 5)
    shard_of = shard_of_every_cut(paths, spm, world_size, num_workers)
    for k, file_ids in enumerate(ids):
        assert {shard_of[i] for i in file_ids} == {k % (world_size * max(num_workers, 1))}, k


@pytest.fixture(scope="module")
def shar(corpus, tmp_path_factory):
    """The corpus as a Lhotse Shar directory of 4 shards (3 cuts each, in manifest order),
    speech tokens included."""
    cuts, _, _ = corpus
    return export_shar(cuts, tmp_path_factory.mktemp("shar") / "shar", shard_size=3)


@pytest.mark.parametrize("world_size,num_workers", [(1, 0), (2, 0), (2, 2)])
def test_shar_shards_are_files(corpus, shar, world_size, num_workers):
    _, spm, _ = corpus
    shard_of = shard_of_every_cut(str(shar), spm, world_size, num_workers)
    num_shards = world_size * max(num_workers, 1)
    assert shard_of == {f"tiny-{i:03d}": (i // 3) % num_shards for i in range(NUM_DOCS)}
    with pytest.raises(SpelangyError, match=re.escape(
            "source 'speech' is sharded by file but has 4 manifest file(s) for 5 shards")):
        next(iter(dataset(str(shar), spm, "file", world_size=5)))


def test_a_worker_opens_only_its_own_files(corpus, tmp_path, rng, monkeypatch):
    cuts, spm, lines = corpus
    paths, ids = split(lines, tmp_path, rng, 5)
    opened = []
    real = spelangy.reading.sharding.iter_documents

    def spy(path, source):
        opened.append(path)
        return real(path, source)

    for rank in range(3):
        ds = dataset(paths, spm, "file", rank=rank, world_size=3)
        opened.clear()
        monkeypatch.setattr(spelangy.reading.sharding, "iter_documents", spy)
        got = {r.cut_id for r in pieces(take(ds, 0, limit=2))}
        monkeypatch.setattr(spelangy.reading.sharding, "iter_documents", real)
        assert opened == [p for k, p in enumerate(paths) if k % 3 == rank]
        assert got <= set().union(*(ids[k] for k in range(rank, 5, 3)))


def test_a_corrupt_file_of_another_shard_is_never_read(corpus, tmp_path, rng):
    cuts, spm, lines = corpus
    paths, _ = split(lines, tmp_path, rng, 4)
    bad = int(rng.integers(1, 4))
    with open(paths[bad], "wb") as f:
        f.write(b"\x1f\x8b not gzip at all\n" if paths[bad].endswith(".gz") else b"{broken\n")
    # Ranks without workers: an error raised in a DataLoader worker takes PyTorch seconds to
    # shut down, and the files a shard reads do not depend on what runs it.
    for rank in range(4):
        ds = dataset(paths, spm, "file", rank=rank, world_size=4)
        if rank == bad:
            with pytest.raises(BadInputError, match=re.escape(f"file {paths[bad]}")):
                take(ds, 0, limit=3)
        else:
            assert len(take(ds, 0, limit=3)) == 3


class AsWorker:
    """What `torch.utils.data.get_worker_info()` says inside a DataLoader worker."""

    def __init__(self, worker_id, num_workers):
        self.id, self.num_workers = worker_id, num_workers


def test_too_few_files_for_the_shards(corpus, tmp_path, rng, monkeypatch):
    cuts, spm, lines = corpus
    paths, _ = split(lines, tmp_path, rng, 3)
    for world_size, num_workers, files in ((2, 2, paths), (2, 1, [str(cuts)]),
                                           (1, 2, [str(cuts)]), (4, 1, paths)):
        ds = dataset(files, spm, "file", world_size=world_size)
        monkeypatch.setattr(torch.utils.data, "get_worker_info",
                            lambda: AsWorker(0, num_workers))
        with pytest.raises(SpelangyError, match=re.escape(
                f"source 'speech' is sharded by file but has {len(files)} manifest file(s) for "
                f"{world_size * num_workers} shards (world_size * num_workers)")):
            next(iter(ds))
    monkeypatch.undo()
    assert len(take(dataset(paths, spm, "file", world_size=3, num_epochs=1), 0)) > 0


def test_settings_and_lists_that_are_refused(corpus, tmp_path):
    cuts, _, _ = corpus
    with pytest.raises(SpelangyError, match=r"shard_by must be one of \('document', 'file'\), "
                                            r"got 'files'"):
        SpeechTextSource("s", cuts, shard_by="files")
    with pytest.raises(SpelangyError, match="list of cuts manifests is empty"):
        SpeechTextSource("s", [])
    missing = tmp_path / "no.jsonl"
    with pytest.raises(SpelangyError, match=re.escape(f"manifest not found: {missing}")):
        SpeechTextSource("s", [cuts, missing])
    shar = tmp_path / "shar"  # what makes a directory a Shar directory to a source
    shar.mkdir()
    (shar / "cuts.000000.jsonl.gz").write_bytes(cuts.read_bytes())
    with pytest.raises(SpelangyError, match=re.escape(f"only manifest files (a Shar directory is "
                                                      f"given alone); {shar} is a dir")):
        SpeechTextSource("s", [cuts, shar])
    with pytest.raises(SpelangyError, match=re.escape("given alone); got int")):
        SpeechTextSource("s", (cuts, 3))


def test_one_file_in_a_list_is_the_single_manifest(corpus):
    cuts, spm, _ = corpus
    single, listed = SpeechTextSource("s", cuts), SpeechTextSource("s", [cuts])
    assert listed.path == single.path == str(cuts)
    assert list(listed.iter_raw()) == list(single.iter_raw())
    assert listed.speech_vocab_size() == 64
    for shard_by in ("document", "file"):
        assert_same_batches(take(dataset(str(cuts), spm, shard_by, num_epochs=1), 0),
                            take(dataset([cuts], spm, shard_by, num_epochs=1), 0))


@pytest.mark.parametrize("shard_by", ["document", "file"])
def test_a_corrupt_line_names_its_file_and_line(corpus, tmp_path, rng, shard_by):
    cuts, spm, lines = corpus
    paths, ids = split(lines, tmp_path, rng, 3)
    second = Path(paths[1]).read_bytes()
    broken = (gzip.decompress(second) if paths[1].endswith(".gz") else second).splitlines(True)
    line = int(rng.integers(0, len(broken)))
    broken[line] = b'{"id": "tiny-bad", "type": "MonoCut", "start": [\n'
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(broken))
    paths[1] = str(bad)
    source = SpeechTextSource("speech", paths, shard_by=shard_by)
    with pytest.raises(BadInputError) as info:
        list(source.documents(spelangy.TextTokenizer(spm)))
    assert (info.value.path, info.value.cut_id) == (str(bad), "tiny-bad")
    assert f"line {line + 1}" in str(info.value) and str(bad) in str(info.value)
    where = f"line {line + 1} (source 'speech', file {bad}"
    with pytest.raises(BadInputError, match=re.escape(where)):
        take(dataset(paths, spm, shard_by, num_epochs=1, world_size=1), 0)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_resume_with_sharding_by_file_is_exact(corpus, tmp_path, rng, num_workers):
    cuts, spm, lines = corpus
    paths, _ = split(lines, tmp_path, rng, 5)
    everything = take(dataset(paths, spm, "file", world_size=2, rank=1), num_workers, limit=14)
    for k in (1, int(rng.integers(2, 12))):
        tracker = LoaderStateTracker()
        for batch in take(dataset(paths, spm, "file", world_size=2, rank=1), num_workers,
                          limit=k):
            tracker.update(batch)
        resumed = dataset(paths, spm, "file", world_size=2, rank=1)
        resumed.load_state_dict(tracker.state_dict())
        assert_same_batches(everything[k:], take(resumed, num_workers, limit=14 - k))


def test_reshard_with_sharding_by_file(corpus, tmp_path, rng):
    """A reshard restarts the recorded epoch on the new topology: its ranks deliver every
    document of the epoch once, whole."""
    cuts, spm, lines = corpus
    paths, ids = split(lines, tmp_path, rng, 4)
    tracker = LoaderStateTracker()
    for batch in take(dataset(paths, spm, "file", num_epochs=1), 2, limit=3):
        tracker.update(batch)
    state = tracker.state_dict()
    delivered = []
    for rank in range(2):
        resharded = dataset(paths, spm, "file", world_size=2, rank=rank, num_epochs=1)
        resharded.load_state_dict(state, reshard=True)
        delivered += pieces(take(resharded, 2))
    spans = {}
    for r in delivered:
        spans.setdefault(r.cut_id, []).append((r.start, r.end))
    assert set(spans) == set().union(*ids)
    for cut_id, parts in spans.items():
        parts.sort()
        assert parts[0][0] == 0 and all(a[1] == b[0] for a, b in zip(parts, parts[1:])), cut_id
    crowded = dataset(paths, spm, "file", world_size=5)
    crowded.load_state_dict(state, reshard=True)
    with pytest.raises(SpelangyError, match=re.escape("has 4 manifest file(s) for 5 shards")):
        take(crowded, 0, limit=1)
