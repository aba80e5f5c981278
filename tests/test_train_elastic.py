# `spelangy train` on a prepared corpus: stopped on two "nodes", resumed on one with three ranks.
"""The first run goes through torchrun as a two-node job would (`--nnodes 2
--nproc_per_node 1`, c10d rendezvous on localhost: two torchrun agents), the second through
`spelangy train --nproc 3 --resume`. The batches each rank trained on (their hashes in
metrics.jsonl) are those the loader gives in this process for the same settings, and those
deliver every document piece of the epoch exactly once.
"""
import itertools
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from data_utils import make_training_corpus
from spelangy import LoaderStateTracker
from spelangy.train.config import DataConfig
from spelangy.train.data import CorpusDataset
from spelangy.train.metrics import batch_fingerprint

SPELANGY = Path(sys.executable).parent / "spelangy"
DATA = dict(seq_len=48, batch_size=2, num_workers=1, num_epochs=1)
SEED = 0  # TrainConfig's default seed


def run(cmd, cwd):
    out = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS="1"), cwd=cwd,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]


def prepared_corpus(root):
    raw = make_training_corpus(root / "raw", 10, 10)
    out = root / "prepared"
    out.mkdir()
    (out / "spm.model").write_bytes((raw / "spm.model").read_bytes())
    for name, inputs in (("speech", sorted(raw.glob("*cuts*.jsonl.gz"))),
                         ("text", [raw / "text.jsonl"])):
        run([str(SPELANGY), "index", *map(str, inputs), "--output-dir", str(out / name),
             "--text-tokenizer", str(raw / "spm.model")], root)
    return out


def loader_batches(corpus, world_size, limit=None, states=None):
    """Per rank, the batches the trainer's loader yields (in this process) and its state."""
    factory = CorpusDataset(str(corpus), DataConfig(**DATA), SEED)
    batches, out = [], []
    for rank in range(world_size):
        ds = factory(rank=rank, world_size=world_size)
        if states is not None:
            ds.load_state_dict(states, reshard=True)
        tracker = LoaderStateTracker()
        tracker.load_state_dict(ds.state_dict())
        loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=1)
        got = list(itertools.islice(loader, limit))
        for batch in got:
            tracker.update(batch)
        batches.append(got)
        out.append(tracker.state_dict())
    return batches, out


def hashes(per_rank):
    return [[batch_fingerprint(np.asarray(b.tokens), b.receipts) for b in steps]
            for steps in zip(*per_rank)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_nodes_stopped_then_three_ranks_deliver_the_epoch_once(tmp_path):
    corpus = prepared_corpus(tmp_path)
    whole, _ = loader_batches(corpus, 2)
    k = len(whole[0]) // 2  # mid-epoch
    first, states = loader_batches(corpus, 2, limit=k)
    rest, _ = loader_batches(corpus, 3, states=states)
    delivered = {}
    for batch in itertools.chain.from_iterable(first + rest):
        for r in itertools.chain.from_iterable(batch.receipts):
            counts = delivered.setdefault((r.source, r.cut_id), [])
            counts.extend(range(r.start, r.end))
    factory = CorpusDataset(str(corpus), DataConfig(**DATA), SEED)
    ds = factory()
    for source in ds.sources:
        for i in range(len(source.prepared)):
            doc = source.prepared.document(i, source.name)
            name = getattr(doc, "cut_id", None) or doc.doc_id
            tokens = delivered.pop((source.name, name))
            assert sorted(tokens) == list(range(len(tokens))), name  # each token once
    assert not delivered

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"base": "tiny", "checkpoint_every": k, "log_every": 1,
                                  "seed": SEED, "data": DATA}))
    output = tmp_path / "run"
    train = ["train", "--config", str(config), "--output-dir", str(output), "--data", str(corpus)]
    port = free_port()
    nodes = [subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1",
         "--rdzv_backend", "c10d", "--rdzv_endpoint", f"127.0.0.1:{port}", "--rdzv_id", "elastic",
         str(SPELANGY), *train, "--steps", str(k)],
        env=dict(os.environ, OMP_NUM_THREADS="1"), cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    for node in nodes:
        log, _ = node.communicate(timeout=600)
        assert node.returncode == 0, log[-5000:]
    run([str(SPELANGY), *train, "--steps", str(k + len(rest[0])), "--nproc", "3", "--resume"],
        tmp_path)
    records = [json.loads(line) for line in (output / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(1, k + len(rest[0]) + 1))
    assert [r["batch_hashes"] for r in records] == hashes(first) + hashes(rest)
