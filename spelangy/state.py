# Loader checkpoints: the per-worker states that ride on batches, gathered per rank.
from __future__ import annotations

from typing import Dict, Optional

from .errors import SpelangyError

STATE_VERSION = 1


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
    """

    def __init__(self):
        self.batches = 0
        self.meta: Optional[dict] = None
        self.workers: Dict[str, dict] = {}

    def update(self, batch) -> None:
        state = batch.loader_state
        if state is None:
            raise SpelangyError("this batch carries no loader_state: was it made by InterleavedDataset?")
        meta = {k: state[k] for k in ("rank", "world_size", "num_workers")}
        if self.meta is not None and meta != self.meta:
            raise SpelangyError(f"batches from two loaders reached one tracker: {self.meta} vs {meta}")
        self.meta = meta
        self.workers[str(state["worker"])] = {
            k: v for k, v in state.items() if k not in ("rank", "world_size", "num_workers", "worker")
        }
        self.batches += 1

    def state_dict(self) -> dict:
        if self.meta is None:
            return {"version": STATE_VERSION, "batches": 0, "workers": {}}
        return {"version": STATE_VERSION, **self.meta, "batches": self.batches,
                "workers": {k: dict(v) for k, v in self.workers.items()}}

    def load_state_dict(self, state: dict) -> None:
        """Continue counting from a saved state (so that a second resume stays exact)."""
        self.batches = int(state["batches"])
        self.meta = {k: state[k] for k in ("rank", "world_size", "num_workers")} if state["workers"] else None
        self.workers = {k: dict(v) for k, v in state["workers"].items()}

    def counters(self) -> dict:
        """Per-rank totals of the workers' counters (`skipped` and `stream.COUNTERS`:
        `unsplit_turns`, `audio_chunks_as_text`, `words_outside_cut`)."""
        total: Dict[str, int] = {}
        for worker in self.workers.values():
            for name, value in worker.get("counters", {}).items():
                total[name] = total.get(name, 0) + int(value)
        return total


def check_topology(state: dict, world_size: int, num_workers: int, reshard: bool) -> bool:
    """True when `state` can be resumed exactly; False when it must be resharded."""
    if state.get("version") != STATE_VERSION:
        raise SpelangyError(f"loader state version {state.get('version')} is not {STATE_VERSION}")
    if not state["workers"]:
        return True  # taken before the first batch: nothing to restore
    same = state["world_size"] == world_size and state["num_workers"] == num_workers
    if same:
        return True
    if not reshard:
        raise SpelangyError(
            f"loader state was saved with world_size={state['world_size']} and "
            f"num_workers={state['num_workers']}, but this loader runs with world_size="
            f"{world_size} and num_workers={num_workers}; call load_state_dict(state, "
            f"reshard=True) to restart the recorded epoch on the new topology"
        )
    return False


def reshard_worker_state(state: dict, num_sources: int) -> Optional[dict]:
    """A fresh worker state at the start of the earliest epoch any old worker was in."""
    epochs = [min(w["mixer"]["epochs"][s] for w in state["workers"].values())
              for s in range(num_sources)]
    return {
        "batches": 0,
        "mixer": {"epochs": epochs, "cursors": [0] * num_sources, "tokens": [0] * num_sources},
        "packer": {"ready": [], "open": []},
        "counters": {"skipped": 0},  # the stream's own counters start at 0 when absent
    }
