# Data sources: where documents come from, read lazily, turned into arrays one at a time.
"""Sources are cheap to pickle (a name, a weight, paths) so DataLoader workers each open
their own reader. `iter_raw` yields items unparsed where it can, so a worker skips the
items of other shards for the price of reading a line; `iter_sharded` also says which shard
each item is in, and opens only the wanted shards' files where the sharding allows it;
`to_document` does the real work.
"""
from __future__ import annotations

import glob
import math
import os
from pathlib import Path
from typing import Generator, Iterator, Optional, Sequence, Tuple

import numpy as np

from .documents import SpeechDocument, TextDocument
from .errors import BadInputError, SpelangyError, Where
from .reading.files import check_path, is_list_manifest, is_remote, iter_documents, iter_lines
from .reading.lhotse_reader import cut_from_line, cut_to_document
from .reading.reader import READERS, line_to_document
from .reading.shar import iter_shar, shar_fields
from .prepared.format import is_prepared
from .reading.sharding import SHARD_BY, check_enough_files, iter_files, iter_sharded

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


def open_prepared(directory, kind: str, what: str):
    from .prepared.corpus import PreparedCorpus

    corpus = PreparedCorpus(directory)
    if corpus.kind != kind:
        raise SpelangyError(f"{what}: {os.fspath(directory)} is a prepared corpus of "
                            f"{corpus.kind} documents, not {kind}")
    return corpus


def prepared_document(corpus, index: int, text_tokenizer, source_name: str):
    """Document `index` of a prepared corpus, whose tokenizer must be `text_tokenizer`."""
    corpus.check_tokenizer(text_tokenizer)
    return corpus.document(index, source_name)


def _prepared_shard(source, shard: int, num_shards: int, text_tokenizer):
    """Shard `shard` of a prepared source (document i in shard i % num_shards), documents
    made on access."""
    from .prepared.corpus import PreparedShard

    source.prepared.check_tokenizer(text_tokenizer)
    return PreparedShard(source.prepared, shard, num_shards, source.name)


def _file_paths(items, what: str, noun: str, rule: str) -> Tuple[str, ...]:
    """`items` as paths of existing files (or URLs and pipe: commands, never stat'ed), or an
    error that names `what` and says `rule`."""
    paths = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise SpelangyError(f"{what}: {rule}; got {type(item).__name__}")
        path = check_path(item, f"{what}: {noun}")
        if not is_remote(path) and Path(path).is_dir():
            raise SpelangyError(f"{what}: {rule}; {path} is a directory")
        paths.append(path)
    return tuple(paths)


