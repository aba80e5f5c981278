# Lhotse Shar directories: their files per field, and their cuts, whole or by shard.
from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

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
