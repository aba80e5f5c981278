# Data sources: where documents come from, read lazily, turned into arrays one at a time.
"""Sources are cheap to pickle (a name, a weight, a path) so DataLoader workers each open
their own reader. `iter_raw` yields items unparsed where it can, so a worker skips the
items of other shards for the price of reading a line; `to_document` does the real work.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterator, Optional, Tuple

import numpy as np

from .convert import cut_to_document
from .documents import SpeechDocument, TextDocument
from .errors import BadInputError, SpelangyError
from .manifest import Where, check_path, cut_from_line, is_remote, iter_lines, iter_shar

MEMORY = "<memory>"


def _check_name_weight(kind: str, name, weight) -> float:
    if not isinstance(name, str) or not name:
        raise SpelangyError(f"{kind}: name must be a non-empty string, got {name!r}")
    try:
        weight = float(weight)
    except (TypeError, ValueError):
        raise SpelangyError(f"{kind} {name!r}: weight must be a number, got {weight!r}") from None
    if not (weight > 0 and math.isfinite(weight)):
        raise SpelangyError(f"{kind} {name!r}: weight must be positive and finite, got {weight}")
    return weight


READERS = ("fast", "lhotse")


class SpeechTextSource:
    """Speech-text documents from Lhotse cuts: one cut is one document.

    `cuts` is a `cuts.jsonl` / `cuts.jsonl.gz` manifest (a local path, a URL, or a `pipe:`
    command), a Lhotse Shar directory, or an in-memory `lhotse.CutSet` (pickled whole into
    each worker, so keep those small). `speech_tokenizer` (an object with `frame_shift`,
    `vocab_size` and `encode(samples, sampling_rate)`) makes speech tokens from the audio of
    cuts that have no `speech_tokens` array. `reader` picks how JSONL lines become documents:
    `fast` (default) reads the JSON straight into arrays (`spelangy.fastpath`), `lhotse`
    builds Lhotse objects first; both give identical documents and errors.
    """

    def __init__(self, name: str, cuts, weight: float = 1.0, speech_tokenizer=None,
                 reader: str = "fast"):
        self.weight = _check_name_weight("SpeechTextSource", name, weight)
        self.name = name
        self.speech_tokenizer = speech_tokenizer
        if reader not in READERS:
            raise SpelangyError(f"SpeechTextSource {name!r}: reader must be one of {READERS}, "
                                f"got {reader!r}")
        self.reader = reader
        self._cuts = None
        if isinstance(cuts, (str, os.PathLike)):
            self.path = check_path(cuts, f"SpeechTextSource {name!r}: cuts manifest")
            self.kind = "shar" if not is_remote(self.path) and Path(self.path).is_dir() else "jsonl"
            if self.kind == "shar" and not any(Path(self.path).glob("cuts.*.jsonl*")):
                raise SpelangyError(f"SpeechTextSource {name!r}: {self.path} is a directory but "
                                    f"not a Lhotse Shar directory (no cuts.*.jsonl.gz)")
        else:
            from lhotse import CutSet

            if not isinstance(cuts, CutSet):
                raise SpelangyError(
                    f"SpeechTextSource {name!r}: cuts must be a manifest path, a Shar directory "
                    f"or a lhotse.CutSet, got {type(cuts).__name__}")
            self.path, self.kind, self._cuts = MEMORY, "memory", cuts

    def __repr__(self) -> str:
        return f"SpeechTextSource({self.name!r}, {self.path!r}, weight={self.weight})"

    def iter_raw(self) -> Iterator[Tuple[int, object]]:
        """`(index, raw)` in manifest order: raw line bytes for JSONL (index = line number - 1),
        cuts for Shar and in-memory sets."""
        if self.kind == "jsonl":
            return iter_lines(self.path, self.name)
        if self.kind == "shar":
            return enumerate(iter_shar(self.path))
        return enumerate(self._cuts)

    def to_document(self, index: int, raw, text_tokenizer) -> SpeechDocument:
        if self.kind == "jsonl":
            where = Where(self.name, self.path, index + 1)
            if self.reader == "fast":
                from .fastpath import line_to_document

                return line_to_document(raw, text_tokenizer, where, self.speech_tokenizer)
            cut = cut_from_line(raw, where)
        else:
            cut = raw
            origin = (getattr(cut, "custom", None) or {}).get("shard_origin", self.path)
            where = Where(self.name, str(origin))
        return cut_to_document(cut, text_tokenizer, self.speech_tokenizer, where)

    def documents(self, text_tokenizer) -> Iterator[SpeechDocument]:
        for index, raw in self.iter_raw():
            yield self.to_document(index, raw, text_tokenizer)

    def speech_vocab_size(self) -> Optional[int]:
        """From the first cut's `custom["speech_vocab_size"]`, else the speech tokenizer's."""
        for index, raw in self.iter_raw():
            cut = cut_from_line(raw, Where(self.name, self.path, index + 1)) \
                if self.kind == "jsonl" else raw
            size = (getattr(cut, "custom", None) or {}).get("speech_vocab_size")
            if size is not None:
                return int(size)
            break
        if self.speech_tokenizer is not None:
            return int(self.speech_tokenizer.vocab_size)
        return None


class TextSource:
    """Text-only documents.

    A `.jsonl` / `.jsonl.gz` file holds one document per line, `{"text": ...}`, with an
    optional `"id"`. Any other file is plain UTF-8 text where a document is a block of
    non-blank lines, blocks separated by blank lines; the lines of a block are joined with
    single spaces (line breaks inside a paragraph are wrapping, not content). Document ids
    are the JSON `"id"` when present, else `f"{name}:{index}"`, index being the line index
    (JSONL) or the block index (text).
    """

    def __init__(self, name: str, path, weight: float = 1.0):
        self.weight = _check_name_weight("TextSource", name, weight)
        self.name = name
        self.path = check_path(path, f"TextSource {name!r}: text file")
        if not is_remote(self.path) and Path(self.path).is_dir():
            raise SpelangyError(f"TextSource {name!r}: {self.path} is a directory, expected a "
                                f".jsonl, .jsonl.gz or text file")
        self.kind = "jsonl" if self.path.endswith((".jsonl", ".jsonl.gz")) else "txt"

    def __repr__(self) -> str:
        return f"TextSource({self.name!r}, {self.path!r}, weight={self.weight})"

    def iter_raw(self) -> Iterator[Tuple[int, object]]:
        """`(index, raw)`: raw line bytes for JSONL (index = line number - 1); for text files
        `(first_line_number, paragraph)` per block (index = block number)."""
        if self.kind == "jsonl":
            return iter_lines(self.path, self.name)
        return enumerate(self._paragraphs())

    def _paragraphs(self) -> Iterator[Tuple[int, str]]:
        block, first = [], 0
        for index, line in iter_lines(self.path, self.name):
            if block and index != last + 1:
                yield first, " ".join(block)
                block = []
            if not block:
                first = index + 1
            last = index
            try:
                block.append(line.decode("utf-8").strip())
            except UnicodeDecodeError as exc:
                raise BadInputError(f"not UTF-8 text at line {index + 1}: {exc}",
                                    source=self.name, path=self.path) from exc
        if block:
            yield first, " ".join(block)

    def to_document(self, index: int, raw, text_tokenizer) -> TextDocument:
        if self.kind == "txt":
            line, text = raw
            doc_id = f"{self.name}:{index}"
            where = Where(self.name, self.path, line)
        else:
            doc_id, text, where = self._parse_line(index, raw)
        if not text.strip():
            raise where.error("empty text", doc_id)
        tokens = np.asarray(text_tokenizer.encode(text), dtype=np.int32)
        return TextDocument(doc_id=doc_id, text_tokens=tokens)

    def _parse_line(self, index: int, raw: bytes):
        import orjson

        where = Where(self.name, self.path, index + 1)
        doc_id = f"{self.name}:{index}"
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise where.error(f"corrupt JSONL line (invalid JSON: {exc})", doc_id) from exc
        if not isinstance(data, dict):
            raise where.error("corrupt JSONL line (expected an object with a 'text' field)",
                              doc_id)
        if data.get("id") is not None:
            doc_id = str(data["id"])
        text = data.get("text")
        if not isinstance(text, str):
            raise where.error(f"JSONL line has no 'text' string (got {type(text).__name__})",
                              doc_id)
        return doc_id, text, where

    def documents(self, text_tokenizer) -> Iterator[TextDocument]:
        for index, raw in self.iter_raw():
            yield self.to_document(index, raw, text_tokenizer)
