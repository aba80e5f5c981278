# Reads each shard's documents of a source into arrays, once, with the bad-input policy applied.
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence

from .errors import BadInputError

log = logging.getLogger("spelangy")

ON_BAD_INPUT = ("raise", "skip")
# Reading a source's shards for longer than this before the first batch earns a hint.
SLOW_LOAD_SECONDS = 5.0


@dataclass
class SkipReport:
    """Documents left out under `on_bad_input="skip"`: counted per source and reported."""

    counts: Dict[str, int] = field(default_factory=dict)
    examples: List[str] = field(default_factory=list)  # the first few messages, for the log

    def add(self, source: str, error: BadInputError) -> None:
        self.counts[source] = self.counts.get(source, 0) + 1
        if len(self.examples) < 20:
            self.examples.append(str(error))
        log.warning("skipping bad document: %s", error)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def load_shards(
    source,
    text_tokenizer,
    num_shards: int,
    wanted: Optional[set],
    on_bad_input: str,
    skips: SkipReport,
    own_shard: int,
) -> Dict[int, Sequence]:
    """Documents of `source` for each shard in `wanted` (all shards when None).

    Skips are reported for `own_shard` only: each shard's worker reports its own.

    The source says which shard each item is in (`iter_sharded`, see
    `SpeechTextSource.shard_by`); a source with only `iter_raw` puts item i in shard
    i % num_shards. Either way the rule is the same in every epoch, every document is in
    exactly one shard, and each shard parses and tokenizes only its own documents: items of
    other shards are skipped unparsed. A prepared source's shard is a sequence that makes
    each document when the stream asks for it (nothing is read up front).
    """
    if getattr(source, "prepared", None) is not None:  # documents made on access
        return {s: source.prepared_shard(s, num_shards, text_tokenizer)
                for s in range(num_shards) if wanted is None or s in wanted}
    start = time.perf_counter()
    shards: Dict[int, list] = {s: [] for s in range(num_shards) if wanted is None or s in wanted}
    for shard, index, raw in _sharded_items(source, num_shards, wanted):
        if shard not in shards:
            continue
        try:
            shards[shard].append(source.to_document(index, raw, text_tokenizer))
        except BadInputError as error:
            if on_bad_input == "raise":
                raise
            if shard == own_shard:
                skips.add(source.name, error)
    elapsed = time.perf_counter() - start
    if elapsed > SLOW_LOAD_SECONDS:
        log.warning("source %r: reading its documents took %.1f s before the first batch (and "
                    "again at every start and resume); `spelangy index` prepares them once, "
                    "and a prepared source starts at once (docs/prepared.md)",
                    source.name, elapsed)
    return shards


def _sharded_items(source, num_shards: int, wanted: Optional[set]) -> Iterator[tuple]:
    """`(shard, index, raw)` for the items of `source`."""
    if hasattr(source, "iter_sharded"):
        return source.iter_sharded(num_shards, wanted)
    return ((index % num_shards, index, raw) for index, raw in source.iter_raw())