class SpeechTextSource:
    """Speech-text documents from Lhotse cuts: one cut is one document.

    `cuts` is a cut manifest as `CutSet.to_file` writes it (`cuts.jsonl`, `cuts.jsonl.gz`,
    or one JSON or YAML list: `cuts.json`, `cuts.json.gz`, `cuts.yaml`; a local path, a URL,
    or a `pipe:` command), a list of such manifests (e.g. Lhotse's `cuts.000000.jsonl.gz`, ...: their
    lines, file after file, are the documents), a Lhotse Shar directory, a prepared corpus
    (`spelangy index`, docs/prepared.md: the same documents, nothing parsed again), or an
    in-memory `lhotse.CutSet` (pickled whole into each worker, so keep those small).
    `speech_tokenizer`
    (an object with `frame_shift`, `vocab_size` and `encode(samples, sampling_rate)`) makes
    speech tokens from the audio of cuts that have no `speech_tokens` array. `reader` picks
    how manifest lines become documents: `fast` (default) reads MonoCut lines straight into
    arrays in C++, `lhotse` builds Lhotse objects first; both give identical documents and
    errors (see `spelangy.reading`). Every cut type is read: docs/semantics.md, "Reading
    cuts".

    `shard_by` splits the documents over the world_size * num_workers shards:
    `document` (default): document i goes to shard i % num_shards, a list of files counting
    as the files joined into one; every worker reads every file. `file`: file k goes to
    shard k % num_shards with all its documents and a worker opens only its own files,
    which scales with workers on gzip manifests; it needs at least num_shards files: a list
    of JSONL manifests, or a Shar directory, whose shard k (`cuts.k.jsonl.gz` with its tar
    files) is file k (an in-memory CutSet counts as one file).
    """

    def __init__(self, name: str, cuts, weight: float = 1.0, speech_tokenizer=None,
                 reader: str = "fast", shard_by: str = "document"):
        self.weight = _check_name_weight("SpeechTextSource", name, weight)
        self.name = name
        self.speech_tokenizer = speech_tokenizer
        for setting, value, choices in (("reader", reader, READERS),
                                        ("shard_by", shard_by, SHARD_BY)):
            if value not in choices:
                raise SpelangyError(f"SpeechTextSource {name!r}: {setting} must be one of "
                                    f"{choices}, got {value!r}")
        self.reader, self.shard_by = reader, shard_by
        self._cuts = None
        self.prepared = None  # a PreparedCorpus when `cuts` is a prepared directory
        self._units = None  # per file: "line" for JSONL, "item" for list manifests
        if isinstance(cuts, (list, tuple)):
            self._init_manifests(cuts)
        elif isinstance(cuts, (str, os.PathLike)) and is_prepared(cuts):
            self._init_prepared(cuts)
        elif isinstance(cuts, (str, os.PathLike)):
            self.path = check_path(cuts, f"SpeechTextSource {name!r}: cuts manifest")
            self.kind = "shar" if not is_remote(self.path) and Path(self.path).is_dir() else "jsonl"
            if self.kind == "shar" and not any(Path(self.path).glob("cuts.*.jsonl*")):
                raise SpelangyError(f"SpeechTextSource {name!r}: {self.path} is a directory but "
                                    f"not a Lhotse Shar directory (no cuts.*.jsonl.gz)")
            self.paths = (self.path,)
        else:
            from lhotse import CutSet

            if not isinstance(cuts, CutSet):
                raise SpelangyError(
                    f"SpeechTextSource {name!r}: cuts must be a manifest path, a list of "
                    f"manifest paths, a Shar directory or a lhotse.CutSet, "
                    f"got {type(cuts).__name__}")
            self.path, self.kind, self._cuts = MEMORY, "memory", cuts
            self.paths = (MEMORY,)

    def _init_prepared(self, directory) -> None:
        self.path, self.kind = os.fspath(directory), "prepared"
        self.paths = (self.path,)
        self.prepared = open_prepared(directory, "speech", f"SpeechTextSource {self.name!r}")
        if self.shard_by == "file":
            raise SpelangyError(f"SpeechTextSource {self.name!r}: a prepared corpus is sharded "
                                f"by document; leave shard_by at 'document'")

    def _init_manifests(self, cuts) -> None:
        what = f"SpeechTextSource {self.name!r}"
        if not cuts:
            raise SpelangyError(f"{what}: the list of cuts manifests is empty")
        paths = _file_paths(cuts, what, "cuts manifest", "a list of cuts may hold only "
                            "manifest files (a Shar directory is given alone)")
        self.kind, self.paths = "jsonl", paths
        self.path = paths[0] if len(paths) == 1 else None  # one file: as the single path

    def __repr__(self) -> str:
        where = self.path if self.path is not None else list(self.paths)
        return f"SpeechTextSource({self.name!r}, {where!r}, weight={self.weight})"

    def iter_raw(self, files: Optional[Sequence[int]] = None) -> Iterator[Tuple[object, object]]:
        """`(index, raw)` in manifest order: raw JSON bytes of a line (or list item) for
        manifest files, cuts for Shar and in-memory sets. The index is the line (item)
        number - 1 for one file, `(file number, line number - 1)` for several, the cut's
        position otherwise. `files`: only the items of these file numbers (a Shar
        directory, a prepared corpus or a cut set being one file, number 0)."""
        if files is not None and (self.kind != "jsonl" or len(self.paths) == 1):
            return self.iter_raw() if 0 in files else iter(())
        if self.kind == "jsonl":
            if len(self.paths) == 1:
                return iter_documents(self.paths[0], self.name)
            return iter_files(self.paths, self.name, files)
        if self.kind == "shar":
            return enumerate(iter_shar(self.path))
        if self.kind == "prepared":
            return ((i, None) for i in range(len(self.prepared)))
        return enumerate(self._cuts)

    def iter_sharded(self, num_shards: int, wanted: Optional[set]) -> Iterator[tuple]:
        """`(shard, number, index, raw)` covering the shards in `wanted` (all when None),
        under `shard_by`; `index` and `raw` go to `to_document`; `number` is the document's
        number in the source (None when sharding by file). With `shard_by="file"`, only
        the wanted shards' files are opened."""
        if self.kind == "jsonl":
            return iter_sharded(self.paths, self.name, self.shard_by, num_shards, wanted)
        if self.kind == "shar" and self.shard_by == "file":  # Shar's shards are the files
            return self._iter_shar_by_file(num_shards, wanted)
        if self.shard_by == "file":  # an in-memory CutSet is one file
            check_enough_files(self.name, 1, num_shards)
            return ((0, None, index, raw) for index, raw in self.iter_raw())
        return ((index % num_shards, index, index, raw) for index, raw in self.iter_raw())

    def _iter_shar_by_file(self, num_shards: int, wanted: Optional[set]) -> Iterator[tuple]:
        num_files = len(shar_fields(self.path)["cuts"])
        check_enough_files(self.name, num_files, num_shards)
        own = [k for k in range(num_files) if wanted is None or k % num_shards in wanted]
        return ((k % num_shards, None, (k, index), cut)
                for k in own for index, cut in enumerate(iter_shar(self.path, [k])))

    def _where(self, index) -> Where:
        file, line = index if isinstance(index, tuple) else (0, index)
        if self._units is None:  # once: pathlib is slow per document
            self._units = ["item" if is_list_manifest(p) else "line" for p in self.paths]
        return Where(self.name, self.paths[file], line + 1, self._units[file])

    def to_document(self, index, raw, text_tokenizer) -> SpeechDocument:
        if self.kind == "prepared":
            return prepared_document(self.prepared, index, text_tokenizer, self.name)
        if self.kind == "jsonl":
            return line_to_document(raw, text_tokenizer, self._where(index),
                                    self.speech_tokenizer, self.reader)
        origin = (getattr(raw, "custom", None) or {}).get("shard_origin", self.path)
        return cut_to_document(raw, text_tokenizer, self.speech_tokenizer,
                               Where(self.name, str(origin)))

    def documents(self, text_tokenizer) -> Iterator[SpeechDocument]:
        for index, raw in self.iter_raw():
            yield self.to_document(index, raw, text_tokenizer)

    def prepared_shard(self, shard: int, num_shards: int, text_tokenizer):
        return _prepared_shard(self, shard, num_shards, text_tokenizer)

    def speech_vocab_size(self) -> Optional[int]:
        """From the first cut's `custom["speech_vocab_size"]` (a MixedCut's: its first track
        that has one), else the speech tokenizer's."""
        from .reading.speech_tokens import audible_tracks, declared_vocab_size

        if self.kind == "prepared":
            return self.prepared.meta["speech_vocab_size"]
        for index, raw in self.iter_raw():
            declared = declared_vocab_size(raw) if self.kind == "jsonl" else None
            if declared is not None:
                return declared
            cut = cut_from_line(raw, self._where(index)) if self.kind == "jsonl" else raw
            for part, _ in audible_tracks(cut):
                size = (getattr(part, "custom", None) or {}).get("speech_vocab_size")
                if size is not None:
                    return int(size)
            break
        if self.speech_tokenizer is not None:
            return int(self.speech_tokenizer.vocab_size)
        return None


