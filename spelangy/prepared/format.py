# The prepared corpus on disk: a versioned directory of flat column files and meta.json.
"""Layout (docs/prepared.md). Every column is a flat little-endian array in `<name>.bin`,
its dtype and length recorded in `meta.json`, so that `numpy.memmap` alone reads it.
Per-document columns are indexed by document; `doc_*_end` columns hold where each
document's rows end in the row columns (a document's rows are `[end[d-1], end[d])`).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Dict

import numpy as np

from ..errors import SpelangyError

FORMAT = "spelangy-prepared"
VERSION = 1
META = "meta.json"

# kind -> column -> dtype
COLUMNS: Dict[str, Dict[str, str]] = {
    "speech": {
        "doc_id_end": "<i8", "doc_ids": "|u1",          # cut ids, UTF-8, back to back
        "doc_turn_end": "<i8", "doc_word_end": "<i8", "doc_text_end": "<i8",
        "doc_frame_end": "<i8",
        "doc_duration": "<f8", "doc_frame_shift": "<f8", "doc_words_outside_cut": "<i8",
        "turn_start": "<f8", "turn_end": "<f8", "turn_speaker": "<i4", "turn_aligned": "|u1",
        "turn_word_end": "<i8",                          # the turn's last word + 1, in its doc
        "word_start": "<f8", "word_end": "<f8", "word_sentence_end": "|u1",
        "word_text_end": "<i8",                          # the word's last token + 1, in its doc
        "text_tokens": "<i4", "speech_tokens": "<i4",
    },
    "text": {
        # doc_id_named: 1 when the document has no id of its own; doc_ids then holds what
        # follows "<source name>:" in its id, the name being the reading source's
        "doc_id_end": "<i8", "doc_ids": "|u1", "doc_id_named": "|u1", "doc_text_end": "<i8",
        "text_tokens": "<i4",
    },
}


# Per-document end columns and the row column each indexes into.
ENDS = {"doc_id_end": "doc_ids", "doc_turn_end": "turn_start", "doc_word_end": "word_start",
        "doc_text_end": "text_tokens", "doc_frame_end": "speech_tokens"}


def tokenizer_fingerprint(text_tokenizer) -> str:
    """sha256 of the SentencePiece model proto: two tokenizers with one fingerprint give the
    same ids."""
    return hashlib.sha256(text_tokenizer._proto).hexdigest()


def is_prepared(path) -> bool:
    path = Path(os.fspath(path))
    return path.is_dir() and (path / META).is_file()


def read_meta(directory) -> dict:
    directory = Path(os.fspath(directory))
    try:
        meta = json.loads((directory / META).read_text())
    except (OSError, ValueError) as exc:
        raise SpelangyError(f"prepared corpus {directory}: unreadable {META} ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SpelangyError(f"prepared corpus {directory}: {META} is not a {FORMAT} file")
    if meta.get("version") != VERSION:
        raise SpelangyError(f"prepared corpus {directory}: format version {meta.get('version')}, "
                            f"this spelangy reads version {VERSION}; rebuild it with "
                            f"`spelangy index`")
    if meta.get("kind") not in COLUMNS:
        raise SpelangyError(f"prepared corpus {directory}: unknown kind {meta.get('kind')!r}")
    return meta


def open_columns(directory, meta: dict) -> Dict[str, np.ndarray]:
    """Every column as a read-only memory map (an empty array for an empty column), each
    checked against the length meta.json records: a truncated or overlong file is an
    error, never a silent short read."""
    directory = Path(os.fspath(directory))
    columns = {}
    for name, dtype in COLUMNS[meta["kind"]].items():
        length = int(meta["columns"][name])
        if name.startswith("doc_") and name != "doc_ids" and length != meta["documents"]:
            raise SpelangyError(
                f"prepared corpus {directory}: {META} records {length} values of {name} for "
                f"{meta['documents']} documents (a damaged build); rebuild it with "
                f"`spelangy index`")
        path = directory / f"{name}.bin"
        itemsize = np.dtype(dtype).itemsize
        size = path.stat().st_size if path.is_file() else -1
        if size != length * itemsize:
            raise SpelangyError(
                f"prepared corpus {directory}: column {path.name} has {size} bytes, "
                f"{META} records {length} values of {itemsize} bytes (a truncated or damaged "
                f"build); rebuild it with `spelangy index`")
        # Plain ndarray views of the maps: slicing and indexing skip np.memmap's overhead.
        columns[name] = (np.memmap(path, dtype=dtype, mode="r", shape=(length,))
                         .view(np.ndarray) if length else np.zeros(0, dtype))
    return columns
