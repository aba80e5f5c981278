# Raw reading of JSONL manifests (plain, gzip, URL or pipe:) and parsing one line into a Lhotse cut.
from __future__ import annotations

import gzip
import os
import re
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Generator, Iterator, List, Optional, Sequence, Tuple

from .errors import BadInputError, SpelangyError

_ID_IN_LINE = re.compile(rb'^\s*\{\s*"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Where:
    """Where a document came from: every bad-input error names it."""

    source: str
    path: str
    line: Optional[int] = None  # 1-based line of a JSONL manifest

    def error(self, reason: str, cut_id: str = "") -> BadInputError:
        if self.line is not None:
            reason = f"{reason}, line {self.line}"
        return BadInputError(reason, source=self.source, path=self.path, cut_id=cut_id)


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


_SHAR_FILE = re.compile(r"([^.]+)\.(\d{6})\..+")  # field.NNNNNN.ext


def shar_fields(path: str) -> Dict[str, List[str]]:
    """The files of a Lhotse Shar directory per field (`cuts`, `recording`, ...), each list in
    shard order: what `CutSet.from_shar(in_dir=...)` finds there."""
    fields: Dict[str, Dict[int, str]] = {}
    for entry in Path(path).iterdir():
        match = _SHAR_FILE.fullmatch(entry.name)
        if match:
            fields.setdefault(match[1], {})[int(match[2])] = str(entry)
    return {field: [files[k] for k in sorted(files)] for field, files in fields.items()}


def iter_shar(path: str, shards: Optional[Sequence[int]] = None) -> Iterator:
    """The cuts of a Lhotse Shar directory, in shard order; of the shards numbered `shards`
    only, when given (every field's files of those shards, so custom data comes along).

    Lhotse's Shar tar reader hands its file objects to `tarfile.open(fileobj=...)`, which
    never closes them, so they are closed by the garbage collector with a ResourceWarning
    when Lhotse drops a shard. The warning is silenced exactly where that happens: inside
    each step of Lhotse's iterator and when it is closed early.
    """
    from lhotse import CutSet

    if shards is None:
        cuts = iter(CutSet.from_shar(in_dir=path))
    else:
        fields = shar_fields(path)
        cuts = iter(CutSet.from_shar(fields={field: [files[k] for k in shards]
                                             for field, files in fields.items()}))
    try:
        while True:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                cut = next(cuts, None)
            if cut is None:
                return
            yield cut
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            close = getattr(cuts, "close", None)
            if close is not None:
                close()


def cut_from_line(line: bytes, where: Where):
    """Parse one manifest line into a Lhotse cut, with Lhotse's own deserializer."""
    import orjson
    from lhotse.cut import Cut
    from lhotse.serialization import deserialize_item

    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        found = _ID_IN_LINE.search(line)  # the cut id, when the damage is after it
        cut_id = found.group(1).decode("utf-8", "replace") if found else ""
        raise where.error(f"corrupt manifest line (invalid JSON: {exc})", cut_id) from exc
    cut_id = str(data.get("id", "")) if isinstance(data, dict) else ""
    if not isinstance(data, dict) or "type" not in data:
        raise where.error("corrupt manifest line (not a Lhotse cut: no 'type' field)", cut_id)
    try:
        cut = deserialize_item(data)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise where.error(f"corrupt manifest line (not a Lhotse cut: {exc})", cut_id) from exc
    if not isinstance(cut, Cut):
        raise where.error("corrupt manifest line (not a Lhotse cut)", cut_id)
    return cut
