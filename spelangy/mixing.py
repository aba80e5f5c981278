# Token-weighted mixing of sources, deterministic, with per-source epochs.
from __future__ import annotations

from typing import List, Optional, Sequence


class TokenMixer:
    """Picks the next source so that realised token shares track the weights at every point.

    The next document comes from the active source whose emitted tokens per unit of weight is
    smallest (ties: the first source), so after any prefix of the stream each source's share
    differs from its weight by at most one document's worth of tokens. A source that has
    delivered `num_epochs` epochs drops out; the others keep their relative weights.

    Per source it keeps the epoch and the position in that epoch's order
    (`spelangy.order`) where the shard's next document is looked for; the stream ends
    an epoch when the order has no more documents for the shard.
    """

    def __init__(self, weights: Sequence[float], has_documents: Sequence[bool],
                 num_epochs: Optional[int]):
        self.weights = [float(w) for w in weights]
        self.has_documents = list(has_documents)
        self.num_epochs = num_epochs
        n = len(self.weights)
        self.epochs: List[int] = [0] * n
        # -1: this shard holds no document of the source (an elastic resume reads it so)
        self.positions: List[int] = [0 if has else -1 for has in self.has_documents]
        self.tokens: List[int] = [0] * n

    def active(self, s: int) -> bool:
        if not self.has_documents[s]:
            return False  # this shard holds no document of the source
        return self.num_epochs is None or self.epochs[s] < self.num_epochs

    def finished(self) -> bool:
        return not any(self.active(s) for s in range(len(self.weights)))

    def next_source(self) -> int:
        """The source of the next document."""
        candidates = [s for s in range(len(self.weights)) if self.active(s)]
        return min(candidates, key=lambda s: (self.tokens[s] / self.weights[s], s))

    def advance(self, s: int, position: int, num_tokens: int) -> None:
        """Source `s` gave the document at `position` of its epoch's order."""
        self.tokens[s] += num_tokens
        self.positions[s] = position + 1

    def end_epoch(self, s: int) -> None:
        self.epochs[s] += 1
        self.positions[s] = 0

    def state_dict(self) -> dict:
        return {"epochs": list(self.epochs), "positions": list(self.positions),
                "tokens": list(self.tokens)}

    def load_state_dict(self, state: dict) -> None:
        for name in ("epochs", "positions", "tokens"):
            if len(state[name]) != len(self.weights):
                raise ValueError(
                    f"loader state has {len(state[name])} sources, the dataset has {len(self.weights)}"
                )
        self.epochs = [int(x) for x in state["epochs"]]
        self.positions = [int(x) for x in state["positions"]]
        self.tokens = [int(x) for x in state["tokens"]]
