# Fuzz targets over spelangy's untrusted inputs, drawn by hypothesis. `tests/test_fuzz.py`
# runs a short seeded campaign of each; a long one runs by hand:
#
#   .venv/bin/python tests/fuzz.py --minutes 60 [--seed N]
#
# (under scripts/sanitize.sh the C++ core runs with ASan and UBSan).
"""Targets:

- `manifest_lines`: a real Lhotse line with structured changes (any JSON value at any key)
  or byte damage: the fast reader and the Lhotse reader give the same document or the same
  BadInputError, and nothing else escapes.
- `ragged_batches`: a RaggedBatch whose arrays have any dtype, shape and values: the C++
  builders (CPU and kernel emulation) either refuse it with SpelangyError or equal the
  reference.
- `speech_documents`: document arrays of any dtype, shape and values (times NaN or 1e300,
  offsets anywhere, codes NO_AUDIO): the C++ core either refuses with BadInputError or
  equals the reference, token for token.
- `prepared_columns`: the columns of a prepared corpus with values changed anywhere or cut
  short: a document run from the maps gives the same tokens, length or error as the same
  document read into arrays first.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

sys.path.insert(0, str(Path(__file__).parent))

from data_utils import make_tiny_corpus  # noqa: E402
from docgen import random_ragged_batch, random_speech_document  # noqa: E402

from spelangy import _core_cpp as cpp  # noqa: E402
from spelangy import reference as ref  # noqa: E402
from spelangy.config import ChunkingConfig, SamplingConfig  # noqa: E402
from spelangy.errors import BadInputError, SpelangyError, Where  # noqa: E402
from spelangy.prepared.build import build_index  # noqa: E402
from spelangy.prepared.corpus import PreparedCorpus  # noqa: E402
from spelangy.reading.reader import line_to_document  # noqa: E402
from spelangy.text_tokenizer import TextTokenizer  # noqa: E402
from spelangy.vocab import VocabLayout  # noqa: E402

VOCAB = VocabLayout(text_vocab_size=150, speech_vocab_size=64)
WHERE = Where("fuzz", "cuts.jsonl", 1)
_CORPUS = {}

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=4),
    max_leaves=8)
ODD_VALUES = st.sampled_from([None, True, 0, -1, 1e308, -0.0, "x", "", [], {}, [0, "a"],
                              {"width": 1}, {"id": "r", "sources": [], "sampling_rate": 1},
                              1e-300, 2**63, "\u2026 \u00a0", [["a", 0, 1]], {"word": []}])


def corpus():
    """(lines, tokenizer) of a small real corpus, made once per process."""
    if not _CORPUS:
        root = Path(tempfile.mkdtemp(prefix="spelangy-fuzz-"))
        cuts, spm = make_tiny_corpus(root, num_docs=4, aligned=0.7, seed=11)
        with gzip.open(cuts, "rb") as f:
            _CORPUS["lines"] = [line for line in f if line.strip()]
        _CORPUS["tokenizer"] = TextTokenizer(spm)
        build_index([cuts], root / "prepared", _CORPUS["tokenizer"], progress=False)
        _CORPUS["prepared"] = root / "prepared"
    return _CORPUS["lines"], _CORPUS["tokenizer"]


def _paths(value, prefix=()):
    """Every (container, key) place in a parsed JSON value."""
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, child in items:
        yield value, key
        yield from _paths(child, prefix + (key,))


def _outcome(line, tokenizer, reader):
    try:
        return line_to_document(line, tokenizer, WHERE, reader=reader)
    except BadInputError as err:
        return str(err)


def check_manifest_line(line: bytes) -> None:
    _, tokenizer = corpus()
    fast, slow = _outcome(line, tokenizer, "fast"), _outcome(line, tokenizer, "lhotse")
    if isinstance(fast, str) or isinstance(slow, str):
        assert fast == slow, (fast, slow)
        return
    for f in dataclasses.fields(fast):
        a, b = getattr(fast, f.name), getattr(slow, f.name)
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, f.name


@st.composite
def manifest_lines(draw) -> bytes:
    lines, _ = corpus()
    line = lines[draw(st.integers(0, len(lines) - 1))]
    if draw(st.integers(0, 9)) == 0:  # byte damage
        data = bytearray(line)
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data) - 1))
            data[at:at + draw(st.integers(0, 3))] = draw(st.binary(max_size=3))
        return bytes(data)
    data = json.loads(line)
    places = list(_paths(data))
    for _ in range(draw(st.integers(1, 3))):
        container, key = places[draw(st.integers(0, len(places) - 1))]
        # A copy: sampled values are shared objects, and later changes must not reach them.
        container[key] = copy.deepcopy(draw(ODD_VALUES | JSON_VALUES))
        places = list(_paths(data))
    return json.dumps(data).encode()


def check_ragged_batch(ragged) -> None:
    try:
        got = cpp.build_batch_arrays(ragged)
    except SpelangyError:
        return
    want = ref.build_batch_arrays(ragged)
    for a, b in zip(got, want):
        assert np.array_equal(a, b)
    for a, b in zip(cpp.build_batch_arrays_kernel_emulation(ragged), want):
        assert np.array_equal(a, b)


INT_DTYPES = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32,
                              np.uint64, np.float32, np.bool_])


def _damaged(draw, array: np.ndarray) -> np.ndarray:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(hnp.arrays(draw(INT_DTYPES), draw(hnp.array_shapes(min_dims=0, max_dims=2,
                                                                        max_side=6))))
    if kind == 1:
        return array.astype(draw(INT_DTYPES))
    if kind == 2 and array.size:
        out = array.astype(np.int64)
        out[draw(st.integers(0, out.size - 1))] = draw(st.integers(-2**63, 2**63 - 1))
        return out
    if kind == 3:
        return array.reshape(1, -1)
    return array


@st.composite
def ragged_batches(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ragged = random_ragged_batch(rng)
    fields = ["tokens", "modality", "piece_row", "piece_col", "piece_length", "piece_src",
              "piece_next_label"]
    for name in draw(st.lists(st.sampled_from(fields), max_size=2, unique=True)):
        setattr(ragged, name, _damaged(draw, getattr(ragged, name)))
    if draw(st.integers(0, 9)) == 0:
        ragged.batch_size = draw(st.integers(-2, 2**64))
    return ragged


ODD_TIMES = st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e300, 1e18, -0.0, 5e-324])


@st.composite
def speech_documents(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    doc = random_speech_document(rng)
    names = ["turn_start", "turn_end", "turn_speaker", "turn_word_offsets", "turn_aligned",
             "word_start", "word_sentence_end", "word_token_offsets", "text_tokens",
             "speech_tokens"]
    for name in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
        array = getattr(doc, name)
        if name in ("turn_start", "turn_end", "word_start") and array.size:
            array = array.copy()
            array[draw(st.integers(0, array.size - 1))] = draw(ODD_TIMES)
        else:
            array = _damaged(draw, array)
        setattr(doc, name, array)
    doc.frame_shift = draw(st.sampled_from([doc.frame_shift] * 6 + [0.0, -0.08, np.nan, 1e-300]))
    return doc


def check_speech_document(doc) -> None:
    chunking = ChunkingConfig("fine" if doc.key % 2 else "coarse")
    sampling = SamplingConfig("stochastic" if doc.key % 3 else "deterministic")
    try:
        got = cpp.build_speech_document(doc, chunking, sampling, 7, 1, VOCAB)
    except BadInputError:
        try:  # sizing a document (counting batches) refuses it as building does
            cpp.speech_document_length(doc, chunking, sampling, 7, 1, VOCAB)
        except BadInputError:
            return
        raise AssertionError("speech_document_length took a document that building refuses")
    assert cpp.speech_document_length(doc, chunking, sampling, 7, 1, VOCAB) == len(got.tokens)
    want = ref.build_speech_document(doc, chunking, sampling, 7, 1, VOCAB)
    assert np.array_equal(got.tokens, want.tokens)
    assert np.array_equal(got.modality, want.modality)
    assert got.audio_chunks_as_text == want.audio_chunks_as_text


def prepared_corpus() -> PreparedCorpus:
    corpus()
    return PreparedCorpus(_CORPUS["prepared"])


def _column_values(dtype: np.dtype):
    if dtype.kind == "f":
        return ODD_TIMES | st.floats(-1.0, 200.0)
    bounds = np.iinfo(dtype)
    return st.integers(int(bounds.min), int(bounds.max)) | st.integers(max(-3, int(bounds.min)),
                                                                        min(3000, int(bounds.max)))


@st.composite
def prepared_columns(draw):
    """(columns, document number): the corpus's columns with some values changed or a
    column cut short, as a damaged or hostile build would hold them."""
    columns = dict(prepared_corpus().columns)
    names = sorted(columns)
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        array = columns[name].copy()
        # opening a corpus checks every per-document column's length against its count
        if (draw(st.integers(0, 5)) == 0 or not array.size) and not name.startswith("doc_"):
            array = array[:draw(st.integers(0, len(array)))]
        elif not array.size:
            continue
        else:
            for _ in range(draw(st.integers(1, 3))):
                array[draw(st.integers(0, array.size - 1))] = draw(_column_values(array.dtype))
        columns[name] = array
    return columns, draw(st.integers(0, len(prepared_corpus()) - 1))


def _prepared_outcome(run):
    try:
        return run()
    except SpelangyError as err:  # BadInputError too
        return f"{type(err).__name__}: {err}"


def check_prepared_columns(drawn) -> None:
    columns, number = drawn
    corpus = prepared_corpus()
    corpus._use(columns)  # the damaged build, as its maps would give it
    chunking = ChunkingConfig("fine" if number % 2 else "coarse")
    sampling = SamplingConfig("stochastic" if number % 3 else "deterministic")
    vocab = VocabLayout(_CORPUS["tokenizer"].vocab_size, 64)
    runs = {"maps": lambda: corpus.unread_document(number, "s"),
            "arrays": lambda: corpus.document(number, "s")}
    outcomes = {}
    for how, document in runs.items():
        outcomes[how] = (
            _prepared_outcome(lambda: cpp.build_speech_document(
                document(), chunking, sampling, 7, 1, vocab)),
            _prepared_outcome(lambda: cpp.speech_document_length(
                document(), chunking, sampling, 7, 1, vocab)))
    (maps, maps_length), (arrays, arrays_length) = outcomes["maps"], outcomes["arrays"]
    assert maps_length == arrays_length, (maps_length, arrays_length)
    if isinstance(maps, str) or isinstance(arrays, str):
        assert maps == arrays, (maps, arrays)
        return
    assert len(maps.tokens) == maps_length
    for a, b in zip(maps + maps.chunks, arrays + arrays.chunks):
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()  # bit for bit
        elif not isinstance(a, tuple):
            assert a == b


TARGETS = {
    "manifest_lines": (manifest_lines(), check_manifest_line),
    "ragged_batches": (ragged_batches(), check_ragged_batch),
    "speech_documents": (speech_documents(), check_speech_document),
    "prepared_columns": (prepared_columns(), check_prepared_columns),
}


def run(name: str, examples: int, campaign_seed: int) -> None:
    """One seeded campaign of `examples` inputs on target `name`."""
    strategy, check = TARGETS[name]
    test = seed(campaign_seed)(settings(
        max_examples=examples, deadline=None, database=None,
        suppress_health_check=list(HealthCheck))(given(strategy)(check)))
    test()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--examples", type=int, default=2000, help="per target and round")
    args = parser.parse_args()
    campaign_seed = args.seed if args.seed is not None else int(time.time())
    end, rounds = time.time() + args.minutes * 60, 0
    while time.time() < end:
        for name in TARGETS:
            print(f"round {rounds}: {name}, seed {campaign_seed + rounds}, "
                  f"{args.examples} inputs", flush=True)
            run(name, args.examples, campaign_seed + rounds)
        rounds += 1
    print(f"{rounds} rounds of {len(TARGETS)} targets x {args.examples} inputs: no finding")


if __name__ == "__main__":
    main()
