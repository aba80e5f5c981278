# A manifest in several files: where each document comes from and which shard it is in.
"""The documents of a list of manifest files are their lines (or list items), file after
file. Two rules put each document in one of `num_shards` shards:

- `document`: the files are read as one manifest, concatenated in the order given; the
  document at line index i of that manifest goes to shard i % num_shards. Every worker
  reads every file (a gzip stream cannot be entered mid-way), parsing only its own lines.
- `file`: file k goes to shard k % num_shards with all its documents, so a worker opens
  only its own files. It needs at least as many files as shards.

Documents are located by `(file number, line index in that file)`, so that errors name the
real file and line.
"""
from __future__ import annotations

import os
from typing import Iterator, List, Optional, Sequence, Tuple

from ..errors import SpelangyError
from .files import iter_documents

SHARD_BY = ("document", "file")

Located = Tuple[int, int]  # (file number, 0-based line index in that file)


def path_list(cuts) -> List[str]:
    """One manifest path or a list of them, as a list of path strings."""
    return [os.fspath(p) for p in (cuts if isinstance(cuts, (list, tuple)) else [cuts])]


def iter_files(paths: Sequence[str], source: str,
               files: Optional[Sequence[int]] = None) -> Iterator[Tuple[Located, bytes]]:
    """`((file, line_index), raw line)` for every document of the files numbered `files`
    (default: all), in order."""
    for file in range(len(paths)) if files is None else files:
        for index, raw in iter_documents(paths[file], source):
            yield (file, index), raw


def check_enough_files(source: str, num_files: int, num_shards: int) -> None:
    if num_files < num_shards:
        raise SpelangyError(
            f"source {source!r} is sharded by file but has {num_files} manifest file(s) for "
            f"{num_shards} shards (world_size * num_workers): every shard needs at least one "
            f"file; give more files or use shard_by='document'"
        )


def iter_sharded(paths: Sequence[str], source: str, shard_by: str, num_shards: int,
                 wanted: Optional[set]) -> Iterator[Tuple[int, Optional[int], Located, bytes]]:
    """`(shard, number, (file, line_index), raw)` for the documents of the shards in
    `wanted` (all shards when None); documents of other shards may be yielded too, and are
    skipped by the caller. `number` is the line index in the files joined (None when
    sharding by file: a worker does not read the other files). Raises at once, not on the
    first item, when there are too few files."""
    if shard_by == "file":
        check_enough_files(source, len(paths), num_shards)
        files = [k for k in range(len(paths)) if wanted is None or k % num_shards in wanted]
        return ((located[0] % num_shards, None, located, raw)
                for located, raw in iter_files(paths, source, files))
    return _by_concatenated_line(paths, source, num_shards)


def _by_concatenated_line(paths, source, num_shards):
    offset = 0  # lines of the earlier files, blank ones included: as if the files were one
    for file, path in enumerate(paths):
        lines = iter_documents(path, source)
        while True:
            try:
                index, raw = next(lines)
            except StopIteration as end:
                offset += end.value  # the number of lines (or items) read
                break
            yield (offset + index) % num_shards, offset + index, (file, index), raw
