# Bad values anywhere in a cut: both readers give the same BadInputError naming the file, the
# line and the cut (or the same document); the fast reader never takes a line Lhotse refuses.
import gzip
import json
import re

import orjson
import pytest
from data_utils import make_tiny_corpus

from spelangy.errors import BadInputError, Where
from spelangy.reading.reader import line_to_document
from spelangy.text_tokenizer import TextTokenizer

WHERE = Where("web", "cuts.jsonl.gz", 7)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    cuts, spm = make_tiny_corpus(tmp_path_factory.mktemp("bad"), num_docs=1, aligned=1.0, seed=5)
    with gzip.open(cuts, "rb") as f:
        return f.readline(), TextTokenizer(spm)


def _sup(data):
    return data["supervisions"][0]


def _word(data):
    return _sup(data)["alignment"]["word"][0]


def _source(data):
    data["recording"].pop("channel_ids", None)
    return data["recording"]["sources"][0]


# (change, part of the error message; None: both readers give the same document)
CASES = {
    "cut duration -1": (lambda d: d.update(duration=-1.0), "cut duration -1.0 s is out of range"),
    "cut duration 1e308": (lambda d: d.update(duration=1e308), r"cut duration 1e\+308 s is out"),
    "cut duration 0": (lambda d: d.update(duration=0), "cut duration 0 s is out of range"),
    "cut duration str": (lambda d: d.update(duration="x"), "cut duration must be a number"),
    "cut start str": (lambda d: d.update(start="x"), "cut start must be a number"),
    "cut start 1e300": (lambda d: d.update(start=1e300), r"cut start 1e\+300 s is out of range"),
    "cut id int": (lambda d: d.update(id=5), "cut id must be a string, got int"),
    "symbol int": (lambda d: _word(d).__setitem__(0, 5), "symbol 5 .* is not a string"),
    "word start str": (lambda d: _word(d).__setitem__(1, "x"), "not a number"),
    "word start 1e300": (lambda d: _word(d).__setitem__(1, 1e300), "outside its turn"),
    "speaker list": (lambda d: _sup(d).update(speaker=[1]), "must be a string or null, got list"),
    "speaker dict": (lambda d: _sup(d).update(speaker={"a": 1}), "got dict"),
    "speaker int": (lambda d: _sup(d).update(speaker=5), "got int"),
    "sup start str": (lambda d: _sup(d).update(start="x"), "start of supervision .* finite"),
    "sup duration null": (lambda d: _sup(d).update(duration=None), "duration of supervision"),
    "sup duration negative": (lambda d: _sup(d).update(duration=-5.0), "is negative"),
    "sup text int": (lambda d: _sup(d).update(text=5), "text of supervision .* got int"),
    "sup custom int": (lambda d: _sup(d).update(custom=5), "not a Lhotse cut"),
    "sup custom list": (lambda d: _sup(d).update(custom=[]), "not a Lhotse cut"),
    "sup custom str": (lambda d: _sup(d).update(custom="s"), "not a Lhotse cut"),
    "sup custom bool": (lambda d: _sup(d).update(custom=True), "not a Lhotse cut"),
    "sup custom image": (lambda d: _sup(d).update(custom={"x": {"width": 3}}), "Image"),
    "sup custom recording": (lambda d: _sup(d).update(custom={"x": {
        "id": "r", "sources": [], "sampling_rate": 16000}}), "Recording"),
    "sup custom plain": (lambda d: _sup(d).update(custom={"x": 1, "y": {"a": 2}}), None),
    "channels 0": (lambda d: _source(d).update(channels=0), "not iterable"),
    "channels null": (lambda d: _source(d).update(channels=None), "not iterable"),
    "channels mixed": (lambda d: _source(d).update(channels=[0, "a"]), "not supported"),
    "channels ok": (lambda d: _source(d).update(channels=[0]), None),
    # Found by tests/fuzz.py: a null channel_ids is absent to Lhotse, which then sorts the
    # sources' channels.
    "channel_ids null": (lambda d: (_source(d).update(channels=[None, {}]),
                                    d["recording"].update(channel_ids=None)), "not supported"),
    "vocab str": (lambda d: d["custom"].update(speech_vocab_size="x"), "positive integer"),
    "vocab 2.5": (lambda d: d["custom"].update(speech_vocab_size=2.5), "positive integer"),
}


def _outcome(line, tokenizer, reader):
    try:
        return line_to_document(line, tokenizer, WHERE, reader=reader)
    except BadInputError as err:
        return str(err)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_value_gives_one_clear_error(tiny, name):
    line, tokenizer = tiny
    change, message = CASES[name]
    data = json.loads(line)
    change(data)
    bad = orjson.dumps(data)
    fast, slow = _outcome(bad, tokenizer, "fast"), _outcome(bad, tokenizer, "lhotse")
    if message is None:
        assert not isinstance(fast, str) and not isinstance(slow, str), (fast, slow)
        assert fast.num_words == slow.num_words and fast.cut_id == slow.cut_id
        return
    assert fast == slow
    assert re.search(message, fast), fast
    assert "line 7" in fast and "file cuts.jsonl.gz" in fast and "source 'web'" in fast
    assert "cut '" in fast
