# The fast manifest path gives exactly the documents (and errors) of the Lhotse-object path.
import dataclasses
import gzip
import json
from pathlib import Path

import numpy as np
import orjson
import pytest

from data_utils import make_tiny_corpus
from spelangy.convert import cut_to_document
from spelangy.errors import BadInputError
from spelangy.fastpath import line_to_document, read_speech_tokens
from spelangy.fastpath.speech_arrays import Unhandled
from spelangy.manifest import Where, cut_from_line
from spelangy.text_tokenizer import TextTokenizer

WHERE = Where("tiny", "cuts.jsonl.gz", 1)


def assert_same_document(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f.name
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def lhotse_path(line, tokenizer):
    return cut_to_document(cut_from_line(line, WHERE), tokenizer, None, WHERE)


def outcome(fn, line, tokenizer):
    try:
        return fn(line, tokenizer)
    except BadInputError as err:
        return str(err)


def assert_same_outcome(line, tokenizer):
    fast = outcome(lambda l, t: line_to_document(l, t, WHERE), line, tokenizer)
    slow = outcome(lhotse_path, line, tokenizer)
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
    else:
        assert_same_document(fast, slow)
    return slow


def manifest_lines(path):
    with gzip.open(path, "rb") as f:
        return [line for line in f if line.strip()]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    cuts, spm = make_tiny_corpus(tmp_path_factory.mktemp("fast"), num_docs=6, aligned=0.6, seed=3)
    return manifest_lines(cuts), TextTokenizer(spm), cuts


@pytest.fixture(scope="module")
def bench_corpus(tmp_path_factory):
    from spelangy.bench.corpus import CorpusSpec, generate_corpus

    spec = CorpusSpec(num_docs=3, min_minutes=0.5, max_minutes=1.0, text_vocab_size=300,
                      word_vocab_size=200)
    corpus = generate_corpus(tmp_path_factory.mktemp("bench"), spec)
    return manifest_lines(corpus.cuts_path), TextTokenizer(corpus.spm_path)


def test_identical_documents_on_the_tiny_corpus(tiny):
    lines, tokenizer, _ = tiny
    for line in lines:
        doc = assert_same_outcome(line, tokenizer)
        assert not isinstance(doc, str), doc


def test_identical_documents_on_the_bench_corpus(bench_corpus):
    lines, tokenizer = bench_corpus
    docs = [assert_same_outcome(line, tokenizer) for line in lines]
    assert all(doc.turn_aligned.all() for doc in docs)
    assert sum(int(doc.word_sentence_end.sum()) for doc in docs) > 10


def _mutate(data: dict, rng: np.random.Generator) -> dict:
    """One random change that a real manifest may carry (or a bad input it must reject)."""
    sups = data["supervisions"]
    sup = sups[int(rng.integers(len(sups)))]
    words = (sup.get("alignment") or {}).get("word")
    listy = bool(words) and isinstance(words[0], list)  # not yet turned into dicts (kind 6)
    kind = int(rng.integers(11))
    if kind == 0:
        rng.shuffle(sups)
    elif kind == 1 and words:
        rng.shuffle(words)  # out of time order: the stable sort by start
    elif kind == 2 and listy:
        words.insert(int(rng.integers(len(words) + 1)), [" ", words[0][1], 0.0, None])
    elif kind == 3 and words and len(words) > 1:
        words.pop(int(rng.integers(len(words))))  # count mismatch: symbols become the words
    elif kind == 4:
        sup.pop("speaker", None)
    elif kind == 5:
        data["start"] = round(float(rng.uniform(0.0, 0.5)), 3)  # offsets words and tokens
    elif kind == 6 and listy:
        sup["alignment"]["word"] = [dict(zip(("symbol", "start", "duration"), w[:3])) for w in words]
    elif kind == 7:
        sup["text"] = " " if rng.random() < 0.5 else None
    elif kind == 8 and listy:
        words[-1][1] += float(rng.uniform(-2.0, 2.0))  # may leave its turn
    elif kind == 9:
        data["custom"].pop("speech_tokens", None)
    elif kind == 10:
        data["duration"] = round(data["duration"] * float(rng.uniform(0.5, 1.0)), 3)
    return data


def test_identical_outcomes_under_random_changes(tiny):
    lines, tokenizer, _ = tiny
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    outcomes = set()
    for _ in range(40):
        data = json.loads(lines[int(rng.integers(len(lines)))])
        for _ in range(int(rng.integers(1, 4))):
            data = _mutate(data, rng)
        line = orjson.dumps(data)
        try:
            slow = assert_same_outcome(line, tokenizer)
        except AssertionError as err:
            raise AssertionError(f"seed {seed}: {err}\n{line[:400]!r}") from err
        outcomes.add(type(slow).__name__)
    assert "SpeechDocument" in outcomes


def test_bad_lines_fail_with_the_lhotse_path_error(tiny):
    lines, tokenizer, _ = tiny
    data = json.loads(lines[0])
    data["supervisions"][0]["text"] = ""
    with pytest.raises(BadInputError, match="empty transcript.*cut 'tiny-000'"):
        line_to_document(orjson.dumps(data), tokenizer, WHERE)
    with pytest.raises(BadInputError, match="corrupt manifest line"):
        line_to_document(lines[0][:50], tokenizer, WHERE)


def test_speech_tokens_sliced_as_lhotse_slices_them(tiny):
    from lhotse.array import TemporalArray

    _, _, cuts_path = tiny
    manifest = json.loads(manifest_lines(cuts_path)[0])["custom"]["speech_tokens"]
    array = TemporalArray.from_dict(json.loads(json.dumps(manifest)))
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    for _ in range(30):
        manifest["start"] = round(float(rng.uniform(0, 0.3)), 3)
        array.start = manifest["start"]
        start = round(float(rng.uniform(0, 1.0)), 4)
        duration = round(float(rng.uniform(0, 3.0)), 4)
        try:
            expected = array.load(start=start, duration=duration)
        except ValueError:
            with pytest.raises(Unhandled):
                read_speech_tokens(manifest, start, duration)
            continue
        got, frame_shift = read_speech_tokens(manifest, start, duration)
        assert frame_shift == 0.08
        assert np.array_equal(got, expected), f"seed {seed}: start {start} duration {duration}"


def test_key_with_a_leading_slash_is_read_like_lhotse(tiny):
    from lhotse.array import TemporalArray

    _, _, cuts_path = tiny
    manifest = json.loads(manifest_lines(cuts_path)[1])["custom"]["speech_tokens"]
    manifest["array"]["storage_key"] = "/" + manifest["array"]["storage_key"]
    expected = TemporalArray.from_dict(json.loads(json.dumps(manifest))).load()
    got, _ = read_speech_tokens(manifest, 0.0, manifest["array"]["shape"][0] * 0.08)
    assert np.array_equal(got, expected)


def test_fast_source_gives_the_same_batches(tiny):
    from spelangy import InterleavedDataset, PackingConfig
    from spelangy.sources import SpeechTextSource

    _, tokenizer, cuts_path = tiny

    def batches(reader):
        ds = InterleavedDataset([SpeechTextSource("tiny", cuts_path, reader=reader)], tokenizer,
                                packing=PackingConfig(seq_len=64, batch_size=2), num_epochs=2)
        return list(ds)

    fast, slow = batches("fast"), batches("lhotse")
    assert len(fast) == len(slow) > 2
    for a, b in zip(fast, slow):
        assert a.receipts == b.receipts
        for name in ("tokens", "labels", "position_ids", "modality", "cu_seqlens"):
            assert np.array_equal(getattr(a, name).numpy(), getattr(b, name).numpy()), name


def test_fast_source_reads_shar_like_its_parent(tiny, tmp_path):
    from data_utils import export_shar
    from spelangy.sources import SpeechTextSource

    _, tokenizer, cuts_path = tiny
    shar = export_shar(cuts_path, Path(tmp_path) / "shar")
    fast = list(SpeechTextSource("s", shar, reader="fast").documents(tokenizer))
    slow = list(SpeechTextSource("s", shar, reader="lhotse").documents(tokenizer))
    assert [d.cut_id for d in fast] == [d.cut_id for d in slow]
    for a, b in zip(fast, slow):
        assert_same_document(a, b)
