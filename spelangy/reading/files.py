# Manifest files as raw documents: JSONL lines (plain, gzip, URL or pipe:) or the items of a JSON/YAML list.
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Generator, Iterator, Tuple

from ..errors import BadInputError, SpelangyError


def is_remote(path: str) -> bool:
    """URLs and `pipe:` commands are opened by Lhotse's I/O backend and never stat'ed."""
    return path.startswith("pipe:") or "://" in path


def check_path(path, what: str) -> str:
    path = os.fspath(path)
    if not is_remote(path) and not Path(path).exists():
        raise SpelangyError(f"{what} not found: {path}")
    return path


def _open(path: str):
    if is_remote(path):
        # smart_open (behind Lhotse's backend) decompresses .gz URLs itself; a pipe: command
        # is expected to write plain JSONL.
        from lhotse.serialization import open_best

        return open_best(path, "rb")
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _fast_inflater():
    """ISA-L's inflater (python-isal) when installed: about 3x zlib 1.2.13 on manifests."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    return isal_zlib


_GZIP_MAGIC = b"\x1f\x8b"
_READ_BLOCK = 1 << 18


def inflate_lines(f, inflater, block_size: int = _READ_BLOCK) -> Iterator[bytes]:
    """The lines of the gzip file `f` (opened "rb"), exactly as `gzip.open(...)` yields them.

    Members are inflated with `inflater.decompressobj` block by block and split into lines
    here, because isal's own `igzip.open` drops what it inflated from its last read (up to
    512 KiB of the file) when the stream is truncated; this way a truncated manifest yields every complete line
    before its EOFError, as the gzip module does. Concatenated members and zero padding
    after a member are read as the gzip module reads them; anything else after a member is
    "Not a gzipped file". A corrupt member (bad data, CRC or length) raises the inflater's
    error, possibly before the lines of the last block read.
    """
    member = None  # None between members: the next bytes must start one
    rest = pending = b""
    while True:
        block = f.read(block_size)
        if not block:
            break
        block, pending = pending + block, b""
        while block:
            if member is None or member.eof:
                block = block.lstrip(b"\0") if member is not None else block
                if len(block) < 2:
                    pending = block
                    break
                if block[:2] != _GZIP_MAGIC:
                    raise gzip.BadGzipFile(f"Not a gzipped file ({block[:2]!r})")
                member = inflater.decompressobj(31)  # 31: a gzip header and trailer
            out = member.decompress(block)
            block = member.unused_data if member.eof else b""
            if out:
                lines = (rest + out).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    yield line + b"\n"
    if pending:
        raise gzip.BadGzipFile(f"Not a gzipped file ({pending!r})")
    if member is not None and not member.eof:
        raise EOFError("Compressed file ended before the end-of-stream marker was reached")
    if rest:
        yield rest


def _read_errors(inflater) -> tuple:
    errors = (EOFError, OSError, zlib.error)
    return errors + (inflater.error,) if inflater is not None else errors


def iter_lines(path: str, source: str) -> Generator[Tuple[int, bytes], None, int]:
    """`(line_index, line)` for every non-blank line; line_index + 1 is the line number.

    Blank lines are not documents; they are passed over, so indices may have gaps but always
    give the exact line for error messages. The generator returns the number of lines read,
    blank ones included (what comes after the last document counts too).
    """
    inflater = _fast_inflater() if path.endswith(".gz") and not is_remote(path) else None
    index = -1
    try:
        with open(path, "rb") if inflater is not None else _open(path) as f:
            lines = inflate_lines(f, inflater) if inflater is not None else f
            for index, line in enumerate(lines):
                if line.strip():
                    yield index, line
    except _read_errors(inflater) as exc:
        # A truncated or corrupt gzip stream ends the manifest early: never silently.
        raise BadInputError(f"unreadable manifest after line {index + 1}: {exc}",
                            source=source, path=path) from exc
    return index + 1


def is_list_manifest(path: str) -> bool:
    """A manifest stored as one JSON or YAML list (`cuts.json`, `cuts.json.gz`, `cuts.yaml`),
    told by its suffixes as Lhotse's `CutSet.from_file` tells it; anything else is JSONL."""
    suffixes = Path(path).suffixes
    return ".json" in suffixes or ".yaml" in suffixes


def iter_items(path: str, source: str) -> Generator[Tuple[int, bytes], None, int]:
    """`(index, item as JSON bytes)` for the items of a JSON or YAML list manifest.

    The file is parsed whole, as Lhotse parses such files (JSONL is the form that streams);
    each item is handed on as one JSON line, so that every reader takes it as it takes a
    line of a JSONL manifest. Returns the number of items.
    """
    import orjson

    try:
        with _open(path) as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInputError(f"unreadable manifest: {exc}", source=source, path=path) from exc
    try:
        if ".yaml" in Path(path).suffixes:
            import yaml

            items = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        else:
            items = orjson.loads(data)
    except Exception as exc:  # orjson, PyYAML and UnicodeDecodeError: all say "not parseable"
        raise BadInputError(f"corrupt manifest (not a JSON or YAML list: {exc})",
                            source=source, path=path) from exc
    if not isinstance(items, list):
        raise BadInputError(f"corrupt manifest (a list of cuts expected, got "
                            f"{type(items).__name__})", source=source, path=path)
    for index, item in enumerate(items):
        try:
            raw = orjson.dumps(item)
        except TypeError:  # a YAML value JSON cannot hold (a date, a set): not a Lhotse cut
            raw = b"{}"
        yield index, raw
    return len(items)


def iter_documents(path: str, source: str) -> Generator[Tuple[int, bytes], None, int]:
    """`(index, raw JSON bytes)` of every document of one manifest file, whatever its form;
    returns the count of lines (blank ones included) or items read."""
    if is_list_manifest(path):
        return (yield from iter_items(path, source))
    return (yield from iter_lines(path, source))
