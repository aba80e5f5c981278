# The fast reader (C++) gives exactly the documents (and errors) of the Lhotse reader.
import dataclasses
import gzip
import json
from pathlib import Path

import numpy as np
import orjson
import pytest

from data_utils import make_tiny_corpus
from spelangy.errors import BadInputError, Where
from spelangy.reading.lhotse_reader import cut_from_line, cut_to_document
from spelangy.reading.reader import line_to_document
from spelangy.reading.storage import Unhandled, read_temporal
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
        args = (manifest["array"], manifest["array"]["shape"][0], manifest["frame_shift"],
                manifest["start"], start, duration)
        try:
            expected = array.load(start=start, duration=duration)
        except ValueError:
            with pytest.raises(Unhandled):
                read_temporal(*args)
            continue
        got = read_temporal(*args)
        assert np.array_equal(got, expected), f"seed {seed}: start {start} duration {duration}"


def test_key_with_a_leading_slash_is_read_like_lhotse(tiny):
    from lhotse.array import TemporalArray

    _, _, cuts_path = tiny
    manifest = json.loads(manifest_lines(cuts_path)[1])["custom"]["speech_tokens"]
    manifest["array"]["storage_key"] = "/" + manifest["array"]["storage_key"]
    expected = TemporalArray.from_dict(json.loads(json.dumps(manifest))).load()
    num_frames = manifest["array"]["shape"][0]
    got = read_temporal(manifest["array"], num_frames, 0.08, 0.0, 0.0, num_frames * 0.08)
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


# --- the C++ reader (spelangy._C.read_manifest_line) -------------------------------------

def native_outcome(line, tokenizer):
    """The C++ reader's document, None when it leaves the line to the other paths, or the
    error the speech tokens raise."""
    from spelangy.reading.native import native_line_to_document

    try:
        return native_line_to_document(line, tokenizer, WHERE)
    except (Unhandled, KeyError, OSError, ValueError):
        return None


def assert_bitwise_same(a, b):
    """Same document, and float arrays equal bit for bit (-0.0 is not 0.0 here)."""
    assert_same_document(a, b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) and x.dtype == np.float64:
            assert np.array_equal(x.view(np.uint64), y.view(np.uint64)), f.name


def test_cpp_reader_takes_every_usual_line(tiny, bench_corpus):
    from spelangy._C import read_manifest_line

    for lines, tokenizer in ((tiny[0], tiny[1]), bench_corpus):
        for line in lines:
            assert not isinstance(read_manifest_line(line), str), read_manifest_line(line)
            assert_bitwise_same(native_outcome(line, tokenizer), lhotse_path(line, tokenizer))


