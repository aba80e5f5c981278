# The spelangy loader inside PyTorch Lightning (pip install "spelangy[lightning]").
"""Lightning runs the loop; spelangy feeds it and rides along in Lightning's checkpoints:

    python examples/lightning_loop.py --data data/mini --steps 100 --output-dir runs/pl
    python examples/lightning_loop.py --data data/mini --steps 200 --output-dir runs/pl \\
        --resume runs/pl/last.ckpt

Three hooks make the loader a good citizen of another trainer:

- `train_dataloader` builds the dataset for this process's rank and world size (Lightning's
  DDP/FSDP strategies set them) and returns a plain `DataLoader(batch_size=None)`;
- `transfer_batch_to_device` moves a `PackedBatch` (Lightning does not know the type);
- `on_train_batch_start` feeds a `LoaderStateTracker`, and `on_save_checkpoint` /
  `on_load_checkpoint` store its state in the checkpoint, one entry per rank, so a resumed
  fit continues with exactly the batches an uninterrupted one would have seen.
"""
import argparse
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F

import spelangy
from spelangy.train.config import ModelConfig
from spelangy.train.model import SpeechTextLM


class SpeechTextModule(L.LightningModule):
    def __init__(self, data: str, seq_len: int = 256, batch_size: int = 4, num_workers: int = 1,
                 loss_on: str = "all", seed: int = 0, lr: float = 3e-3):
        super().__init__()
        self.save_hyperparameters()
        self.data = Path(data)
        # The vocabulary is known from the SentencePiece model and the cuts, before any batch.
        self.vocab = self._dataset(rank=0, world_size=1).vocab
        torch.manual_seed(seed)
        self.model = SpeechTextLM(ModelConfig(dim=64, n_layers=2, n_heads=4), self.vocab)
        self.tracker = spelangy.LoaderStateTracker()
        self._resume_state = None

    def _dataset(self, rank: int, world_size: int):
        h = self.hparams
        return spelangy.InterleavedDataset(
            sources=[spelangy.SpeechTextSource("speech", self.data / "cuts.jsonl.gz", weight=0.4),
                     spelangy.TextSource("text", self.data / "text.jsonl", weight=0.6)],
            text_tokenizer=self.data / "spm.model",
            packing=spelangy.PackingConfig(seq_len=h.seq_len, batch_size=h.batch_size),
            loss_on=h.loss_on, seed=h.seed, rank=rank, world_size=world_size,
        )

    def train_dataloader(self):
        dataset = self._dataset(self.global_rank, self.trainer.world_size)
        if self._resume_state is not None:
            dataset.load_state_dict(self._resume_state)
            self.tracker.load_state_dict(self._resume_state)
        return torch.utils.data.DataLoader(dataset, batch_size=None,
                                           num_workers=self.hparams.num_workers)

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        return batch.to(device)

    def on_train_batch_start(self, batch, batch_idx):
        self.tracker.update(batch)

    def training_step(self, batch, batch_idx):
        logits = self.model(batch.tokens, batch.position_ids)
        loss = F.cross_entropy(logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100)
        self.log("loss", loss, prog_bar=True, batch_size=batch.batch_size)
        return loss

    def configure_optimizers(self):
        return torch.optim.AdamW(self.model.parameters(), lr=self.hparams.lr)

    def on_save_checkpoint(self, checkpoint):
        # Gather every rank's loader state: Lightning writes the checkpoint from rank 0.
        states = [self.tracker.state_dict()]
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            states = [None] * torch.distributed.get_world_size()
            torch.distributed.all_gather_object(states, self.tracker.state_dict())
        checkpoint["spelangy_loader"] = states

    def on_load_checkpoint(self, checkpoint):
        self._resume_state = checkpoint["spelangy_loader"][self.global_rank]


class LossHistory(L.Callback):
    """Keeps every step's loss (for the test and for a quick look after `fit`)."""

    def __init__(self):
        self.losses = []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.losses.append(float(outputs["loss"]))


def fit(data, steps, output_dir, resume=None, **module_args):
    """Fit until `steps`, save `output_dir/last.ckpt`, and return the losses of this fit."""
    module = SpeechTextModule(str(data), **module_args)
    history = LossHistory()
    trainer = L.Trainer(
        max_steps=steps, accelerator="auto", devices=1, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        callbacks=[history], default_root_dir=output_dir, deterministic=True,
    )
    trainer.fit(module, ckpt_path=resume)
    trainer.save_checkpoint(Path(output_dir) / "last.ckpt")
    return history.losses


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="data/mini", help="a prepared corpus directory")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--output-dir", default="runs/lightning")
    p.add_argument("--resume", default=None, help="a checkpoint written by this script")
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--loss-on", default="all", choices=["all", "text", "audio"])
    a = p.parse_args(argv)
    losses = fit(a.data, a.steps, a.output_dir, a.resume, seq_len=a.seq_len,
                 batch_size=a.batch_size, loss_on=a.loss_on)
    if losses:
        print(f"steps run: {len(losses)}  first loss {losses[0]:.4f}  last loss {losses[-1]:.4f}")


if __name__ == "__main__":
    main()