class TextSource:
    """Text-only documents.

    `path` is one file, a list of files, a glob pattern (`"text/*.jsonl.gz"`, files in
    sorted order) or a prepared corpus of text (`spelangy index`, docs/prepared.md); the
    documents of several files are their documents, file after file. A
    `.jsonl` / `.jsonl.gz` file holds one document per line, `{"text": ...}`, with an
    optional `"id"`. Any other file is plain UTF-8 text where a document is a block of
    non-blank lines, blocks separated by blank lines; the lines of a block are joined with
    single spaces (line breaks inside a paragraph are wrapping, not content). Document ids
    are the JSON `"id"` when present, else `f"{name}:{index}"` (one file) or
    `f"{name}:{file}:{index}"` (several), index being the line index (JSONL) or the block
    index (text) in its file. Sharding: document i of the files joined is in shard
    i % num_shards (i counts JSONL lines, blank ones too, and text blocks).
    """

    def __init__(self, name: str, path, weight: float = 1.0):
        self.weight = _check_name_weight("TextSource", name, weight)
        self.name = name
        self.prepared = None  # a PreparedCorpus when `path` is a prepared directory
        if isinstance(path, (str, os.PathLike)) and is_prepared(path):
            self.prepared = open_prepared(path, "text", f"TextSource {name!r}")
            self.paths = (os.fspath(path),)
        else:
            self.paths = self._resolve(path)
        self.path = self.paths[0] if len(self.paths) == 1 else None

    def _resolve(self, path) -> Tuple[str, ...]:
        what = f"TextSource {self.name!r}"
        if isinstance(path, (list, tuple)):
            if not path:
                raise SpelangyError(f"{what}: the list of text files is empty")
            items = list(path)
        elif isinstance(path, (str, os.PathLike)) and not is_remote(os.fspath(path)) \
                and glob.has_magic(os.fspath(path)):
            items = sorted(glob.glob(os.fspath(path)))
            if not items:
                raise SpelangyError(f"{what}: no file matches {os.fspath(path)!r}")
        else:
            items = [path]
        return _file_paths(items, what, "text file", "path must be a .jsonl, .jsonl.gz or text "
                           "file, a list of them or a glob")

    def __repr__(self) -> str:
        where = self.path if self.path is not None else list(self.paths)
        return f"TextSource({self.name!r}, {where!r}, weight={self.weight})"

    @staticmethod
    def _is_jsonl(path: str) -> bool:
        return path.endswith((".jsonl", ".jsonl.gz"))

    def _file_items(self, path: str) -> Generator[Tuple[int, object], None, int]:
        """`(index, raw)` of one file (raw line bytes for JSONL, index = line number - 1;
        `(first_line_number, paragraph)` per block of a text file, index = block number);
        returns the count of indices used."""
        if self._is_jsonl(path):
            return (yield from iter_lines(path, self.name))
        count = 0
        for count, block in enumerate(self._paragraphs(path), start=1):
            yield count - 1, block
        return count

    def iter_raw(self, files: Optional[Sequence[int]] = None) -> Iterator[Tuple[object, object]]:
        """`(index, raw)` in file order: the index of one file's item, or `(file number,
        index)` for several files; `files`: only the items of these file numbers (a
        prepared corpus being one file)."""
        if self.prepared is not None or len(self.paths) == 1:
            if files is not None and 0 not in files:
                return iter(())
            if self.prepared is not None:
                return ((i, None) for i in range(len(self.prepared)))
            return self._file_items(self.paths[0])
        return (((file, index), raw) for file in (range(len(self.paths)) if files is None
                                                  else files)
                for index, raw in self._file_items(self.paths[file]))

    def iter_sharded(self, num_shards: int, wanted: Optional[set]) -> Iterator[tuple]:
        """`(shard, number, index, raw)`: document `number` of the files joined is in shard
        number % num_shards."""
        if len(self.paths) == 1:
            return ((index % num_shards, index, index, raw) for index, raw in self.iter_raw())
        return self._joined(num_shards)

    def _joined(self, num_shards: int) -> Iterator[tuple]:
        offset = 0  # indices used by the earlier files
        for file, path in enumerate(self.paths):
            items = self._file_items(path)
            while True:
                try:
                    index, raw = next(items)
                except StopIteration as end:
                    offset += end.value
                    break
                yield (offset + index) % num_shards, offset + index, (file, index), raw

    def id_suffix(self, index) -> str:
        """What follows `name:` in the id of a document without its own: its index in its
        file, after the file's number when there are several files."""
        return f"{index[0]}:{index[1]}" if isinstance(index, tuple) else str(index)

    def _paragraphs(self, path: str) -> Iterator[Tuple[int, str]]:
        block, first = [], 0
        for index, line in iter_lines(path, self.name):
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
                                    source=self.name, path=path) from exc
        if block:
            yield first, " ".join(block)

    def to_document(self, index, raw, text_tokenizer) -> TextDocument:
        if self.prepared is not None:
            return prepared_document(self.prepared, index, text_tokenizer, self.name)
        file, item = index if isinstance(index, tuple) else (0, index)
        path = self.paths[file]
        doc_id = f"{self.name}:{self.id_suffix(index)}"
        if self._is_jsonl(path):
            doc_id, text, where = self._parse_line(path, item, raw, doc_id)
        else:
            line, text = raw
            where = Where(self.name, path, line)
        if not text.strip():
            raise where.error("empty text", doc_id)
        tokens = np.asarray(text_tokenizer.encode(text), dtype=np.int32)
        return TextDocument(doc_id=doc_id, text_tokens=tokens)

    def _parse_line(self, path: str, index: int, raw: bytes, doc_id: str):
        import orjson

        where = Where(self.name, path, index + 1)
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

    def prepared_shard(self, shard: int, num_shards: int, text_tokenizer):
        return _prepared_shard(self, shard, num_shards, text_tokenizer)
