# Reads a prepared corpus: documents as views into memory-mapped columns, one at a time.
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from ..documents import SpeechDocument, TextDocument, doc_key
from ..errors import SpelangyError
from .format import ENDS, open_columns, read_meta, tokenizer_fingerprint


class PreparedCorpus:
    """The documents of a prepared directory. Opening reads meta.json only; the columns are
    memory-mapped on first use, in each process (a corpus pickles as its path), so workers
    share the page cache and hold no copy."""

    def __init__(self, directory):
        self.directory = Path(os.fspath(directory))
        self.meta = read_meta(self.directory)
        self.kind = self.meta["kind"]
        self._columns: Optional[Dict[str, np.ndarray]] = None
        self._views: Dict[str, memoryview] = {}
        self._native = None  # the speech columns as the C++ core reads them
        self._checked = None  # the tokenizer last found to match

    def __getstate__(self):
        return {"directory": self.directory, "meta": self.meta, "kind": self.kind}

    def __setstate__(self, state):
        self.__dict__.update(state, _columns=None, _views={}, _native=None, _checked=None)

    def __len__(self) -> int:
        return int(self.meta["documents"])

    @property
    def columns(self) -> Dict[str, np.ndarray]:
        if self._columns is None:
            self._use(open_columns(self.directory, self.meta))
        return self._columns

    def _use(self, columns: Dict[str, np.ndarray]) -> None:
        self._columns = columns
        # Memoryviews of what every document reads: their items are Python ints and their
        # slices decode as they are, several times cheaper than numpy scalars and views.
        self._views = {name: memoryview(columns[name])
                      for name in (*ENDS, "doc_ids") if name in columns}

    @property
    def native_columns(self):
        """The speech columns as a `_C.PreparedSpeechColumns`: the C++ core builds documents
        from the maps without making their arrays."""
        if self._native is None:
            from .. import _C

            self._native = _C.PreparedSpeechColumns(self.columns)
        return self._native

    def check_tokenizer(self, text_tokenizer) -> None:
        """An error unless `text_tokenizer` is the one the corpus was built with (checked once
        per tokenizer object)."""
        if text_tokenizer is self._checked:
            return
        built = self.meta["tokenizer"]["sha256"]
        given = tokenizer_fingerprint(text_tokenizer)
        if given != built:
            raise SpelangyError(
                f"prepared corpus {self.directory} was built with another SentencePiece model "
                f"(sha256 {built[:12]}..., this loader's {text_tokenizer.path} is "
                f"{given[:12]}...): its text token ids would mean other words; rebuild it "
                f"with `spelangy index --text-tokenizer {text_tokenizer.path}`")
        self._checked = text_tokenizer

    def text_token_counts(self, numbers: np.ndarray) -> np.ndarray:
        """How many text tokens documents `numbers` hold, from the offsets alone."""
        end = self.columns["doc_text_end"]
        begin = np.where(numbers > 0, end[np.maximum(numbers - 1, 0)], 0)
        counts = end[numbers] - begin
        if len(counts) and counts.min() < 0:
            raise SpelangyError(f"prepared corpus {self.directory}: doc_text_end decreases: "
                                f"a damaged build")
        return counts.astype(np.int64)

    def _range(self, name: str, i: int, rows: str) -> slice:
        size = len(self.columns[rows])  # (maps the columns on first use)
        end = self._views[name]
        begin, stop = (end[i - 1] if i else 0), end[i]
        if not 0 <= begin <= stop <= size:
            raise SpelangyError(f"prepared corpus {self.directory}: document {i} has rows "
                                f"[{begin}, {stop}) of {rows}, which has {size}: a damaged "
                                f"build")
        return slice(begin, stop)

    def unread_document(self, i: int, source_name: str):
        """Document i as a stream takes it: a text document, or a speech document whose arrays
        are read when something other than the C++ core asks for them."""
        if self.kind == "text":
            return self.document(i, source_name)
        doc_id = self._doc_id(i)
        return PreparedSpeechDocument(self, i, doc_id,
                                      int(self._columns["doc_words_outside_cut"][i]))

    def _doc_id(self, i: int) -> str:
        """The stored id of document i (the columns mapped, i checked)."""
        if not 0 <= i < len(self):
            raise IndexError(f"document {i} of a corpus of {len(self)}")
        rows = self._range("doc_id_end", i, "doc_ids")
        try:
            return str(self._views["doc_ids"][rows], "utf-8")
        except UnicodeDecodeError:
            raise SpelangyError(f"prepared corpus {self.directory}: the id of document {i} "
                                f"is not UTF-8: a damaged build") from None

    def document(self, i: int, source_name: str):
        """Document i; a text document without an id of its own is named after the reading
        source, as the source reading the text files names it."""
        doc_id = self._doc_id(i)
        c = self._columns
        text = c["text_tokens"][self._range("doc_text_end", i, "text_tokens")]
        if self.kind == "text":
            if c["doc_id_named"][i]:
                doc_id = f"{source_name}:{doc_id}"
            return TextDocument(doc_id=doc_id, text_tokens=text)
        turns = self._range("doc_turn_end", i, "turn_start")
        words = self._range("doc_word_end", i, "word_start")
        return SpeechDocument(
            cut_id=doc_id,
            turn_start=c["turn_start"][turns],
            turn_end=c["turn_end"][turns],
            turn_speaker=c["turn_speaker"][turns],
            turn_word_offsets=_offsets(c["turn_word_end"][turns]),
            turn_aligned=c["turn_aligned"][turns],
            word_start=c["word_start"][words],
            word_end=c["word_end"][words],
            word_sentence_end=c["word_sentence_end"][words],
            word_token_offsets=_offsets(c["word_text_end"][words]),
            text_tokens=text,
            speech_tokens=c["speech_tokens"][self._range("doc_frame_end", i, "speech_tokens")],
            frame_shift=c["doc_frame_shift"][i].item(),
            duration=c["doc_duration"][i].item(),
            words_outside_cut=c["doc_words_outside_cut"][i].item(),
        )


