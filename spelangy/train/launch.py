# Process wiring for `spelangy train`: torchrun launch, process group, corpus, Trainer.
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

from ..errors import SpelangyError

DEFAULT_DATA = "data/mini"


def under_torchrun() -> bool:
    """Whether a launcher (torchrun, or one that sets the same variables) started us."""
    return "TORCHELASTIC_RUN_ID" in os.environ or (
        "RANK" in os.environ and "WORLD_SIZE" in os.environ and "MASTER_ADDR" in os.environ)


def torchrun_command(nproc: int, args: List[str]) -> List[str]:
    """`python -m torch.distributed.run` on this machine, running `python -m spelangy.train`."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={nproc}", "-m", "spelangy.train", *args]


def ensure_corpus(data: Optional[str]) -> str:
    """The corpus directory; the default mini corpus is prepared on first use."""
    if data is not None:
        if not Path(data, "spm.model").is_file():
            raise SpelangyError(f"--data {data}: not a prepared corpus (no spm.model); prepare it "
                                f"with `spelangy prepare ...` first")
        return data
    if not Path(DEFAULT_DATA, "spm.model").is_file():
        from ..recipes.mini import prepare_mini

        print(f"[train] preparing the mini corpus in {DEFAULT_DATA} (first use)", flush=True)
        prepare_mini(DEFAULT_DATA)
    return DEFAULT_DATA


def launch(nproc: int, args: List[str]) -> int:
    """Start `nproc` training processes with torchrun and wait for them."""
    if nproc < 1:
        raise SpelangyError(f"--nproc must be at least 1, got {nproc}")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    return subprocess.call(torchrun_command(nproc, args), env=env)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_process_group() -> None:
    """Join torchrun's group, or make a group of one when started directly."""
    import torch
    import torch.distributed as dist

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    if under_torchrun():
        dist.init_process_group(backend=backend)
    else:
        # A group of one, without touching os.environ (child processes must not inherit it).
        dist.init_process_group(backend=backend, init_method=f"tcp://127.0.0.1:{_free_port()}",
                                rank=0, world_size=1)


def run(config: str, steps: int, output_dir: str, resume: bool, data: Optional[str]) -> None:
    """One training process: the body of `spelangy train` on each rank."""
    import torch.distributed as dist

    from .config import load_config
    from .data import CorpusDataset
    from .trainer import Trainer

    cfg = load_config(config)
    init_process_group()
    try:
        # Rank 0 prepares a missing default corpus while the others wait for it.
        if dist.get_rank() == 0:
            data = ensure_corpus(data)
        dist.barrier()
        data = ensure_corpus(data)
        factory = CorpusDataset(data, cfg.data, cfg.seed)
        trainer = Trainer(cfg, output_dir, steps, factory, resume=resume,
                          source_names=factory.source_names())
        trainer.train()
        dist.barrier()
    finally:
        dist.destroy_process_group()
