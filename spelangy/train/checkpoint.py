# Checkpoints with torch.distributed.checkpoint: model, optimizer, LR schedule, loader state.
from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Optional

import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

from ..errors import SpelangyError

_PREFIX = "step_"


class Checkpointer:
    """Saves and restores one run's state under `OUTPUT_DIR/checkpoints/step_N/`.

    Model and optimizer are sharded (FSDP2 DTensors, written by their owners; DCP reshards
    them for another world size). The loader state differs per data-parallel rank, so each
    rank writes its own key `loader/dp_rank_R`, as torchtitan does, and the data-parallel
    world size is saved beside it. On load every rank reads the loader states of all saved
    ranks: on the same topology the dataset takes its own and continues exactly; on
    another, it continues the epoch elastically (`InterleavedDataset.load_state_dict`).
    A checkpoint is written under a temporary name and renamed once complete, so a run
    killed while saving resumes from the previous one.
    """

    def __init__(self, output_dir: Path, dp_rank: int, dp_world_size: int, keep_last: int = 2):
        self.root = Path(output_dir) / "checkpoints"
        self.dp_rank = dp_rank
        self.dp_world_size = dp_world_size
        self.keep_last = keep_last

    def steps(self) -> list:
        if not self.root.is_dir():
            return []
        found = []
        for p in self.root.iterdir():
            if p.name.startswith(_PREFIX) and p.name[len(_PREFIX):].isdigit():
                found.append(int(p.name[len(_PREFIX):]))
        return sorted(found)

    def latest(self) -> Optional[int]:
        steps = self.steps()
        return steps[-1] if steps else None

    def path(self, step: int) -> Path:
        return self.root / f"{_PREFIX}{step}"

    def _key(self) -> str:
        return f"dp_rank_{self.dp_rank}"

    def save(self, step: int, model, optimizer, scheduler, loader_state: dict, extra: dict) -> Path:
        """Save everything at `step`; `extra` is replicated trainer state (same on all ranks)."""
        model_sd, optim_sd = get_state_dict(model, optimizer)
        state = {
            "model": model_sd,
            "optim": optim_sd,
            "lr_schedule": scheduler.state_dict(),
            "trainer": {"step": step, "dp_world_size": self.dp_world_size, **extra},
            "loader": {self._key(): pickle.dumps(loader_state)},
        }
        final = self.path(step)
        tmp = final.with_name(final.name + ".tmp")
        if dist.get_rank() == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        dist.barrier()
        dcp.save(state, checkpoint_id=str(tmp))
        dist.barrier()
        if dist.get_rank() == 0:
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
            for old in self.steps()[:-self.keep_last] if self.keep_last else []:
                shutil.rmtree(self.path(old), ignore_errors=True)
        dist.barrier()
        return final

    def load(self, step: int, model, optimizer, scheduler, extra: dict) -> tuple:
        """Restore model, optimizer and schedule in place; return (loader_states, extra):
        the loader state of every saved data-parallel rank, and the saved values of the keys
        of the `extra` template."""
        path = self.path(step)
        saved_world = _saved_world_size(path)
        if saved_world is None:
            raise SpelangyError(f"checkpoint {path} cannot be read: no loader state in it")
        small = {
            "trainer": {"step": 0, "dp_world_size": 0, **extra},
            "loader": {f"dp_rank_{r}": b"" for r in range(saved_world)},
        }
        try:
            dcp.load(small, checkpoint_id=str(path))
        except Exception as e:
            raise SpelangyError(f"checkpoint {path} cannot be read: {e}") from e
        model_sd, optim_sd = get_state_dict(model, optimizer)
        state = {"model": model_sd, "optim": optim_sd, "lr_schedule": scheduler.state_dict()}
        dcp.load(state, checkpoint_id=str(path))
        set_state_dict(model, optimizer, model_state_dict=state["model"],
                       optim_state_dict=state["optim"])
        scheduler.load_state_dict(state["lr_schedule"])
        trainer = small["trainer"]
        states = [pickle.loads(small["loader"][f"dp_rank_{r}"]) for r in range(saved_world)]
        return states, {k: trainer[k] for k in extra}


def _saved_world_size(path: Path) -> Optional[int]:
    try:
        reader = dcp.FileSystemReader(str(path))
        meta = reader.read_metadata()
    except Exception:
        return None
    ranks = [k for k in meta.state_dict_metadata if k.startswith("loader.dp_rank_")]
    return len(ranks) or None
