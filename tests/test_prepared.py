# Prepared corpora (`spelangy index`): the same documents and batches as the manifests they
# come from, clear errors for a wrong tokenizer, version or a damaged build.
import gzip
import itertools
import json
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from data_utils import make_tiny_corpus, random_text, train_tiny_spm, write_text_jsonl
from docgen import assert_same_documents
from torch.utils.data import DataLoader

from spelangy import InterleavedDataset, PackingConfig
from spelangy.errors import SpelangyError
from spelangy.prepared.build import build_index
from spelangy.reference import build_speech_document, interleave_text
from spelangy.sources import SpeechTextSource, TextSource
from spelangy.text_tokenizer import TextTokenizer


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("prepared")
    cuts, spm = make_tiny_corpus(root, num_docs=7, aligned=0.7, seed=4)
    rng = np.random.default_rng(4)
    text = write_text_jsonl(root / "text.jsonl.gz", [random_text(rng, 3) for _ in range(9)])
    tok = TextTokenizer(spm)
    build_index([cuts], root / "speech-index", tok, progress=False)
    build_index([text], root / "text-index", tok, progress=False)
    return root, cuts, text, tok


def test_prepared_documents_equal_the_manifests(corpus):
    root, cuts, text, tok = corpus
    assert_same_documents(list(SpeechTextSource("s", cuts).documents(tok)),
                          list(SpeechTextSource("s", root / "speech-index").documents(tok)))
    assert_same_documents(list(TextSource("t", text).documents(tok)),
                          list(TextSource("t", root / "text-index").documents(tok)))
    meta = json.loads((root / "speech-index" / "meta.json").read_text())
    assert meta["documents"] == 7 and meta["speech_vocab_size"] == 64
    assert meta["frame_shifts"] == [0.08] and meta["skipped"]["count"] == 0
    source = SpeechTextSource("s", root / "speech-index")
    assert len(pickle.dumps(source)) < 2000  # the path and meta, never the columns
    assert source.speech_vocab_size() == 64


@pytest.mark.parametrize("chunking", ["coarse", "fine"])
def test_documents_run_from_the_maps_equal_their_arrays(corpus, chunking):
    """The C++ core builds and sizes a prepared document from the maps, without its arrays:
    the same tokens, chunks and length as from the arrays, and as the reference."""
    from spelangy import _C, _core_cpp, reference
    from spelangy.config import ChunkingConfig, SamplingConfig
    from spelangy.prepared.corpus import PreparedCorpus
    from spelangy.vocab import VocabLayout

    root, _, _, tok = corpus
    prepared = PreparedCorpus(root / "speech-index")
    vocab = VocabLayout(tok.vocab_size, 64)
    settings = (ChunkingConfig(chunking, max_chunk_duration=6.0), SamplingConfig("stochastic"))
    for number in range(len(prepared)):
        unread, arrays = prepared.unread_document(number, "s"), prepared.document(number, "s")
        assert (unread.cut_id, unread.key, unread.words_outside_cut) == \
            (arrays.cut_id, arrays.key, arrays.words_outside_cut)
        for epoch in (0, 3):
            got = _core_cpp.build_speech_document(unread, *settings, 5, epoch, vocab)
            for want in (_core_cpp.build_speech_document(arrays, *settings, 5, epoch, vocab),
                         reference.build_speech_document(unread, *settings, 5, epoch, vocab)):
                assert np.array_equal(got.tokens, want.tokens)
                assert np.array_equal(got.modality, want.modality)
                assert all(np.array_equal(a, b) for a, b in zip(got.chunks, want.chunks))
            assert _core_cpp.speech_document_length(unread, *settings, 5, epoch, vocab) == \
                len(got.tokens)
    columns = dict(prepared.columns)
    columns["turn_speaker"] = columns["turn_speaker"].astype(np.int64)
    with pytest.raises(TypeError, match="column turn_speaker must be a contiguous int32"):
        _C.PreparedSpeechColumns(columns)


