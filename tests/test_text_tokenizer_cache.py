# The per-process word token cache: exact per-word encoding, its bound, and pickling.
import pickle

import numpy as np
import pytest

from data_utils import make_tiny_corpus
from spelangy._C import WordTokenCache
from spelangy.text_tokenizer import WORD_CACHE_ENTRIES, TextTokenizer

POOL = ["the", "river", "naïve", "Zürich", "日本", "end.", "it’s", "\u200b", "a\u3000b",
        "ﬁne", "x\u00a0y", "", "?!", "\U0001f600", "café…", "UPPER", "12.5", "q\"uote"]


@pytest.fixture(scope="module")
def spm_path(tmp_path_factory):
    _, spm = make_tiny_corpus(tmp_path_factory.mktemp("cache"), num_docs=2, seed=5)
    return spm


def random_words(rng, n):
    words = []
    for _ in range(n):
        if rng.random() < 0.6:
            words.append(str(rng.choice(POOL)))
        else:
            letters = rng.integers(97, 123, int(rng.integers(1, 9)))
            words.append("".join(map(chr, letters)))
    return words


def per_word(tok, words):
    return [t for w in words for t in tok.encode(w)], \
        np.cumsum([0] + [len(tok.encode(w)) for w in words]).tolist()


def test_cached_encoding_equals_per_word_encoding(spm_path):
    tok = TextTokenizer(spm_path)
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    for _ in range(60):  # the cache fills as it goes: cold, partly warm and warm documents
        words = random_words(rng, int(rng.integers(1, 40)))
        tokens, offsets = tok.encode_words(words)
        assert tokens.dtype == np.int32 and offsets.dtype == np.int64
        assert (tokens.tolist(), offsets.tolist()) == per_word(tok, words), (seed, words)
        if " " not in "".join(words):
            joined = tok.encode_joined_words(" ".join(words))
            assert (joined[0].tolist(), joined[1].tolist()) == per_word(tok, words), seed
    assert 0 < len(tok.word_cache) <= WORD_CACHE_ENTRIES


