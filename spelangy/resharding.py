# Elastic resume: the saved states of every rank -> where a run on another topology starts.
"""A shard's state says, per source, its epoch and its position in that epoch's global
order (`spelangy.order`): every document of its own before that position has been read.
So the states of all ranks say exactly what each epoch still holds, whatever the
topology that comes next. The start of the resumed run (`merge_rank_states`) is, per
source, the earliest epoch any shard was in and one layer `(num_shards, epoch per shard,
position per shard)` of what was read (`spelangy.order.Layer`, after the layers of
earlier resumes that still matter); plus the pieces that the packers held, not yet
delivered (each new shard takes those of its own documents), and the summed counters
(new shard 0 carries them). Its size grows with the shards, not with the corpus or the
epochs, and no document is read to make it.

A source sharded by file has no global order: its shards' documents depend on the
topology, so it restarts the earliest epoch a shard was in (logged).
"""
from __future__ import annotations

import logging
import math
from typing import Dict, List, Optional, Sequence

from .errors import SpelangyError
from .state import check_start, check_worker_state

log = logging.getLogger("spelangy")

_TOPOLOGY = ("world_size", "num_workers")


def _shard_states(states: Sequence[dict], start: Optional[dict], num_sources: int) -> List[dict]:
    """Every old shard's worker state, in shard order; a worker that delivered no batch is
    where it began (`start`, or a fresh stream)."""
    known = [s for s in states if s.get("workers")]
    world_size, num_workers = (known[0][k] for k in _TOPOLOGY)
    for state in known:
        if tuple(state[k] for k in _TOPOLOGY) != (world_size, num_workers):
            raise SpelangyError(
                f"elastic resume: the rank states come from different runs (world_size="
                f"{world_size}, num_workers={num_workers} and world_size="
                f"{state['world_size']}, num_workers={state['num_workers']})")
    ranks = sorted(s["rank"] for s in known)
    if len(set(ranks)) != len(ranks) or len(states) != world_size:
        raise SpelangyError(
            f"elastic resume needs the state of every rank of the saved run, once: it ran "
            f"with world_size={world_size}, and {len(states)} state(s) were given with ranks "
            f"{ranks} (a state taken before a rank's first batch has no rank)")
    by_rank = {s["rank"]: s for s in known}
    num_shards = world_size * num_workers
    out = []
    for shard in range(num_shards):
        rank, worker = divmod(shard, num_workers)
        state = by_rank.get(rank, {"workers": {}})["workers"].get(str(worker))
        out.append(state if state is not None else _begin(start, shard, num_shards, num_sources))
    return out


def _begin(start: Optional[dict], shard: int, num_shards: int, num_sources: int) -> dict:
    """The state of a shard that has delivered nothing since `start`."""
    if start is None:
        start = fresh_start(num_sources)
    pieces = [p for p in start["pieces"] if p[2] % num_shards == shard]
    return {"batches": 0,
            "mixer": {"epochs": list(start["epochs"]), "positions": [0] * num_sources,
                      "tokens": [0] * num_sources},
            "packer": {"ready": [], "open": [pieces]},
            "counters": dict(start["counters"]) if shard == 0 else {}}


def fresh_start(num_sources: int) -> dict:
    return {"epochs": [0] * num_sources, "layers": [[] for _ in range(num_sources)],
            "pieces": [], "counters": {}}


def merge_rank_states(states: Sequence[dict], num_sources: int,
                      global_order: Sequence[bool]) -> Optional[dict]:
    """Where a run on any topology starts from `states`, the saved state of every rank;
    None when no rank had delivered a batch (a fresh start)."""
    if not isinstance(states, (list, tuple)) or not all(isinstance(s, dict) for s in states):
        raise SpelangyError("elastic resume takes the list of every rank's loader state")
    starts = [s["start"] for s in states if s.get("start") is not None]
    start = starts[0] if starts else None
    if any(s != start for s in starts):
        raise SpelangyError("elastic resume: the rank states began from different resumes")
    unknown = [math.inf] * num_sources  # document counts: checked again by each stream
    if start is not None:
        check_start(start, unknown)
    if not any(s.get("workers") for s in states):
        return start
    shards = _shard_states(states, start, num_sources)
    for state in shards:
        check_worker_state(state, unknown)
    old = start or fresh_start(num_sources)
    merged = fresh_start(num_sources)
    for source in range(num_sources):
        epochs = [int(s["mixer"]["epochs"][source]) for s in shards]
        positions = [int(s["mixer"]["positions"][source]) for s in shards]
        # (a shard that holds no document of the source is at position -1: not under way)
        under_way = [e for e, p in zip(epochs, positions) if p >= 0]
        merged["epochs"][source] = min(under_way) if under_way else old["epochs"][source]
        if not global_order[source]:
            if any(p > 0 for p in positions) or len(set(under_way)) > 1:
                log.warning("elastic resume: source %d is sharded by file, so its epoch %d "
                            "restarts on the new topology (what was read of it is read again)",
                            source, merged["epochs"][source])
            continue
        # What earlier topologies read of the epochs still under way, then this one.
        merged["layers"][source] = [
            layer for layer in old["layers"][source]
            if max((e for e, p in zip(layer[1], layer[2]) if p >= 0), default=-1)
            >= merged["epochs"][source]
        ] + [[len(shards), epochs, positions]]
    merged["pieces"] = [p for s in shards for p in _held_pieces(s) if global_order[p[0]]]
    merged["counters"] = _counters(shards)
    return merged


def _held_pieces(state: dict) -> List[list]:
    packer = state["packer"]
    return [list(piece) for row in packer["ready"] + packer["open"] for piece in row]


def _counters(shards: List[dict]) -> dict:
    total: Dict[str, int] = {}
    for state in shards:
        for name, value in state.get("counters", {}).items():
            total[name] = total.get(name, 0) + int(value)
        # skips found while reading are found again by the new shards' readers
        total["skipped"] = total.get("skipped", 0) - int(state.get("skipped_reading", 0))
    return total
