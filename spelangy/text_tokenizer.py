# SentencePiece text tokenization, with fast per-word token offsets for transcripts.
from __future__ import annotations

import os
from itertools import chain
from pathlib import Path
from typing import List, Tuple

import numpy as np

from .errors import SpelangyError

WORD_START = "\u2581"  # SentencePiece's whitespace marker, first char of a word's first piece


class TextTokenizer:
    """A SentencePiece model (`.model` file).

    Pickles as the serialized model proto (a few hundred KB), so DataLoader workers on any
    machine rebuild it without reading the original file.
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
        own instead.
        """
        if not words:
            return np.zeros(0, np.int32), np.zeros(1, np.int64)
        joined = " ".join(words)
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
