# The spelangy loader in a plain PyTorch training loop: one process, no spelangy trainer.
"""Train a small LM on a prepared corpus with nothing but a DataLoader and an optimizer,
and checkpoint the loader state beside the model so that a restart continues the stream:

    spelangy prepare mini data/mini            # or any corpus a spelangy recipe wrote
    python examples/plain_loop.py --data data/mini --steps 100 --checkpoint run.pt
    python examples/plain_loop.py --data data/mini --steps 200 --checkpoint run.pt  # resumes

What a loop needs from spelangy is three things: the dataset, its `vocab` (to size the
embedding), and a `LoaderStateTracker` fed with each batch for resuming. Any model that
takes token ids works; the one here restarts attention at every packed document.
"""
import argparse
import os
from pathlib import Path

import torch
import torch.nn.functional as F

import spelangy
from spelangy.train.config import ModelConfig
from spelangy.train.model import SpeechTextLM


def make_dataset(data: Path, seq_len: int, batch_size: int, loss_on: str, seed: int):
    return spelangy.InterleavedDataset(
        sources=[
            # Token weights as the paper mixed them: 40% speech-text, 60% text-only.
            spelangy.SpeechTextSource("speech", data / "cuts.jsonl.gz", weight=0.4),
            spelangy.TextSource("text", data / "text.jsonl", weight=0.6),
        ],
        text_tokenizer=data / "spm.model",
        chunking=spelangy.ChunkingConfig(mode="fine"),
        sampling=spelangy.SamplingConfig(mode="deterministic"),
        packing=spelangy.PackingConfig(seq_len=seq_len, batch_size=batch_size),
        loss_on=loss_on,
        seed=seed,
    )


def train(data, steps, checkpoint=None, seq_len=256, batch_size=4, num_workers=1,
          loss_on="all", seed=0, lr=3e-3):
    """Train until `steps`; with `checkpoint`, resume from it if it exists and save to it at
    the end. Returns the losses of the steps run here."""
    data = Path(data)
    dataset = make_dataset(data, seq_len, batch_size, loss_on, seed)
    torch.manual_seed(seed)
    model = SpeechTextLM(ModelConfig(dim=64, n_layers=2, n_heads=4), dataset.vocab)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    tracker = spelangy.LoaderStateTracker()
    step = 0
    if checkpoint and os.path.exists(checkpoint):
        saved = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        dataset.load_state_dict(saved["loader"])  # before the DataLoader is made
        tracker.load_state_dict(saved["loader"])
        step = saved["step"]

    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=num_workers)
    losses = []
    for batch in loader:
        if step >= steps:
            break
        tracker.update(batch)
        logits = model(batch.tokens, batch.position_ids)
        # Labels are already shifted and carry -100 at document ends, padding and masked loss.
        loss = F.cross_entropy(logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        step += 1
        losses.append(loss.item())
        if step % 10 == 0 or step == steps:
            print(f"step {step}  loss {loss.item():.4f}", flush=True)

    if checkpoint:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "loader": tracker.state_dict(), "step": step}, checkpoint)
    return losses


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="data/mini", help="a prepared corpus directory")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--checkpoint", default=None, help="resume from and save to this file")
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--num-workers", type=int, default=1)
    p.add_argument("--loss-on", default="all", choices=["all", "text", "audio"])
    a = p.parse_args(argv)
    train(a.data, a.steps, a.checkpoint, a.seq_len, a.batch_size, a.num_workers, a.loss_on)


if __name__ == "__main__":
    main()