def batches(sources, tok, num_workers, **kwargs):
    ds = InterleavedDataset(sources, tok, packing=PackingConfig(seq_len=96, batch_size=2),
                            num_epochs=2, seed=5, **kwargs)
    return list(DataLoader(ds, batch_size=None, num_workers=num_workers))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_prepared_batches_equal_the_manifest_batches(corpus, num_workers):
    root, cuts, text, tok = corpus
    for rank, world_size in ((0, 1), (1, 2)):
        manifest = batches([SpeechTextSource("s", cuts, weight=0.5),
                            TextSource("t", text, weight=0.5)], tok, num_workers,
                           rank=rank, world_size=world_size)
        prepared = batches([SpeechTextSource("s", root / "speech-index", weight=0.5),
                            TextSource("t", root / "text-index", weight=0.5)], tok,
                           num_workers, rank=rank, world_size=world_size)
        assert len(manifest) == len(prepared) > 2
        for a, b in zip(manifest, prepared):
            assert a.receipts == b.receipts
            for name in ("tokens", "labels", "position_ids", "modality", "cu_seqlens"):
                assert torch.equal(getattr(a, name), getattr(b, name)), name


@pytest.mark.parametrize("world_size,num_workers",
                         list(itertools.product((1, 2, 3), (0, 2))))
def test_prepared_corpus_delivers_every_token_once(corpus, world_size, num_workers):
    root, _, _, tok = corpus
    sources = [SpeechTextSource("s", root / "speech-index", weight=0.5),
               TextSource("t", root / "text-index", weight=0.5)]
    delivered = {}
    for rank in range(world_size):
        ds = InterleavedDataset(sources, tok, packing=PackingConfig(seq_len=96, batch_size=2),
                                num_epochs=1, seed=1, rank=rank, world_size=world_size)
        for batch in DataLoader(ds, batch_size=None, num_workers=num_workers):
            for r in itertools.chain.from_iterable(batch.receipts):
                delivered.setdefault((r.source, r.cut_id), []).extend(range(r.start, r.end))
    lengths = {}
    for s in sources:
        for i in range(len(s.prepared)):
            doc = s.prepared.document(i, s.name)
            if s.name == "s":
                built = build_speech_document(doc, ds.chunking, ds.sampling, ds.seed, 0, ds.vocab)
                lengths[(s.name, doc.cut_id)] = len(built[0])
            else:
                lengths[(s.name, doc.doc_id)] = len(interleave_text(doc, ds.vocab)[0])
    assert sorted(delivered) == sorted(lengths)
    for name, tokens in delivered.items():
        assert sorted(tokens) == list(range(lengths[name])), name


def test_bad_documents_are_skipped_and_recorded(corpus, tmp_path):
    root, cuts, _, tok = corpus
    with gzip.open(cuts, "rb") as f:
        lines = f.readlines()
    data = json.loads(lines[2])
    data["supervisions"][0]["text"] = " "
    lines[2] = json.dumps(data).encode() + b"\n"
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(lines))
    with pytest.raises(SpelangyError, match="empty transcript.*line 3"):
        build_index([bad], tmp_path / "strict", tok, progress=False)
    meta = build_index([bad], tmp_path / "lenient", tok, on_bad_input="skip", progress=False)
    assert meta["documents"] == 6 and meta["skipped"]["count"] == 1
    assert "empty transcript" in meta["skipped"]["examples"][0]
    assert [d.cut_id for d in SpeechTextSource("s", tmp_path / "lenient").documents(tok)] == \
        [f"tiny-{i:03d}" for i in range(7) if i != 2]


