# A Hugging Face causal LM trained by transformers' Trainer on spelangy batches.
"""The dataset and the adapter are all there is to it (the `hf` extra):

    spelangy prepare mini data/mini            # or any corpus a spelangy recipe wrote
    python examples/hf_trainer.py --data data/mini --steps 100 --output-dir runs/hf
    python examples/hf_trainer.py --data data/mini --steps 200 --output-dir runs/hf --resume

`SpelangyTrainer` hands the model spelangy's targets as they are, one causal mask per
packed document, and keeps the loader state in each checkpoint, so that `--resume`
continues the stream where it stopped (under torchrun too, on any number of processes).
"""
import argparse
from pathlib import Path

from transformers import LlamaConfig, LlamaForCausalLM, TrainingArguments, set_seed

import spelangy
from spelangy.adapters.hf import SpelangyTrainer


def train(data, steps, output_dir, resume=False, seq_len=256, batch_size=4, num_workers=1,
          save_steps=50, seed=0):
    """Train until `steps` (from the last checkpoint in `output_dir` with `resume`);
    returns the Trainer's log history."""
    data = Path(data)
    args = TrainingArguments(output_dir=str(output_dir), max_steps=steps, save_steps=save_steps,
                             logging_steps=1, learning_rate=3e-3, lr_scheduler_type="constant",
                             dataloader_num_workers=num_workers, seed=seed, report_to=[],
                             disable_tqdm=True)
    dataset = spelangy.InterleavedDataset(
        sources=[spelangy.SpeechTextSource("speech", data / "cuts.jsonl.gz", weight=0.4),
                 spelangy.TextSource("text", data / "text.jsonl", weight=0.6)],
        text_tokenizer=data / "spm.model",
        packing=spelangy.PackingConfig(seq_len=seq_len, batch_size=batch_size),
        seed=seed, rank=args.process_index, world_size=args.world_size,
    )
    set_seed(seed)  # the same initial weights in every process and run
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=dataset.vocab.vocab_size, hidden_size=64, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=seq_len))
    trainer = SpelangyTrainer(model=model, args=args, train_dataset=dataset)
    trainer.train(resume_from_checkpoint=resume or None)
    return trainer.state.log_history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/mini")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--output-dir", default="runs/hf")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--num-workers", type=int, default=1)
    a = parser.parse_args(argv)
    for record in train(a.data, a.steps, a.output_dir, a.resume, a.seq_len, a.batch_size,
                        a.num_workers):
        if "loss" in record and (record["step"] % 10 == 0 or record["step"] == a.steps):
            print(f"step {record['step']}  loss {record['loss']:.4f}", flush=True)


if __name__ == "__main__":
    main()