class Encoder:
    """Encodes word w as [len(w), 100 + i] (i: its position in the call), recording calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, words):
        self.calls.append(list(words))
        ids = np.array([t for i, w in enumerate(words) for t in (len(w), 100 + i)], np.int32)
        return ids, np.arange(0, 2 * len(words) + 1, 2, dtype=np.int64)


def test_encode_asks_once_for_the_distinct_new_words_in_order():
    cache, enc = WordTokenCache(100), Encoder()
    tokens, offsets = cache.encode("b a bb b c a", enc)
    assert enc.calls == [["b", "a", "bb", "c"]]
    assert tokens.tolist() == [1, 100, 1, 101, 2, 102, 1, 100, 1, 103, 1, 101]
    assert offsets.tolist() == [0, 2, 4, 6, 8, 10, 12]
    assert len(cache) == 4
    tokens, offsets = cache.encode("c a d  c", enc)  # split like str.split(" ")
    assert enc.calls[1] == ["d", ""]
    assert tokens.tolist() == [1, 103, 1, 101, 1, 100, 0, 101, 1, 103]
    assert offsets.tolist() == [0, 2, 4, 6, 8, 10]
    tokens, _ = cache.encode("a", enc)  # all cached: no call
    assert tokens.tolist() == [1, 101] and len(enc.calls) == 2


def test_encode_rejects_inconsistent_new_ids():
    cache = WordTokenCache(10)
    bad = [((np.array([1, 2], np.int32), np.array([0, 2])), "offsets has 2 entries, expected 3"),
           ((np.array([1, 2], np.int32), np.array([0, 1, 1])), "from 0 to len"),
           ((np.array([1], np.int32), np.array([0, 2, 1])), "must not decrease")]
    for result, message in bad:
        with pytest.raises(ValueError, match=message):
            cache.encode("a b", lambda words: result)
    assert len(cache) == 0
    with pytest.raises(ZeroDivisionError):
        cache.encode("a", lambda words: 1 / 0)


def test_cache_never_passes_its_bound_and_stays_exact(spm_path):
    tok = TextTokenizer(spm_path)
    tok.word_cache = WordTokenCache(7)
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    for _ in range(40):
        words = random_words(rng, int(rng.integers(1, 12)))
        tokens, offsets = tok.encode_words(words)
        assert (tokens.tolist(), offsets.tolist()) == per_word(tok, words), (seed, words)
        assert len(tok.word_cache) <= 7
    assert tok.word_cache.clears > 0
    # A document with more new words than the whole cache: encoded, not cached.
    words = [f"w{i}" for i in range(20)]
    before = len(tok.word_cache)
    assert tok.encode_words(words)[0].tolist() == per_word(tok, words)[0]
    assert len(tok.word_cache) == before


def test_cache_bound_clears_then_refills():
    cache, enc = WordTokenCache(3), Encoder()
    cache.encode("a b c", enc)
    assert (len(cache), cache.clears) == (3, 0)
    tokens, _ = cache.encode("a d", enc)
    assert tokens.tolist() == [1, 100, 1, 100]  # a from the cache, d new (first in its call)
    assert (len(cache), cache.clears) == (1, 1)  # full: cleared, then the new word went in
    cache.encode("a d", enc)
    assert enc.calls[-1] == ["a"]


def test_pickled_tokenizer_starts_with_an_empty_cache(spm_path):
    tok = TextTokenizer(spm_path)
    tok.encode_words(["the", "river", "flows"])
    assert len(tok.word_cache) == 3
    assert "word_cache" not in tok.__getstate__()
    again = pickle.loads(pickle.dumps(tok))
    assert len(again.word_cache) == 0 and again.word_cache.max_entries == WORD_CACHE_ENTRIES
    words = ["the", "river"]
    assert again.encode_words(words)[0].tolist() == tok.encode_words(words)[0].tolist()
    cache = pickle.loads(pickle.dumps(tok.word_cache))
    assert len(cache) == 0 and cache.max_entries == WORD_CACHE_ENTRIES


# Characters SentencePiece's NFKC normalization changes (ellipsis, ligatures, full-width and
# circled forms, zero-width and non-breaking spaces, combining marks) beside plain ones.
NFKC_CHANGED = ["\u2026", "\ufb01", "\uff41", "\u2460", "\u3392", "\u200b", "\u00a0", "e\u0301",
                "\u2028", "\u00bd", "\u2163", "\uff0e"]
PLAIN = list("abcdehikostwy.") + ["..", "...", "they", "wait", "ok"]


def random_unicode_word(rng) -> str:
    parts = []
    for _ in range(int(rng.integers(1, 5))):
        kind = rng.random()
        if kind < 0.5:
            parts.append(str(rng.choice(PLAIN)))
        elif kind < 0.8:
            parts.append(str(rng.choice(NFKC_CHANGED)))
        else:  # any code point of the Basic Multilingual Plane but surrogates
            code = int(rng.integers(0x21, 0xFFFF))
            parts.append(chr(code) if not 0xD800 <= code < 0xE000 else "x")
    return "".join(parts)


@pytest.fixture(scope="module")
def dots_spm(tmp_path_factory):
    """A model with both "." and ".." pieces but no "...": "..." has two segmentations of
    equal score, and SentencePiece picks between them by the words before it."""
    from data_utils import train_tiny_spm

    texts = ["wait.. ok.. so. they.. go. a.. b. c..", "then. it.. was. fine.. they said. end.."]
    return train_tiny_spm(texts * 30, tmp_path_factory.mktemp("dots") / "dots.model", 60)


def test_text_tokens_are_per_word_on_random_unicode(dots_spm, rng):
    """The cache (cold and warm), the uncached path and the readers' documents all give
    each word's own SentencePiece tokens, whatever its neighbours and its normalization."""
    cached, plain = TextTokenizer(dots_spm), TextTokenizer(dots_spm)
    plain.word_cache = None
    assert plain.encode_words(["a", "so...", "..."])[0].tolist() == \
        plain.encode("a") + plain.encode("so...") + plain.encode("...")
    for _ in range(150):
        words = [random_unicode_word(rng) for _ in range(int(rng.integers(1, 12)))]
        want = per_word(plain, words)
        for tok in (cached, plain):
            tokens, offsets = tok.encode_words(words)
            assert (tokens.tolist(), offsets.tolist()) == want, words
    assert len(cached.word_cache) > 0