def test_another_tokenizer_a_damaged_build_and_a_new_version_are_refused(corpus, tmp_path):
    import shutil

    root, cuts, _, tok = corpus
    other = TextTokenizer(train_tiny_spm(["some other text entirely"] * 20, tmp_path / "o.model",
                                         30))
    with pytest.raises(SpelangyError, match="built with another SentencePiece model"):
        next(SpeechTextSource("s", root / "speech-index").documents(other))
    damaged = tmp_path / "damaged"
    shutil.copytree(root / "speech-index", damaged)
    with open(damaged / "speech_tokens.bin", "r+b") as f:
        f.truncate(10)
    with pytest.raises(SpelangyError, match="column speech_tokens.bin has 10 bytes.*truncated"):
        next(SpeechTextSource("s", damaged).documents(tok))

    def changed(index, column, dtype, at, value):
        """A copy of prepared directory `index` where `column[at]` holds `value`."""
        copy = tmp_path / f"{index}-{column}"
        shutil.copytree(root / index, copy)
        values = np.fromfile(copy / f"{column}.bin", dtype)
        values[at] = value
        values.tofile(copy / f"{column}.bin")
        return copy

    def read_all(source):
        return list(InterleavedDataset([source], tok, packing=PackingConfig(seq_len=96,
                                                                            batch_size=2)))

    frames = np.fromfile(root / "speech-index" / "doc_frame_end.bin", "<i8")
    # document 2's codes would run past the column
    bad_rows = changed("speech-index", "doc_frame_end", "<i8", 2, frames[-1] + 1)
    with pytest.raises(SpelangyError, match="document [23] has rows .* of speech_tokens.*damaged"):
        read_all(SpeechTextSource("s", bad_rows))
    bad_id = changed("text-index", "doc_ids", np.uint8, 0, 0xFF)  # never in UTF-8
    with pytest.raises(SpelangyError, match="id of document 0 is not UTF-8: a damaged build"):
        read_all(TextSource("t", bad_id))
    miscounted = tmp_path / "miscounted"
    shutil.copytree(root / "speech-index", miscounted)
    meta = json.loads((miscounted / "meta.json").read_text())
    meta["documents"] -= 1
    (miscounted / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(SpelangyError, match="values of doc_id_end for 6 documents"):
        next(SpeechTextSource("s", miscounted).documents(tok))
    newer = tmp_path / "newer"
    shutil.copytree(root / "speech-index", newer)
    meta = json.loads((newer / "meta.json").read_text())
    (newer / "meta.json").write_text(json.dumps({**meta, "version": 99}))
    with pytest.raises(SpelangyError, match="format version 99.*spelangy index"):
        SpeechTextSource("s", newer)
    with pytest.raises(SpelangyError, match="prepared corpus of text documents, not speech"):
        SpeechTextSource("s", root / "text-index")
    with pytest.raises(SpelangyError, match="already holds a prepared corpus"):
        build_index([cuts], root / "speech-index", tok, progress=False)
    with pytest.raises(SpelangyError, match="mix cuts and text"):
        build_index([cuts, root / "text.jsonl.gz"], tmp_path / "mixed", tok, progress=False)


def test_index_command(corpus, tmp_path):
    from spelangy.cli import main

    root, cuts, text, tok = corpus
    plain = tmp_path / "book.txt"
    plain.write_text("First paragraph here.\n\nSecond one.\n")
    result = CliRunner().invoke(main, ["index", str(text), str(plain), "--output-dir",
                                       str(tmp_path / "idx"), "--text-tokenizer", tok.path])
    assert result.exit_code == 0, result.output
    assert "11 text documents" in result.output
    docs = list(TextSource("t", tmp_path / "idx").documents(tok))
    assert [d.doc_id for d in docs][-2:] == ["t:1:0", "t:1:1"]  # named after the source
    assert docs[-1].text_tokens.tolist() == tok.encode("Second one.")
    assert list(itertools.islice(TextSource("t", [text, plain]).documents(tok), 9, None))[0] \
        .text_tokens.tolist() == docs[9].text_tokens.tolist()


def test_index_of_cut_manifests_runs_without_torch_or_lhotse(corpus, tmp_path):
    """`spelangy index` reads stored codes on the fast path: importing torch (through
    Lhotse) would cost every build and every build process seconds."""
    root, cuts, _, tok = corpus
    code = ("import sys; from spelangy.cli import main; sys.argv = ['spelangy', 'index', "
            f"{str(cuts)!r}, '--output-dir', {str(tmp_path / 'idx')!r}, '--text-tokenizer', "
            f"{tok.path!r}]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted({'torch', 'lhotse'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]", result.stdout
    assert (tmp_path / "idx" / "meta.json").exists()


def test_first_batch_reads_only_what_it_needs(tmp_path, monkeypatch):
    """A prepared shard is a range: the first batch makes the few documents it packs, not
    the shard's (and Python memory to the first batch does not grow with the corpus)."""
    import tracemalloc

    from spelangy.prepared.corpus import PreparedCorpus

    made = []
    real = PreparedCorpus.unread_document
    monkeypatch.setattr(PreparedCorpus, "unread_document",
                        lambda self, i, name: made.append(i) or real(self, i, name))
    peaks = {}
    for n in (8, 48):
        cuts, spm = make_tiny_corpus(tmp_path / f"c{n}", num_docs=n, seed=n)
        tok = TextTokenizer(spm)
        build_index([cuts], tmp_path / f"i{n}", tok, progress=False)
        ds = InterleavedDataset([SpeechTextSource("s", tmp_path / f"i{n}")], tok,
                                packing=PackingConfig(seq_len=64, batch_size=2))
        made.clear()
        tracemalloc.start()
        start = time.perf_counter()
        next(iter(ds))
        seconds = time.perf_counter() - start  # shown, not asserted: this VM's speed drifts
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{n} documents: first batch in {seconds:.3f} s, peak {peaks[n] / 1024:.0f} KiB")
        assert 1 <= len(made) <= 4, (n, made)  # two rows of 64 tokens: a document or two
    assert peaks[48] < 1.2 * peaks[8] + 32 * 1024, peaks


def _bytes(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_parts_and_jobs_give_the_same_bytes(corpus, tmp_path, rng):
    """A build in 3 parts joined, or in 2 local processes, equals the build in one: every
    column and meta.json, byte for byte (skips and text files included)."""
    from spelangy.cli import main

    root, cuts, text, tok = corpus
    with gzip.open(cuts, "rb") as f:
        lines = f.readlines()
    files = []  # the manifest cut in 4 files at random places, one with a bad line
    cut = sorted(rng.choice(range(1, len(lines)), 3, replace=False).tolist())
    for k, (a, b) in enumerate(zip([0] + cut, cut + [len(lines)])):
        files.append(tmp_path / f"cuts.{k}.jsonl")
        files[-1].write_bytes(b"".join(lines[a:b]) + (b"{not json}\n" if k == 1 else b""))
    args = ["--text-tokenizer", tok.path, "--on-bad-input", "skip"]
    one = tmp_path / "one"
    assert CliRunner().invoke(main, ["index", *map(str, files), "--output-dir", str(one),
                                     *args]).exit_code == 0
    parts = [tmp_path / f"part{k}" for k in range(3)]
    for k, part in enumerate(parts):
        result = CliRunner().invoke(main, ["index", *map(str, files), "--output-dir", str(part),
                                           "--part", f"{k}/3", *args])
        assert result.exit_code == 0, result.output
    joined = tmp_path / "joined"
    result = CliRunner().invoke(main, ["index", "--join", *map(str, parts), "--output-dir",
                                       str(joined)])
    assert result.exit_code == 0, result.output
    jobs = tmp_path / "jobs"
    build_index(files, jobs, tok, on_bad_input="skip", num_jobs=2, progress=False)
    assert _bytes(joined) == _bytes(one) == _bytes(jobs)
    assert json.loads((one / "meta.json").read_text())["skipped"]["count"] == 1
    assert_same_documents(list(SpeechTextSource("s", cuts).documents(tok)),
                          list(SpeechTextSource("s", joined).documents(tok)))
    # Text files too, and the parts of one build only, in order.
    texts = [tmp_path / f"t{k}.jsonl" for k in range(3)]
    for k, path in enumerate(texts):
        write_text_jsonl(path, [random_text(rng, 2) for _ in range(k + 2)])
    build_index(texts, tmp_path / "t-one", tok, progress=False)
    build_index(texts, tmp_path / "t-jobs", tok, num_jobs=3, progress=False)
    assert _bytes(tmp_path / "t-one") == _bytes(tmp_path / "t-jobs")
    with pytest.raises(SpelangyError, match="must be 0/N ... N-1/N of one build"):
        from spelangy.prepared.build import join_index

        join_index([parts[1], parts[0], parts[2]], tmp_path / "wrong")


def test_a_slow_unprepared_source_names_spelangy_index(corpus, monkeypatch, caplog):
    import spelangy.loading

    root, cuts, _, tok = corpus
    monkeypatch.setattr(spelangy.loading, "SLOW_LOAD_SECONDS", 0.0)
    for path, hinted in ((cuts, True), (root / "speech-index", False)):
        caplog.clear()
        next(iter(InterleavedDataset([SpeechTextSource("s", path)], tok)))
        assert ("`spelangy index` prepares them once" in caplog.text) is hinted
