# The Trainer in one process: checkpoint guards, metrics records, loss masking, configs.
import json

import numpy as np
import pytest
import torch
import torch.distributed as dist

from fake_sources import FakeTokenizer, speech_source, text_source
from spelangy import IGNORE_INDEX, InterleavedDataset, Modality, PackingConfig, SpelangyError
from spelangy.train.checkpoint import Checkpointer
from spelangy.train.config import TrainConfig, load_config
from spelangy.train.loss import lm_loss, target_modality
from spelangy.train.model import SpeechTextLM


class Corpus:
    def __init__(self, seed, loss_on="all"):
        rng = np.random.default_rng(seed)
        self.sources = [speech_source(rng, "speech", n=8, weight=0.4),
                        text_source(rng, "text", n=8, weight=0.6)]
        self.seed, self.loss_on = seed, loss_on

    def __call__(self, rank=0, world_size=1, output="packed"):
        return InterleavedDataset(self.sources, text_tokenizer=FakeTokenizer(),
                                  packing=PackingConfig(seq_len=32, batch_size=2),
                                  loss_on=self.loss_on, seed=self.seed, rank=rank,
                                  world_size=world_size, output=output)


@pytest.fixture
def group():
    from spelangy.train.launch import init_process_group

    init_process_group()
    yield
    dist.destroy_process_group()


def small_config():
    cfg = load_config("tiny")
    cfg.data.num_workers = 0
    cfg.checkpoint_every, cfg.log_every = 2, 1
    return cfg


def test_trainer_logs_every_step_and_guards_its_checkpoints(tmp_path, group, capsys, rng):
    from spelangy.train.trainer import Trainer

    corpus = Corpus(int(rng.integers(1 << 30)))
    records = Trainer(small_config(), tmp_path, 3, corpus).train()
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines == records and [r["step"] for r in lines] == [1, 2, 3]
    for r in lines:
        assert set(r) >= {"step", "loss", "loss_text", "loss_audio", "loss_special",
                          "tokens_per_s", "data_wait_share", "source_shares"}
        assert 0.0 <= r["data_wait_share"] <= 1.0 and r["tokens_per_s"] > 0
        assert sum(r["source_shares"].values()) == pytest.approx(1.0)
    assert "step     3  loss" in capsys.readouterr().out
    assert Checkpointer(tmp_path, 0, 1).steps() == [2, 3]
    assert TrainConfig.from_dict(json.loads((tmp_path / "config.json").read_text())) == small_config()

    with pytest.raises(SpelangyError, match="already holds checkpoints: pass --resume"):
        Trainer(small_config(), tmp_path, 5, corpus)
    resumed = Trainer(small_config(), tmp_path, 3, corpus, resume=True)
    assert resumed.start_step == 3 and resumed.train() == []

    # Another data-parallel size reads the loader states of every saved rank (for an
    # elastic resume).
    trainer = Trainer(small_config(), tmp_path, 5, corpus, resume=True)
    states, _ = Checkpointer(tmp_path, 1, 2).load(3, trainer.model, trainer.optimizer,
                                                  trainer.scheduler, {})
    assert [(s["rank"], s["world_size"]) for s in states] == [(0, 1)]


def test_resume_without_checkpoint_starts_from_zero(tmp_path, group, capsys):
    from spelangy.train.trainer import Trainer

    trainer = Trainer(small_config(), tmp_path, 1, Corpus(0), resume=True)
    assert trainer.start_step == 0
    assert "no checkpoint under" in capsys.readouterr().out


