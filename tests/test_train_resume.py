# Exact resume under torchrun on CPU: first_k + resumed rest == the uninterrupted run.
"""Run as a test, this file launches itself under `torchrun --nproc_per_node=2` (gloo):

    python -m torch.distributed.run --nproc_per_node=2 tests/test_train_resume.py \
        CONFIG OUTPUT_DIR STEPS SEED [--resume]

trains the Trainer on in-memory sources drawn from SEED, and leaves metrics.jsonl (losses,
per-rank batch hashes) and checkpoints in OUTPUT_DIR for the test to compare.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent


class FakeCorpus:
    """A dataset factory over in-memory documents, the same on every rank and run."""

    def __init__(self, seed, data):
        from fake_sources import speech_source, text_source

        rng = np.random.default_rng(seed)
        self.sources = [speech_source(rng, "speech", n=24, weight=0.4),
                        text_source(rng, "text", n=24, weight=0.6)]
        self.data, self.seed = data, seed

    def __call__(self, rank, world_size, output):
        from fake_sources import FakeTokenizer

        import spelangy

        return spelangy.InterleavedDataset(
            self.sources, text_tokenizer=FakeTokenizer(),
            packing=spelangy.PackingConfig(seq_len=self.data.seq_len, batch_size=self.data.batch_size),
            loss_on=self.data.loss_on, seed=self.seed, rank=rank, world_size=world_size, output=output)


def _main(config, output_dir, steps, seed, resume):
    import torch.distributed as dist

    from spelangy.train.config import load_config
    from spelangy.train.launch import init_process_group
    from spelangy.train.trainer import Trainer

    cfg = load_config(config)
    init_process_group()
    try:
        Trainer(cfg, output_dir, steps, FakeCorpus(seed, cfg.data), resume=resume).train()
        dist.barrier()
    finally:
        dist.destroy_process_group()


def torchrun(tmp_path, *args, nproc=2):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(HERE))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={nproc}", str(Path(__file__)), *map(str, args)]
    out = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]
    return out.stdout


def read_metrics(output_dir):
    return [json.loads(line) for line in (Path(output_dir) / "metrics.jsonl").read_text().splitlines()]


def write_config(tmp_path, **data):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({
        "base": "tiny", "checkpoint_every": 3, "log_every": 1,
        # A fixed decay length keeps the LR schedule the same whatever --steps says.
        "optim": {"warmup_steps": 2, "decay_steps": 10},
        "data": {"seq_len": 48, "batch_size": 2, "num_workers": 1, **data},
    }))
    return path


COMPARED = ("step", "loss", "loss_text", "loss_audio", "loss_special", "lr", "source_shares",
            "batch_hashes")


def test_stop_and_resume_matches_uninterrupted_run_exactly(tmp_path):
    seed = int(np.random.default_rng().integers(1 << 30))
    config = write_config(tmp_path)
    torchrun(tmp_path, config, tmp_path / "whole", 6, seed)
    torchrun(tmp_path, config, tmp_path / "split", 3, seed)
    log = torchrun(tmp_path, config, tmp_path / "split", 6, seed, "--resume")
    assert "resumed from" in log and "at step 3" in log

    whole, split = read_metrics(tmp_path / "whole"), read_metrics(tmp_path / "split")
    assert [r["step"] for r in whole] == [1, 2, 3, 4, 5, 6]
    assert [r["step"] for r in split] == [1, 2, 3, 4, 5, 6]
    for a, b in zip(whole, split):
        assert {k: a[k] for k in COMPARED} == {k: b[k] for k in COMPARED}
    # Both ranks trained on their own batches, and every step on new ones.
    hashes = [h for r in whole for h in r["batch_hashes"]]
    assert all(len(r["batch_hashes"]) == 2 for r in whole)
    assert len(set(hashes)) == len(hashes)
    assert {"speech", "text"} == set(whole[-1]["source_shares"])
    assert (tmp_path / "split" / "checkpoints" / "step_6").is_dir()


def test_resume_refuses_another_world_size(tmp_path):
    seed = int(np.random.default_rng().integers(1 << 30))
    config = write_config(tmp_path)
    torchrun(tmp_path, config, tmp_path / "run", 3, seed)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(HERE))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
           str(Path(__file__)), str(config), str(tmp_path / "run"), "6", str(seed), "--resume"]
    out = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "written by 2 data-parallel ranks, this run has 1" in out.stdout + out.stderr


if __name__ == "__main__":
    cfg_path, out_dir, n_steps, data_seed = sys.argv[1:5]
    _main(cfg_path, out_dir, int(n_steps), int(data_seed), "--resume" in sys.argv[5:])