class PreparedSpeechDocument:
    """Speech document `number` of a prepared corpus before its arrays are read: what a
    stream keeps of it (id, key, words left out) and where it lies. The C++ core runs it from
    the maps (`columns`); `arrays()` reads its SpeechDocument for any other reader."""

    __slots__ = ("corpus", "number", "cut_id", "key", "words_outside_cut")

    def __init__(self, corpus: PreparedCorpus, number: int, cut_id: str, words_outside_cut: int):
        self.corpus, self.number, self.cut_id = corpus, number, cut_id
        self.key = doc_key(cut_id)
        self.words_outside_cut = words_outside_cut

    @property
    def columns(self):
        return self.corpus.native_columns

    def arrays(self) -> SpeechDocument:
        return self.corpus.document(self.number, "")


def _offsets(ends: np.ndarray) -> np.ndarray:
    """A document's local offsets [n + 1] from the ends of its n rows."""
    out = np.empty(len(ends) + 1, np.int64)
    out[0] = 0
    out[1:] = ends
    return out


class PreparedShard:
    """Shard `shard` of `num_shards` of a corpus (document d is in shard d % num_shards), its
    documents made on access: a shard's stream holds three integers, not its documents, so
    its memory does not grow with the corpus."""

    order_key = ()  # the global order of the corpus

    def __init__(self, corpus: PreparedCorpus, shard: int, num_shards: int, source_name: str):
        self.corpus, self.shard, self.num_shards = corpus, shard, num_shards
        self.source_name = source_name
        self.domain = len(corpus)

    def __len__(self) -> int:
        return len(range(self.shard, self.domain, self.num_shards))

    @cached_property
    def numbers(self) -> np.ndarray:  # made only when counting batches asks for them
        return np.arange(self.shard, self.domain, self.num_shards, dtype=np.int64)

    def owns(self, numbers: np.ndarray) -> np.ndarray:
        return numbers % self.num_shards == self.shard

    def text_token_counts(self) -> Optional[np.ndarray]:
        """The token count of each document (in `numbers` order) of a text corpus, from the
        index alone; None for speech documents."""
        return self.corpus.text_token_counts(self.numbers) if self.corpus.kind == "text" else None

    def document(self, number: int):
        return self.corpus.unread_document(number, self.source_name)
