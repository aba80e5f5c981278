# Loader checkpoints: the per-worker states that ride on batches, gathered per rank.
from __future__ import annotations

from typing import Dict, Optional, Sequence

from .errors import SpelangyError

STATE_VERSION = 2  # 2: positions in the global order (1 had per-shard cursors)


class LoaderStateTracker:
    """Keeps the loader state of one rank from the batches the training loop has taken.

    Each batch carries its worker's state after that batch (`batch.loader_state`), so the
    tracker works with a plain `torch.utils.data.DataLoader` and any number of workers;
    batches still prefetched inside the DataLoader are not counted, which is what makes a
    resume exact:

    ```
    tracker = LoaderStateTracker()
    for batch in loader:
        tracker.update(batch)
        ...
    save(tracker.state_dict())          # per rank, with the model checkpoint
    # later: ds.load_state_dict(saved); loader = DataLoader(ds, ...); the stream continues
    ```

    After an elastic resume, the first batch of each worker also carries where the run
    started (`start`); the tracker keeps it in its state, for workers that have not
    delivered a batch yet and for the next resume. Load a tracker with the resumed
    dataset's `state_dict()` so that a checkpoint taken before the first batch keeps it too.
    """

    def __init__(self):
        self.batches = 0
        self.meta: Optional[dict] = None
        self.workers: Dict[str, dict] = {}
        self.start: Optional[dict] = None

    def update(self, batch) -> None:
        """Record the state a batch carries (`batch.loader_state`, or `batch["loader_state"]`
        for a batch turned into a dict)."""
        state = batch["loader_state"] if isinstance(batch, dict) else batch.loader_state
        if state is None:
            raise SpelangyError("this batch carries no loader_state: was it made by InterleavedDataset?")
        meta = {k: state[k] for k in ("rank", "world_size", "num_workers")}
        if state.get("start") is not None:
            if self.meta is not None and meta != self.meta:  # an elastic resume began
                self.batches, self.meta, self.workers = 0, None, {}
            self.start = state["start"]
        if self.meta is not None and meta != self.meta:
            raise SpelangyError(f"batches from two loaders reached one tracker: {self.meta} vs {meta}")
        self.meta = meta
        self.workers[str(state["worker"])] = {
            k: v for k, v in state.items()
            if k not in ("rank", "world_size", "num_workers", "worker", "start")
        }
        self.batches += 1

    def state_dict(self) -> dict:
        state = {"version": STATE_VERSION, "batches": self.batches, "workers": {}}
        if self.meta is not None:
            state.update(self.meta, workers={k: dict(v) for k, v in self.workers.items()})
        if self.start is not None:
            state["start"] = self.start
        return state

    def load_state_dict(self, state: dict) -> None:
        """Continue counting from a saved state (so that a second resume stays exact)."""
        self.batches = int(state["batches"])
        self.meta = {k: state[k] for k in ("rank", "world_size", "num_workers")} if state["workers"] else None
        self.workers = {k: dict(v) for k, v in state["workers"].items()}
        self.start = state.get("start")

    def counters(self) -> dict:
        """Per-rank totals of the workers' counters (`skipped` and `stream.COUNTERS`:
        `unsplit_turns`, `audio_chunks_as_text`, `words_outside_cut`)."""
        total: Dict[str, int] = {}
        for worker in self.workers.values():
            for name, value in worker.get("counters", {}).items():
                total[name] = total.get(name, 0) + int(value)
        return total


_META = ("rank", "world_size", "num_workers")


def worker_snapshot(loader_state: dict, start: Optional[dict]) -> dict:
    """One DataLoader worker's state after its last batch, whole (what
    `InterleavedDataset.state_dict()` returns inside a worker)."""
    return {"version": STATE_VERSION, **loader_state, "start": start}


def is_worker_snapshot(state) -> bool:
    return isinstance(state, dict) and "worker" in state


