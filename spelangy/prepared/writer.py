# Writes documents into a prepared corpus, streaming: memory does not grow with the corpus.
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from ..documents import SpeechDocument, TextDocument
from ..errors import SpelangyError
from .format import COLUMNS, ENDS, FORMAT, META, VERSION


class PreparedWriter:
    """Appends documents of one kind to the column files of `directory`; `close(meta)`
    writes meta.json last, so a build that stops half-way leaves no readable corpus."""

    def __init__(self, directory, kind: str):
        self.directory = Path(os.fspath(directory))
        if (self.directory / META).exists():
            raise SpelangyError(f"{self.directory} already holds a prepared corpus; choose an "
                                f"empty --output-dir")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.kind = kind
        self.dtypes = COLUMNS[kind]
        self.files = {name: open(self.directory / f"{name}.bin", "wb") for name in self.dtypes}
        self.lengths: Dict[str, int] = dict.fromkeys(self.dtypes, 0)
        self.documents = 0

    def _append(self, name: str, values) -> None:
        array = np.ascontiguousarray(values, dtype=self.dtypes[name])
        self.files[name].write(array.tobytes())
        self.lengths[name] += len(array)

    def _append_file(self, name: str, path: Path, count: int) -> None:
        """Appends the first `count` values of column file `path` (a part's), copied by the
        kernel where it can."""
        out = self.files[name]
        out.flush()
        size, done = count * np.dtype(self.dtypes[name]).itemsize, 0
        with open(path, "rb", buffering=0) as src:
            try:
                while done < size:
                    copied = os.copy_file_range(src.fileno(), out.fileno(), size - done)
                    if copied == 0:
                        break
                    done += copied
            except OSError:  # another file system, or a kernel without the call
                pass
            src.seek(done)
            while done < size:
                block = src.read(min(size - done, 1 << 24))
                if not block:
                    raise SpelangyError(f"{path} ends before its {count} values")
                out.write(block)
                done += len(block)
        self.lengths[name] += count

    def _end(self, name: str, rows: str) -> None:
        self._append(name, [self.lengths[rows]])

    def _add_id(self, doc_id: str) -> None:
        self._append("doc_ids", np.frombuffer(doc_id.encode("utf-8"), np.uint8))
        self._end("doc_id_end", ENDS["doc_id_end"])

    def add(self, doc, id_suffix: Optional[str] = None) -> None:
        """Appends `doc`; a text document without an id of its own gives `id_suffix`
        instead (see format.COLUMNS)."""
        if self.kind == "speech":
            if not isinstance(doc, SpeechDocument):
                raise SpelangyError(f"a speech corpus takes SpeechDocuments, got "
                                    f"{type(doc).__name__}")
            self._add_speech(doc)
        else:
            if not isinstance(doc, TextDocument):
                raise SpelangyError(f"a text corpus takes TextDocuments, got {type(doc).__name__}")
            self._add_id(doc.doc_id if id_suffix is None else id_suffix)
            self._append("doc_id_named", [id_suffix is not None])
            self._append("text_tokens", doc.text_tokens)
            self._end("doc_text_end", ENDS["doc_text_end"])
        self.documents += 1

    def _add_speech(self, doc: SpeechDocument) -> None:
        self._add_id(doc.cut_id)
        self._append("turn_start", doc.turn_start)
        self._append("turn_end", doc.turn_end)
        self._append("turn_speaker", doc.turn_speaker)
        self._append("turn_aligned", doc.turn_aligned)
        self._append("turn_word_end", doc.turn_word_offsets[1:])
        self._append("word_start", doc.word_start)
        self._append("word_end", doc.word_end)
        self._append("word_sentence_end", doc.word_sentence_end)
        self._append("word_text_end", doc.word_token_offsets[1:])
        self._append("text_tokens", doc.text_tokens)
        self._append("speech_tokens", doc.speech_tokens)
        for name in ("doc_turn_end", "doc_word_end", "doc_text_end", "doc_frame_end"):
            self._end(name, ENDS[name])
        self._append("doc_duration", [doc.duration])
        self._append("doc_frame_shift", [doc.frame_shift])
        self._append("doc_words_outside_cut", [doc.words_outside_cut])

    def abort(self) -> None:
        """Closes the files of a build that failed: without meta.json nothing reads them."""
        for f in self.files.values():
            f.close()

    def close(self, meta: dict) -> dict:
        for f in self.files.values():
            f.close()
        meta = {"format": FORMAT, "version": VERSION, "kind": self.kind,
                "documents": self.documents, "columns": self.lengths, **meta}
        tmp = self.directory / (META + ".tmp")
        tmp.write_text(json.dumps(meta, indent=1))
        tmp.replace(self.directory / META)
        return meta


_COPY_BLOCK = 1 << 24  # values per read when joining: memory stays flat on large parts


def join_parts(part_dirs, output_dir, meta: dict) -> dict:
    """The corpus of `part_dirs` one after the other, written to `output_dir`: the bytes a
    single build of all their inputs gives. `meta` holds what the parts share."""
    from .corpus import PreparedCorpus

    parts = [PreparedCorpus(d) for d in part_dirs]
    writer = PreparedWriter(output_dir, parts[0].kind)
    try:
        for part in parts:
            rows_before = dict(writer.lengths)
            for name in writer.dtypes:
                column = part.columns[name]
                if name not in ENDS:  # the bytes as they are: copied by the kernel
                    writer._append_file(name, part.directory / f"{name}.bin", len(column))
                    continue
                shift = rows_before[ENDS[name]]
                for begin in range(0, len(column), _COPY_BLOCK):
                    writer._append(name, column[begin:begin + _COPY_BLOCK] + shift)
            writer.documents += len(part)
    except BaseException:
        writer.abort()
        raise
    return writer.close(meta)
