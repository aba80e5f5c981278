# SentencePiece text tokenization, with fast per-word token offsets for transcripts.
from __future__ import annotations

import os
from itertools import chain
from pathlib import Path
from typing import List, Tuple

import numpy as np

from .errors import SpelangyError

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
        `tokens[offsets[w]:offsets[w+1]]`, exactly `encode(words[w])`: each word is encoded
        on its own (docs/semantics.md, "Text tokens"). Encoding the joined text would be one
        call instead of one per word, but SentencePiece breaks ties between equal-scoring
        segmentations (`...` as `.` `..` or `..` `.`) differently after another word, so a
        word's tokens would depend on its neighbours. With the word cache (words free of
        spaces, the extension built), only the words not seen before go to SentencePiece.
        """
        if not words:
            return np.zeros(0, np.int32), np.zeros(1, np.int64)
        if self.word_cache is not None:
            joined = " ".join(words)
            if joined.count(" ") == len(words) - 1:
                return self.encode_joined_words(joined)
        return self._encode_each(words)

    def encode_joined_words(self, joined: str) -> Tuple[np.ndarray, np.ndarray]:
        """`encode_words(joined.split(" "))` for words joined by single spaces, through the
        word cache: only words not seen before go to SentencePiece, and
        C++ assembles the document's tokens and offsets from the cached ids."""
        cache = self.word_cache
        if cache is None:
            return self._encode_each(joined.split(" "))
        return cache.encode(joined, self._encode_each)

    def _encode_each(self, words: List[str]) -> Tuple[np.ndarray, np.ndarray]:
        # One call per word: a list in one call goes to SentencePiece's thread pool, which
        # costs more than the encoding for the few new words of a document (and competes
        # with DataLoader workers for the cores).
        encode = self._sp.EncodeAsIds
        pieces = [encode(w) for w in words]
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
