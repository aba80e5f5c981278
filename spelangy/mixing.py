# Token-weighted mixing of sources, deterministic, with per-source epochs and shuffles.
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np


def epoch_order(num_docs: int, seed: int, source_index: int, epoch: int, shard: int) -> np.ndarray:
    """The order in which a shard reads its documents of one source in one epoch."""
    rng = np.random.default_rng([seed, source_index, epoch, shard])
    return rng.permutation(num_docs)


class TokenMixer:
    """Picks the next source so that realised token shares track the weights at every point.

    The next document comes from the active source whose emitted tokens per unit of weight is
    smallest (ties: the first source), so after any prefix of the stream each source's share
    differs from its weight by at most one document's worth of tokens. A source that has
    delivered `num_epochs` epochs drops out; the others keep their relative weights.
    """

    def __init__(self, weights: Sequence[float], sizes: Sequence[int], num_epochs: Optional[int]):
        self.weights = [float(w) for w in weights]
        self.sizes = list(sizes)
        self.num_epochs = num_epochs
        n = len(self.weights)
        self.epochs: List[int] = [0] * n
        self.cursors: List[int] = [0] * n
        self.tokens: List[int] = [0] * n

    def active(self, s: int) -> bool:
        if self.sizes[s] == 0:
            return False  # this shard holds no document of the source
        return self.num_epochs is None or self.epochs[s] < self.num_epochs

    def finished(self) -> bool:
        return not any(self.active(s) for s in range(len(self.weights)))

    def next_source(self) -> int:
        """Returns the source of the next document and advances its cursor (epoch, cursor)."""
        candidates = [s for s in range(len(self.weights)) if self.active(s)]
        return min(candidates, key=lambda s: (self.tokens[s] / self.weights[s], s))

    def advance(self, s: int, num_tokens: int) -> None:
        self.tokens[s] += num_tokens
        self.cursors[s] += 1
        if self.cursors[s] == self.sizes[s]:
            self.epochs[s] += 1
            self.cursors[s] = 0

    def state_dict(self) -> dict:
        return {"epochs": list(self.epochs), "cursors": list(self.cursors), "tokens": list(self.tokens)}

    def load_state_dict(self, state: dict) -> None:
        for name in ("epochs", "cursors", "tokens"):
            if len(state[name]) != len(self.weights):
                raise ValueError(
                    f"loader state has {len(state[name])} sources, the dataset has {len(self.weights)}"
                )
        self.epochs = [int(x) for x in state["epochs"]]
        self.cursors = [int(x) for x in state["cursors"]]
        self.tokens = [int(x) for x in state["tokens"]]
