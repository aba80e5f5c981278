# The global order: each epoch of a source is one permutation of all its documents.
"""Position p of epoch e of source s holds document `permute(p)`, a bijection of [0, N)
computed pointwise (docs/semantics.md, "Order"): a balanced Feistel network over the
smallest even number of bits that holds N, with cycle walking back into [0, N): the
format-preserving shuffle Lhotse 2.0 uses for indexed Shar, since a corpus may be too
large to permute in memory. As in MosaicML streaming, nothing depends on the topology:
a shard reads, in position order, the documents that its sharding rule gives it and that
no earlier topology already read this epoch (`SourceWalk`), so that its memory and start
cost do not grow with the corpus, and a resume on another topology knows from a few
integers per shard what is left.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Optional, Sequence, Tuple

import numpy as np

from .reference.sampling import splitmix64

ROUNDS = 4
BLOCK = 4096  # positions permuted at once by a walk


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 of every element (uint64 arithmetic wraps mod 2**64)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class EpochPermutation:
    """The order of one epoch: `permute(positions)` gives the documents there. `key` is
    (seed, source index, epoch[, shard])."""

    def __init__(self, num_documents: int, key: Sequence[int]):
        self.n = int(num_documents)
        bits = max(2, (max(self.n, 1) - 1).bit_length())
        self.half = np.uint64((bits + 1) // 2)
        self.mask = np.uint64((1 << int(self.half)) - 1)
        h = 0
        for part in key:
            h = splitmix64(h ^ (int(part) & ((1 << 64) - 1)))
        self.keys = []
        for r in range(ROUNDS):
            h = splitmix64(h ^ r)
            self.keys.append(np.uint64(h))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        left, right = x >> self.half, x & self.mask
        for k in self.keys:
            left, right = right, left ^ (_mix(right ^ k) & self.mask)
        return (left << self.half) | right

    def _backward(self, y: np.ndarray) -> np.ndarray:
        left, right = y >> self.half, y & self.mask
        for k in reversed(self.keys):
            left, right = right ^ (_mix(left ^ k) & self.mask), left
        return (left << self.half) | right

    def position(self, documents) -> np.ndarray:
        """The inverse of `permute`: where each document is in the epoch's order."""
        documents = np.asarray(documents, dtype=np.uint64)
        if documents.size and int(documents.max()) >= self.n:
            raise IndexError(f"document {int(documents.max())} outside [0, {self.n})")
        out = self._backward(documents)
        outside = out >= self.n
        while outside.any():  # walk the cycle backwards to the position inside [0, n)
            out[outside] = self._backward(out[outside])
            outside = out >= self.n
        return out.astype(np.int64)

    def permute(self, positions) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.uint64)
        if positions.size and int(positions.max()) >= self.n:
            raise IndexError(f"position {int(positions.max())} outside [0, {self.n})")
        out = self._forward(positions)
        outside = out >= self.n
        while outside.any():  # the cycle through a value in [0, n) comes back into it
            out[outside] = self._forward(out[outside])
            outside = out >= self.n
        return out.astype(np.int64)


def epoch_order(shard, seed: int, source_index: int, epoch: int) -> EpochPermutation:
    """The order of `epoch` of a source that `shard` (`LoadedShard`, `PreparedShard`)
    reads its documents in: the source's global order, unless the shard has one of its own."""
    return EpochPermutation(shard.domain, (seed, source_index, epoch, *shard.order_key))


class Layer:
    """What one earlier topology read: per shard of its `num_shards`, the epoch it was in
    and its position there (-1: it owned no document). Document d at position p of epoch
    e was read when, with k = d % num_shards, e < epochs[k], or e == epochs[k] and
    p < positions[k], or positions[k] == -1."""

    def __init__(self, num_shards: int, epochs: Sequence[int], positions: Sequence[int]):
        self.num_shards = int(num_shards)
        self.epochs = np.asarray(epochs, dtype=np.int64)
        self.positions = np.asarray(positions, dtype=np.int64)
        # the last epoch it read a part of: later ones are whole
        self.last_epoch = int(self.epochs[self.positions >= 0].max(initial=-1))

    def read(self, epoch: int, positions: np.ndarray, documents: np.ndarray) -> np.ndarray:
        k = documents % self.num_shards
        epochs, frontier = self.epochs[k], self.positions[k]
        return (frontier < 0) | (epoch < epochs) | ((epoch == epochs) & (positions < frontier))


class SourceWalk:
    """The documents that one shard reads from one source, epoch after epoch.

    `shard` is a shard's documents of the source (`LoadedShard` or `PreparedShard`): the
    numbering the epoch permutes (`domain`), the rule that picks its own documents
    (`number % num_shards == shard`), the documents present (a skipped line is absent),
    and `key` that seeds the order. `layers` are what earlier topologies read (after an
    elastic resume): the shard leaves those documents out.
    """

    def __init__(self, shard, seed: int, source_index: int,
                 layers: Sequence[Layer] = ()):
        self.shard = shard
        self.seed, self.source_index = seed, source_index
        self.layers = list(layers)
        self._block: Optional[tuple] = None  # (epoch, begin, positions, documents)
        self._permutation: Optional[Tuple[int, EpochPermutation]] = None

    def permutation(self, epoch: int) -> EpochPermutation:
        if self._permutation is None or self._permutation[0] != epoch:
            order = epoch_order(self.shard, self.seed, self.source_index, epoch)
            self._permutation = (epoch, order)
        return self._permutation[1]

    def next(self, epoch: int, position: int) -> Optional[Tuple[int, int]]:
        """`(position, document number)` of the first document this shard reads in `epoch`
        at `position` or after; None when it has no more in that epoch."""
        while position < self.shard.domain:
            begin = position - position % BLOCK
            _, _, positions, documents = self._read_block(epoch, begin)
            j = bisect_left(positions, position)
            if j < len(positions):
                return positions[j], documents[j]
            position = begin + BLOCK
        return None

    def _read_block(self, epoch: int, begin: int) -> tuple:
        block = self._block
        if block is None or block[0] != epoch or block[1] != begin:
            positions = np.arange(begin, min(begin + BLOCK, self.shard.domain), dtype=np.int64)
            documents = self.permutation(epoch).permute(positions)
            keep = self.shard.owns(documents)
            for layer in self.layers:
                if epoch <= layer.last_epoch:
                    keep &= ~layer.read(epoch, positions, documents)
            # (lists: a stream asks for one document at a time)
            block = self._block = (epoch, begin, positions[keep].tolist(),
                                   documents[keep].tolist())
        return block
