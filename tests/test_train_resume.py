# Exact resume under torchrun on CPU: first_k + resumed rest == the uninterrupted run.
"""Every run goes through the command line (`spelangy train --nproc 2`, which launches
torchrun itself: two processes, gloo) on a small real corpus: Lhotse cuts with speech
tokens, a text JSONL and a SentencePiece model, the layout every spelangy recipe writes.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from data_utils import make_training_corpus

SPELANGY = Path(sys.executable).parent / "spelangy"
COMPARED = ("step", "loss", "loss_text", "loss_audio", "loss_special", "lr", "source_shares",
            "batch_hashes")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_training_corpus(tmp_path_factory.mktemp("corpus"), 8, 12)


def train(tmp_path, config, output_dir, steps, corpus, *extra, nproc=2):
    cmd = [str(SPELANGY), "train", "--config", str(config), "--steps", str(steps),
           "--output-dir", str(output_dir), "--data", str(corpus), "--nproc", str(nproc), *extra]
    out = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS="1"), cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
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


def assert_same_steps(whole, resumed, steps):
    assert [r["step"] for r in resumed] == steps
    by_step = {r["step"]: r for r in whole}
    for b in resumed:
        a = by_step[b["step"]]
        assert {k: a[k] for k in COMPARED} == {k: b[k] for k in COMPARED}


def test_resume_matches_uninterrupted_run_exactly(tmp_path, corpus):
    config = write_config(tmp_path)
    log = train(tmp_path, config, tmp_path / "whole", 6, corpus)
    assert "2 rank(s) on cpu" in log and "step     6  loss" in log
    whole = read_metrics(tmp_path / "whole")
    assert [r["step"] for r in whole] == [1, 2, 3, 4, 5, 6]
    # Both ranks trained on their own batches, and every step on new ones.
    hashes = [h for r in whole for h in r["batch_hashes"]]
    assert all(len(r["batch_hashes"]) == 2 for r in whole)
    assert len(set(hashes)) == len(hashes)
    assert set(whole[-1]["source_shares"]) == {"speech", "text"}

    # A new run that finds only the step-3 checkpoint is the restart of a run killed there.
    resumed = tmp_path / "resumed"
    shutil.copytree(tmp_path / "whole" / "checkpoints" / "step_3", resumed / "checkpoints" / "step_3")
    log = train(tmp_path, config, resumed, 6, corpus, "--resume")
    assert "at step 3" in log
    assert_same_steps(whole, read_metrics(resumed), [4, 5, 6])


@pytest.mark.slow
def test_stop_then_resume_twice_matches_uninterrupted_run_exactly(tmp_path, corpus):
    config = write_config(tmp_path, loss_on="text")
    train(tmp_path, config, tmp_path / "whole", 8, corpus)
    train(tmp_path, config, tmp_path / "split", 3, corpus)
    train(tmp_path, config, tmp_path / "split", 5, corpus, "--resume")
    train(tmp_path, config, tmp_path / "split", 8, corpus, "--resume")
    whole = read_metrics(tmp_path / "whole")
    assert_same_steps(whole, read_metrics(tmp_path / "split"), list(range(1, 9)))
    assert all(r["loss_audio"] is None for r in whole)
    assert any(r["loss_text"] is not None for r in whole)