def _number(x, rng) -> str:
    """One of the ways JSON writers spell a number (all read back as the same value)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(x)
    forms = [repr(x), json.dumps(x), orjson.dumps(x).decode()]
    if isinstance(x, float):
        forms += [f"{x:.17e}", f"{x:.16E}", f"{x:.20g}"]
        if x == int(x) and abs(x) < 1e15 and not (x == 0 and np.signbit(x)):
            forms.append(str(int(x)))  # an int: the same number to every reader
    return forms[int(rng.integers(len(forms)))]


def _dumps(obj, rng) -> str:
    """JSON with random spacing, escapes (ensure_ascii or raw UTF-8) and number spellings."""
    sp = " " if rng.random() < 0.3 else ""
    if isinstance(obj, dict):
        return "{" + f",{sp}".join(f"{_dumps(k, rng)}:{sp}{_dumps(v, rng)}"
                                   for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + f",{sp}".join(_dumps(v, rng) for v in obj) + "]"
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=bool(rng.random() < 0.5))
    if obj is None or isinstance(obj, bool):
        return json.dumps(obj)
    return _number(obj, rng)


ODD_WORDS = ["caf\u00e9", "na\u00efve\u2026", "\u201cquoted.\u201d", "it\u2019s", "\U0001f600",
             "end.)", "why?\"", "\u4f60\u597d\u3002", "tab\\there", "q\"uote", "a/b",
             "\u00e9t\u00e9!'",
             "\u2026", "x\u200by", "ﬁne.", "\u0000nul", "…)]}"]
SPACES = [" ", "\t", "\n", "\u00a0", "\u3000", "\u2009", "\x1f", "\u2028", "\u0085"]
EXTRA = {"a": [1, {"b": "}\"]\\", "c": [[], {}]}, None, True, False, -1.5e+3, "\U0001f600"]}


def _mutate_more(data: dict, rng: np.random.Generator) -> dict:
    """Changes aimed at the scanner: odd text, odd spacing, extra fields Lhotse accepts or
    rejects, and numbers in every spelling (the latter by `_dumps`)."""
    sup = data["supervisions"][int(rng.integers(len(data["supervisions"])))]
    words = (sup.get("alignment") or {}).get("word")
    kind = int(rng.integers(10))
    if kind == 0:  # odd words in the text, joined by any whitespace Python splits on
        text = (sup["text"] or "").split() + list(rng.choice(ODD_WORDS, int(rng.integers(1, 4))))
        rng.shuffle(text)
        sup["text"] = "".join(w + str(rng.choice(SPACES)) for w in text)
    elif kind == 1 and words and isinstance(words[0], list):  # odd symbols
        words[int(rng.integers(len(words)))][0] = str(rng.choice(ODD_WORDS + ["a b", "\u3000"]))
    elif kind == 2:  # fields Lhotse takes and never reads here
        target = [data, sup, data["custom"]][int(rng.integers(3))]
        target[str(rng.choice(["channel", "language", "gender", "custom", "note"]))] = \
            json.loads(json.dumps(EXTRA))
    elif kind == 3:  # fields Lhotse rejects
        target = [data, sup, data["custom"].get("speech_tokens") or {}][int(rng.integers(3))]
        target["unknown"] = 1
    elif kind == 4:
        sup["alignment"] = None if rng.random() < 0.5 else {"word": None}
    elif kind == 5 and words:
        sup["alignment"]["phone"] = [["p", 0.0, 0.1]] if rng.random() < 0.5 else [1]
    elif kind == 6:
        names = ["\u00e9ve", "", "bob", "alice"]
        sup["speaker"] = str(rng.choice(names)) if rng.random() < 0.8 else None
    elif kind == 7 and words and isinstance(words[0], list):
        w = words[int(rng.integers(len(words)))]
        w[1] = -0.0 if rng.random() < 0.3 else w[1] + 1e-05  # tiny and signed numbers
    elif kind == 8:
        data["custom"]["speech_vocab_size"] = [None, 2048, 2048.0, 3][int(rng.integers(4))]
    elif kind == 9:
        data["supervisions"].append(dict(sup, id=sup["id"] + "-dup"))  # equal starts: stable sort
    return data


def test_cpp_reader_matches_lhotse_under_random_changes(tiny):
    lines, tokenizer, _ = tiny
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    taken = 0
    for _ in range(60):
        data = json.loads(lines[int(rng.integers(len(lines)))])
        for _ in range(int(rng.integers(1, 4))):
            data = (_mutate if rng.random() < 0.4 else _mutate_more)(data, rng)
        line = _dumps(data, rng).encode()
        try:
            slow = assert_same_outcome(line, tokenizer)
            native = native_outcome(line, tokenizer)
            if native is not None:
                assert not isinstance(slow, str), slow
                assert_bitwise_same(native, slow)
                taken += 1
        except AssertionError as err:
            raise AssertionError(f"seed {seed}: {err}\n{line[:600]!r}") from err
    assert taken >= 10, f"seed {seed}: the C++ reader took only {taken} of 60 lines"


@pytest.mark.parametrize("frame_shift, lhotse_error", [
    (b"0.0", "ZeroDivisionError"), (b"0", "ZeroDivisionError"), (b"-0.08", None),
    # more frames than the 28 digits of Lhotse's Decimal count
    (b"1e-300", "InvalidOperation"), (b"1e-27", "InvalidOperation"),
    (b"5e-324", "InvalidOperation"),
])
def test_a_frame_shift_lhotse_cannot_slice_by_is_left_to_lhotse(tiny, frame_shift, lhotse_error):
    lines, tokenizer, _ = tiny
    data = orjson.loads(lines[0])
    data["custom"]["speech_tokens"]["frame_shift"] = 0.08
    line = orjson.dumps(data).replace(b'"frame_shift":0.08', b'"frame_shift":' + frame_shift)
    slow = assert_same_outcome(line, tokenizer)
    if lhotse_error is not None:
        assert slow.startswith(f"cannot read speech_tokens: {lhotse_error}")
    assert native_outcome(line, tokenizer) is None  # the C++ reader leaves it to Lhotse


def test_cpp_reader_leaves_damaged_lines_to_lhotse(tiny):
    from spelangy._C import read_manifest_line

    lines, tokenizer, _ = tiny
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    line = lines[int(rng.integers(len(lines)))].rstrip()
    for cut in rng.choice(len(line), 40, replace=False):
        assert isinstance(read_manifest_line(line[:cut]), str)
    for _ in range(40):
        damaged = bytearray(line)
        damaged[int(rng.integers(len(line)))] = int(rng.integers(256))
        try:
            assert_same_outcome(bytes(damaged), tokenizer)
        except AssertionError as err:
            raise AssertionError(f"seed {seed}: {err}\n{bytes(damaged)!r}") from err
    for bad in (b"", b"{}", b"[]", b'{"type": "MonoCut"} x', line + b",", line[:-1] + b',}',
                line.replace(b'"', b'"\\ud800', 1), b"\xff" + line):
        assert isinstance(read_manifest_line(bad), str), bad


def test_cpp_reader_splits_and_ends_sentences_like_python(tiny):
    from spelangy._C import read_manifest_line
    from spelangy.reading.lhotse_reader import is_sentence_end

    lines, _, _ = tiny
    data = json.loads(lines[0])
    data["supervisions"] = data["supervisions"][:1]
    data["supervisions"][0].pop("alignment", None)
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    pool = ODD_WORDS + [".", "?!", "\u2026\u201d", "a.\u2019", "'", "b.x", "c\u2026d"]
    for _ in range(20):
        text = "".join(str(rng.choice(pool)) + str(rng.choice(SPACES)) for _ in range(8))
        data["supervisions"][0]["text"] = text
        got = read_manifest_line(orjson.dumps(data))
        words = text.split()
        assert got.words.split(" ") == words, f"seed {seed}"
        assert got.word_sentence_end.tolist() == [int(is_sentence_end(w)) for w in words], f"seed {seed}"


# --- the word token cache on the fast path -----------------------------------------------

def uncached(tokenizer):
    """A copy of `tokenizer` that encodes every document without the word cache."""
    import pickle

    plain = pickle.loads(pickle.dumps(tokenizer))
    plain.word_cache = None
    return plain


def test_cached_documents_equal_uncached_lhotse_documents(tiny, bench_corpus):
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    for lines, tokenizer in ((tiny[0], tiny[1]), bench_corpus):
        cached, plain = TextTokenizer(tokenizer.path), uncached(tokenizer)
        # Twice over, in random order: first with a cold cache, then with every word cached.
        order = list(rng.permutation(len(lines))) * 2
        for i in order:
            fast = line_to_document(lines[i], cached, WHERE)
            assert_same_document(fast, lhotse_path(lines[i], plain))
        assert len(cached.word_cache) > 0
    lines, tokenizer, _ = tiny
    cached, plain = TextTokenizer(tokenizer.path), uncached(tokenizer)
    for _ in range(30):  # odd words: unicode, empty-looking, split by normalization
        data = json.loads(lines[int(rng.integers(len(lines)))])
        data = _mutate_more(data, rng)
        line = orjson.dumps(data)
        fast = outcome(lambda l, t: line_to_document(l, t, WHERE), line, cached)
        slow = outcome(lhotse_path, line, plain)
        if isinstance(slow, str) or isinstance(fast, str):
            assert fast == slow, f"seed {seed}"
        else:
            assert_same_document(fast, slow)


def test_npy_rows_read_like_numpy(tmp_path):
    from spelangy.reading.storage import _read_numpy_file

    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    dtypes = ["<i2", ">i2", "<i4", "<u2", "|u1", "<i8", "<f4"]  # floats: numpy's own reader
    shapes = [lambda n: (n,), lambda n: (n, 1), lambda n: (n, 3), lambda n: (n, 2, 2)]
    for i in range(40):
        n = int(rng.integers(0, 50))
        arr = rng.integers(0, 100, shapes[int(rng.integers(len(shapes)))](n))
        arr = arr.astype(dtypes[int(rng.integers(len(dtypes)))])
        if rng.random() < 0.2:
            arr = np.asfortranarray(arr)
        version = [(1, 0), (2, 0), (3, 0)][int(rng.integers(3))]
        with open(tmp_path / f"a{i}.npy", "wb") as f:
            np.lib.format.write_array(f, arr, version=version)
        left = int(rng.integers(0, n + 3))
        right = None if rng.random() < 0.2 else left + int(rng.integers(0, n + 3))
        got = _read_numpy_file(str(tmp_path), f"a{i}.npy", left, right)
        want = np.load(tmp_path / f"a{i}.npy")[left:right]
        assert got.dtype == want.dtype and got.shape == want.shape, (seed, arr.dtype, version)
        assert np.array_equal(got, want), (seed, arr.dtype, version)


def test_cpp_reader_reads_decimals_like_python(tiny):
    from spelangy._C import read_manifest_line

    lines, _, _ = tiny
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    data = json.loads(lines[0])
    data["start"], data["duration"] = 0, 1e7  # every word inside the cut
    sup = data["supervisions"][0]
    sup["start"], sup["duration"] = 0, 1e7
    words = sup["alignment"]["word"]
    spelled = []
    for w in words:  # short decimals (the fast path), long ones and exponents (from_chars)
        for k in (1, 2):
            x = float(rng.uniform(0, 10 ** int(rng.integers(0, 6))))
            form = int(rng.integers(5))
            text = [f"{x:.{int(rng.integers(0, 8))}f}", repr(x),
                    f"{x:.{int(rng.integers(0, 17))}e}",
                    f"{int(x)}e-{int(rng.integers(0, 25))}", f"0.{'0' * int(rng.integers(0, 9))}"
                    f"{int(rng.integers(1, 10**6))}"][form]
            spelled.append(text)
            w[k] = text
    line = json.dumps(data)
    for text in spelled:
        line = line.replace(f'"{text}"', text, 1)
    got = read_manifest_line(line.encode())
    assert not isinstance(got, str), got
    starts = [float(t) for t in spelled[0::2]]
    ends = [s + float(d) for s, d in zip(starts, spelled[1::2])]
    order = np.argsort(starts, kind="stable")
    assert got.word_start[:len(words)].tolist() == [starts[i] for i in order], f"seed {seed}"
    assert got.word_end[:len(words)].tolist() == [ends[i] for i in order], f"seed {seed}"