def test_loss_on_text_gives_no_gradient_from_audio_targets(rng):
    seed = int(rng.integers(1 << 30))
    text_only = next(iter(Corpus(seed, "text")()))
    everything = next(iter(Corpus(seed, "all")()))
    assert torch.equal(text_only.tokens, everything.tokens)
    ds = Corpus(seed)()
    audio = target_modality(everything.labels, ds.vocab) == int(Modality.AUDIO)
    assert audio.any()
    # The loader masked exactly the audio targets.
    assert torch.equal(text_only.labels, everything.labels.masked_fill(audio, IGNORE_INDEX))

    torch.manual_seed(seed)
    model = SpeechTextLM(small_config().model, ds.vocab)
    logits = model(text_only.tokens, text_only.position_ids)
    logits.retain_grad()
    parts = lm_loss(logits, text_only.labels, ds.vocab)
    parts.loss.backward()
    assert parts.counts[1].item() == 0  # no audio target counted
    per_position = logits.grad.abs().sum(-1)
    assert (per_position[audio] == 0).all()
    assert (per_position[text_only.labels != IGNORE_INDEX] > 0).all()

    # Unmasked, the audio targets change the update: the zero gradients above come from the
    # loader's masking, not from a loss that never reads those targets.
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    unmasked = text_only.labels.clone()
    unmasked[audio] = ds.vocab.speech_offset
    lm_loss(model(text_only.tokens, text_only.position_ids), unmasked, ds.vocab).loss.backward()
    assert any(not torch.equal(a, p.grad) for a, p in zip(grads, model.parameters()))


def test_named_configs_and_config_files(tmp_path):
    assert load_config("tiny").model.n_layers == 2
    big = load_config("100m")
    vocab_params = 2 * 10_000 * big.model.dim
    blocks = big.model.n_layers * (4 * big.model.dim ** 2 + 3 * big.model.dim * big.model.ffn_hidden)
    assert 90e6 < vocab_params + blocks < 130e6

    path = tmp_path / "run.toml"
    path.write_text('base = "tiny"\nseed = 7\n[data]\nloss_on = "text"\nseq_len = 512\n')
    cfg = load_config(str(path))
    assert (cfg.seed, cfg.data.loss_on, cfg.data.seq_len, cfg.data.batch_size) == (7, "text", 512, 4)
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg

    path.write_text('base = "tiny"\n[data]\nloss_on = "speech"\n')
    with pytest.raises(SpelangyError, match="loss_on must be one of"):
        load_config(str(path))
    path.write_text('[model]\nwidth = 3\n')
    with pytest.raises(SpelangyError, match=r"ModelConfig: unknown settings \['width'\]"):
        load_config(str(path))
    with pytest.raises(SpelangyError, match="neither a named config"):
        load_config("huge")


def test_train_command_names_what_is_wrong(tmp_path):
    from click.testing import CliRunner

    from spelangy.cli import main

    runner = CliRunner()
    out = runner.invoke(main, ["train", "--steps", "1", "--output-dir", str(tmp_path / "o"),
                               "--data", str(tmp_path), "--nproc", "2"])
    assert out.exit_code == 1 and f"--data {tmp_path}: not a prepared corpus" in out.output
    out = runner.invoke(main, ["train", "--config", "huge", "--steps", "1",
                               "--output-dir", str(tmp_path / "o")])
    assert out.exit_code == 1 and "'huge' is neither a named config" in out.output


def test_corpus_sources_and_token_weights(tmp_path):
    from spelangy.train.config import DataConfig
    from spelangy.train.data import discover, source_weights

    for name in ("spm.model", "real_cuts.jsonl.gz", "synthetic_cuts.jsonl.gz", "web.jsonl",
                 "spm.vocab", "speech_tokenizer.npz"):
        (tmp_path / name).write_bytes(b"")
    spm, speech, text = discover(tmp_path)
    assert spm == tmp_path / "spm.model"
    assert [n for n, _ in speech] == ["real", "synthetic"] and [n for n, _ in text] == ["web"]

    equal = source_weights(DataConfig(), ["real", "synthetic"], ["web"])
    assert equal == pytest.approx({"real": 0.2, "synthetic": 0.2, "web": 0.6})
    weighted = source_weights(DataConfig(text_weight=0.5, speech_weights={"real": 3, "synthetic": 1}),
                              ["real", "synthetic"], ["web"])
    assert weighted == pytest.approx({"real": 0.375, "synthetic": 0.125, "web": 0.5})
    assert source_weights(DataConfig(), ["real"], []) == {"real": 1.0}
    with pytest.raises(SpelangyError, match=r"speech_weights names \['librispeech'\]"):
        source_weights(DataConfig(speech_weights={"librispeech": 1}), ["real"], ["web"])
    (tmp_path / "spm.model").unlink()
    with pytest.raises(SpelangyError, match="no SentencePiece model spm.model"):
        discover(tmp_path)