def from_loader_state(state: dict) -> dict:
    """A rank's state from what torchdata's `StatefulDataLoader.state_dict()` saved: the
    dataset's own state (no workers), or its workers' snapshots gathered as a
    `LoaderStateTracker` gathers them from batches (a worker that had not begun holds
    the rank's state it was to resume from)."""
    if "_snapshot" not in state:
        return state["dataset_state"]
    snapshots = [w.get("dataset_state") for w in
                 state["_snapshot"]["_worker_snapshots"].values()]
    begun = [s for s in snapshots if is_worker_snapshot(s)]
    waiting = [s for s in snapshots if s is not None and not is_worker_snapshot(s)]
    rank = dict(waiting[0]) if waiting else {"version": STATE_VERSION, "batches": 0, "workers": {}}
    workers = dict(rank["workers"])
    for snapshot in begun:
        rank.update({k: snapshot[k] for k in _META})
        workers[str(snapshot["worker"])] = {
            k: v for k, v in snapshot.items() if k not in (*_META, "worker", "version", "start")}
        if snapshot.get("start") is not None:
            rank["start"] = snapshot["start"]
    rank["workers"] = workers
    rank["batches"] = sum(int(w["batches"]) for w in workers.values())
    return rank


def check_version(state: dict) -> None:
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        got = state.get("version") if isinstance(state, dict) else type(state).__name__
        raise SpelangyError(f"loader state version {got} is not {STATE_VERSION}: it was "
                            f"saved by another spelangy release")


def same_topology(state: dict, world_size: int, num_workers: int) -> bool:
    """True when `state` resumes exactly as it is on this topology (a state taken before
    the first batch fits any)."""
    check_version(state)
    if not state["workers"]:
        return True
    return (state["world_size"], state["num_workers"]) == (world_size, num_workers)


def _damaged(what: str) -> SpelangyError:
    return SpelangyError(f"loader state: {what}; was it saved for these sources and settings?")


def _integers(values, what: str, count: int, least: int) -> None:
    if not isinstance(values, list) or len(values) != count or \
            not all(isinstance(v, int) and v >= least for v in values):
        raise _damaged(f"{what} must be {count} integer(s) >= {least}, got {values!r}")


def _check_pieces(pieces, domains: Sequence[int]) -> None:
    for piece in pieces:
        _integers(piece, "a piece (source, epoch, number, start, end)", 5, 0)
        source, _, number, begin, end = piece
        if not (source < len(domains) and number < domains[source] and begin < end):
            raise _damaged(f"the piece {piece} lies outside the sources")


def check_worker_state(state: dict, domains: Sequence[int]) -> None:
    """An error naming what does not fit, in a worker state for sources whose document
    numbers are below `domains`: a damaged or foreign state never indexes outside them."""
    n = len(domains)
    try:
        mixer, packer = state["mixer"], state["packer"]
        _integers(mixer["epochs"], "mixer epochs", n, 0)
        _integers(mixer["positions"], "mixer positions", n, -1)
        _integers(mixer["tokens"], "mixer token counts", n, 0)
        for rows in (packer["ready"], packer["open"]):
            for row in rows:
                _check_pieces(row, domains)
        _integers([state["batches"], *state["counters"].values(),
                   state.get("skipped_reading", 0)], "batch and counter values",
                  2 + len(state["counters"]), 0)
    except (KeyError, TypeError, AttributeError) as exc:
        raise _damaged(f"a worker state lacks {exc}") from None


def check_start(start: dict, domains: Sequence[int]) -> None:
    """The same for the start of an elastic resume (`spelangy.resharding`)."""
    n = len(domains)
    try:
        _integers(start["epochs"], "start epochs", n, 0)
        if len(start["layers"]) != n:
            raise _damaged(f"the start has layers for {len(start['layers'])} sources, not {n}")
        for layers in start["layers"]:
            for num_shards, epochs, positions in layers:
                _integers([num_shards], "a layer's shard count", 1, 1)
                _integers(epochs, "a layer's epochs", num_shards, 0)
                _integers(positions, "a layer's positions", num_shards, -1)
        _check_pieces(start["pieces"], domains)
        _integers(list(start["counters"].values()), "start counters", len(start["counters"]),
                  -(1 << 62))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _damaged(f"the start of an elastic resume is malformed ({exc})") from None
