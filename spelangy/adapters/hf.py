# spelangy batches for Hugging Face causal LMs and their Trainer, with nothing to fix by hand.
"""Three things go silently wrong when a `PackedBatch` is handed to a Hugging Face causal LM
as `input_ids` and `labels`, and `hf_inputs` sets each right:

- spelangy's `labels` are already the next token; given as `labels`, the model shifts them
  once more. They go as `shift_labels` (the targets as they are), `labels` only asking
  for the loss.
- documents packed in one row must not attend to each other. The model builds one causal
  mask per document from `position_ids`, which restart at every document piece, but only
  without a cache: `use_cache=False`.
- `Trainer` drops batch keys its model's `forward` does not name (`shift_labels`);
  `SpelangyTrainer` feeds the model itself.

```python
from spelangy.adapters.hf import SpelangyTrainer

trainer = SpelangyTrainer(model=model, args=TrainingArguments(..., max_steps=N),
                          train_dataset=dataset)   # an InterleavedDataset
trainer.train()                                    # or train(resume_from_checkpoint=True)
```
"""
from __future__ import annotations

import glob
import os

import torch
from transformers import Trainer, TrainerCallback
from transformers.trainer_utils import get_last_checkpoint

from ..batch import PackedBatch
from ..errors import SpelangyError
from ..state import LoaderStateTracker

_STATE_FILE = "spelangy_loader_rank{rank}.pt"


def hf_inputs(batch: PackedBatch) -> dict:
    """`batch` as the keyword arguments of a Hugging Face causal LM:
    `model(**hf_inputs(batch)).loss` is the mean loss over spelangy's targets, each
    document attending only to itself."""
    return {"input_ids": batch.tokens, "position_ids": batch.position_ids,
            "labels": batch.labels, "shift_labels": batch.labels, "use_cache": False}


def _with_state(batch: PackedBatch) -> dict:
    """`hf_inputs` and the producing worker's state (runs in the DataLoader worker)."""
    return {**hf_inputs(batch), "loader_state": batch.loader_state}


class SpelangyTrainer(Trainer):
    """`transformers.Trainer` over an `InterleavedDataset` (`train_dataset`): one spelangy
    batch per step and rank (`PackingConfig.batch_size` rows; the Trainer's batch size is
    not used), `args.max_steps` steps. Its checkpoints hold each rank's loader state, so
    `train(resume_from_checkpoint=...)` continues the stream where it stopped instead of
    replaying it: exactly on the same number of processes, elastically on another (the
    dataset must be made with `rank=args.process_index, world_size=args.world_size`).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dataset = self.train_dataset
        if (dataset.rank, dataset.world_size) != (self.args.process_index, self.args.world_size):
            raise SpelangyError(
                f"SpelangyTrainer: the dataset is rank {dataset.rank} of {dataset.world_size}, "
                f"the Trainer's process {self.args.process_index} of {self.args.world_size}; "
                f"make it with rank=args.process_index, world_size=args.world_size")
        self.loader_tracker = LoaderStateTracker()
        self.add_callback(_SaveLoaderState(self))

    def get_train_dataloader(self):
        # Each rank reads its own shard already: no sampler, no accelerate sharding.
        return torch.utils.data.DataLoader(
            self.train_dataset, batch_size=None, collate_fn=_with_state,
            num_workers=self.args.dataloader_num_workers,
            pin_memory=self.args.dataloader_pin_memory and torch.cuda.is_available())

    def training_step(self, model, inputs, num_items_in_batch=None):
        self.loader_tracker.update({"loader_state": inputs.pop("loader_state")})
        return super().training_step(model, inputs, num_items_in_batch)

    def train(self, resume_from_checkpoint=None, **kwargs):
        if resume_from_checkpoint is True:
            resume_from_checkpoint = get_last_checkpoint(self.args.output_dir)
        if resume_from_checkpoint:
            files = sorted(glob.glob(os.path.join(resume_from_checkpoint,
                                                  _STATE_FILE.format(rank="*"))))
            if not files:
                raise SpelangyError(f"{resume_from_checkpoint} holds no spelangy loader state "
                                    f"({_STATE_FILE.format(rank='R')})")
            states = [torch.load(f, weights_only=False) for f in files]
            self.train_dataset.load_state_dict(states, reshard=True)
            self.loader_tracker.load_state_dict(self.train_dataset.state_dict())
            self.args.ignore_data_skip = True  # the loader resumes itself: no replay
        return super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)


class _SaveLoaderState(TrainerCallback):
    def __init__(self, trainer: SpelangyTrainer):
        self.trainer = trainer

    def on_save(self, args, state, control, **kwargs):
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        os.makedirs(folder, exist_ok=True)
        torch.save(self.trainer.loader_tracker.state_dict(),
                   os.path.join(folder, _STATE_FILE.format(rank=args.process_index)))
