# SentencePiece text tokenization, with fast per-word token offsets for transcripts.
from __future__ import annotations

import os
from itertools import chain
from pathlib import Path
from typing import List, Tuple

import numpy as np

from .errors import SpelangyError

WORD_START = "\u2581"  # SentencePiece's whitespace marker, first char of a word's first piece
# Words kept by each process's word cache (about 100 bytes each): 2**18 words is about 25 MiB,
# far more than the distinct words of most corpora; past it the cache starts over.
WORD_CACHE_ENTRIES = 1 << 18


class TextTokenizer:
    """A SentencePiece model (`.model` file).

    Pickles as the serialized model proto (a few hundred KB), so DataLoader workers on any
    machine rebuild it without reading the original file. Each process keeps its own word
    cache (`_C.WordTokenCache`, never pickled): a word is tokenized once, then its ids are
    reused in every later document.
    """

    def __init__(self, model: str | os.PathLike):
        path = Path(model)
        if not path.is_file():
            raise SpelangyError(f"SentencePiece model not found: {path}")
        self.path = str(path)
        self._load(path.read_bytes())

    def _load(self, proto: bytes) -> None:
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor()
        try:
            sp.LoadFromSerializedProto(proto)
        except RuntimeError as exc:
            raise SpelangyError(f"not a SentencePiece model: {self.path} ({exc})") from exc
        self._proto = proto
        self._sp = sp
        self.word_cache = _new_word_cache()
        self.vocab_size = sp.GetPieceSize()
        # A piece opens a word when it carries the whitespace marker; control, unknown and
        # byte pieces never do.
        self._word_start = np.array(
            [sp.IdToPiece(i).startswith(WORD_START) and not (sp.IsControl(i) or sp.IsUnknown(i)
                                                              or sp.IsByte(i))
             for i in range(self.vocab_size)],
            dtype=bool,
        )

    def __getstate__(self):
        return {"path": self.path, "proto": self._proto}

    def __setstate__(self, state):
        self.path = state["path"]
        self._load(state["proto"])

    def encode(self, text: str) -> List[int]:
        return self._sp.EncodeAsIds(text)

    def decode(self, ids: List[int]) -> str:
        return self._sp.DecodeIds([int(i) for i in ids])

    def id_to_piece(self, token_id: int) -> str:
        return self._sp.IdToPiece(int(token_id))

    def encode_words(self, words: List[str]) -> Tuple[np.ndarray, np.ndarray]:
        """Tokens of `words` and where each word's tokens start.

        Returns `(tokens int32 [K], offsets int64 [W+1])`; the tokens of word w are
        `tokens[offsets[w]:offsets[w+1]]`, equal to `encode(words[w])`. One SentencePiece call
        encodes the joined text (pieces never cross whitespace, so each word segments as it
        would alone); the result is cut at pieces that open a word. That is exact when every
        word normalizes to exactly one word; when one does not (it normalizes to nothing or
        to several words) or the count of word openings differs, each word is encoded on its
        own instead. With the word cache (words free of spaces, the extension built), only
        the words not seen before are encoded, that way, and the rest come from the cache.
        """
        if not words:
            return np.zeros(0, np.int32), np.zeros(1, np.int64)
        joined = " ".join(words)
        if self.word_cache is not None and joined.count(" ") == len(words) - 1:
            return self.encode_joined_words(joined)
        return self._encode_uncached(words, joined)

    def _encode_uncached(self, words: List[str], joined: str) -> Tuple[np.ndarray, np.ndarray]:
        if not self._one_word_each(words, joined):
            return self._encode_each(words)
        tokens = np.asarray(self._sp.EncodeAsNumpy(joined), dtype=np.int32)
        starts = np.flatnonzero(self._word_start[tokens]) if len(tokens) else np.zeros(0, np.int64)
        if len(starts) == len(words) and (len(starts) == 0 or starts[0] == 0):
            offsets = np.empty(len(words) + 1, np.int64)
            offsets[:-1] = starts
            offsets[-1] = len(tokens)
            return tokens, offsets
        return self._encode_each(words)

    def encode_joined_words(self, joined: str) -> Tuple[np.ndarray, np.ndarray]:
        """`encode_words(joined.split(" "))` for words joined by single spaces, through the
        word cache: only words not seen before go to SentencePiece (one call, as
        `encode_words` does without the cache), and C++ assembles the document's tokens and
        offsets from the cached ids."""
        cache = self.word_cache
        if cache is None:
            return self.encode_words(joined.split(" "))
        return cache.encode(joined, self._encode_missing)

    def _encode_missing(self, words: List[str]) -> Tuple[np.ndarray, np.ndarray]:
        return self._encode_uncached(words, " ".join(words))

    def _one_word_each(self, words: List[str], joined: str) -> bool:
        # Printable ASCII without spaces passes normalization unchanged; only other words
        # (empty, a zero-width char, a compatibility char that NFKC turns into a space, ...)
        # can vanish or split, and a vanished word beside a split one keeps the count right.
        # The common case is decided on the joined text alone, without a loop over words.
        if (joined.isascii() and joined.isprintable() and joined.count(" ") == len(words) - 1
                and "  " not in joined and joined[:1] != " " and joined[-1:] != " "):
            return True
        if "" in words:
            return False
        odd = [w for w in words if not (w.isascii() and w.isprintable() and " " not in w)]
        if not odd:
            return True
        return all(n[:1] == WORD_START and len(n) > 1 and WORD_START not in n[1:]
                   for n in self._sp.Normalize(odd))

    def _encode_each(self, words: List[str]) -> Tuple[np.ndarray, np.ndarray]:
        pieces = self._sp.EncodeAsIds(list(words))
        offsets = np.zeros(len(words) + 1, np.int64)
        np.cumsum([len(p) for p in pieces], out=offsets[1:])
        tokens = np.fromiter(chain.from_iterable(pieces), dtype=np.int32, count=offsets[-1])
        return tokens, offsets


def _new_word_cache():
    try:
        from ._C import WordTokenCache
    except ImportError:  # the extension is not built: encode_words encodes every word
        return None
    return WordTokenCache(WORD_CACHE_ENTRIES)
