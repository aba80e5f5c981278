# Reads each shard's documents of a source into arrays, once, with the bad-input policy applied.
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

import numpy as np

from .documents import TextDocument
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


class LoadedShard:
    """One shard's documents of a source, read into memory, by document number.

    Numbers are the documents' numbers in the source (line indices of the files joined,
    the rule `number % num_shards == shard` picking the shard's own), or, for a shard of
    files (`shard_by="file"`), its items counted in the order read, with an order of its
    own (`order_key`). A number whose item was skipped as bad has no document.
    """

    def __init__(self, shard: int, num_shards: int):
        self.shard, self.num_shards = shard, num_shards
        self.domain = 0  # the size of the numbering, known once every item was read
        self.order_key: tuple = ()
        self._numbers: List[int] = []
        self._documents: list = []
        self.numbers = np.zeros(0, np.int64)

    def add(self, number: int, document) -> None:
        self._numbers.append(number)
        self._documents.append(document)

    def close(self, domain: int) -> "LoadedShard":
        self.domain = domain
        self.numbers = np.asarray(self._numbers, dtype=np.int64)  # ascending: read in order
        return self

    def __len__(self) -> int:
        return len(self._documents)

    def owns(self, numbers: np.ndarray) -> np.ndarray:
        found = np.searchsorted(self.numbers, numbers)
        present = found < len(self.numbers)
        present[present] = self.numbers[found[present]] == numbers[present]
        return present

    def text_token_counts(self) -> Optional[np.ndarray]:
        """The token count of each document (in `numbers` order) when all are text, else None."""
        if not all(isinstance(d, TextDocument) for d in self._documents):
            return None
        return np.array([len(d.text_tokens) for d in self._documents], np.int64)

    def document(self, number: int):
        j = int(np.searchsorted(self.numbers, number))
        if j == len(self.numbers) or self.numbers[j] != number:
            raise IndexError(f"document {number} is not in shard {self.shard} of "
                             f"{self.num_shards}")
        return self._documents[j]


def load_shards(
    source,
    text_tokenizer,
    num_shards: int,
    wanted: Optional[set],
    on_bad_input: str,
    skips: SkipReport,
    own_shard: int,
) -> Dict[int, object]:
    """The documents of `source` for each shard in `wanted` (all shards when None).

    Skips are reported for `own_shard` only: each shard's worker reports its own.

    The source says which shard each item is in (`iter_sharded`, see
    `SpeechTextSource.shard_by`); a source with only `iter_raw` puts item i in shard
    i % num_shards. Either way the rule is the same in every epoch, every document is in
    exactly one shard, and each shard parses and tokenizes only its own documents: items of
    other shards are skipped unparsed. A prepared source's shard makes each document when
    the stream asks for it (nothing is read up front).
    """
    if getattr(source, "prepared", None) is not None:  # documents made on access
        return {s: source.prepared_shard(s, num_shards, text_tokenizer)
                for s in range(num_shards) if wanted is None or s in wanted}
    start = time.perf_counter()
    shards = {s: LoadedShard(s, num_shards) for s in range(num_shards)
              if wanted is None or s in wanted}
    domain, counts = 0, dict.fromkeys(shards, 0)
    for shard, number, index, raw in _sharded_items(source, num_shards, wanted):
        if number is None:  # sharded by file: the shard's own numbering and order
            number, counts[shard] = counts.get(shard, 0), counts.get(shard, 0) + 1
            if shard in shards:
                shards[shard].order_key = (shard,)
        domain = max(domain, number + 1)
        if shard not in shards:
            continue
        try:
            shards[shard].add(number, source.to_document(index, raw, text_tokenizer))
        except BadInputError as error:
            if on_bad_input == "raise":
                raise
            if shard == own_shard:
                skips.add(source.name, error)
    for s, loaded in shards.items():
        loaded.close(counts[s] if loaded.order_key else domain)
    elapsed = time.perf_counter() - start
    if elapsed > SLOW_LOAD_SECONDS:
        log.warning("source %r: reading its documents took %.1f s before the first batch (and "
                    "again at every start and resume); `spelangy index` prepares them once, "
                    "and a prepared source starts at once (docs/prepared.md)",
                    source.name, elapsed)
    return shards


def _sharded_items(source, num_shards: int, wanted: Optional[set]) -> Iterator[tuple]:
    """`(shard, number, index, raw)` for the items of `source`."""
    if hasattr(source, "iter_sharded"):
        return source.iter_sharded(num_shards, wanted)
    return ((index % num_shards, index, index, raw) for index, raw in source.iter_raw())
