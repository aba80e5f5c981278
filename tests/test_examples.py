# The examples run: the loader in a plain PyTorch loop, PyTorch Lightning and Hugging Face's
# Trainer, with resume (torchtitan's example: tests/test_trainer_adapters.py).
import importlib.util
import warnings
from pathlib import Path

import pytest

from data_utils import make_training_corpus

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_training_corpus(tmp_path_factory.mktemp("corpus"), 6, 10)


def test_plain_loop_trains_and_resumes_exactly(corpus, tmp_path):
    plain = load_example("plain_loop")
    settings = dict(seq_len=64, batch_size=2, num_workers=1)
    whole = plain.train(corpus, 6, tmp_path / "whole.pt", **settings)
    first = plain.train(corpus, 3, tmp_path / "split.pt", **settings)
    rest = plain.train(corpus, 6, tmp_path / "split.pt", **settings)
    assert len(whole) == 6 and first + rest == whole


def test_plain_loop_command_line(corpus, tmp_path, capsys):
    plain = load_example("plain_loop")
    plain.main(["--data", str(corpus), "--steps", "2", "--seq-len", "32", "--batch-size", "1",
                "--num-workers", "0", "--loss-on", "text"])
    assert "step 2  loss" in capsys.readouterr().out


def test_lightning_loop_trains_and_resumes_exactly(corpus, tmp_path):
    pytest.importorskip("lightning", reason="the optional extra spelangy[lightning]")
    with warnings.catch_warnings():
        # Lightning's advice on CPU runs (worker counts, logging intervals) and its use of
        # torch APIs that torch deprecates are not failures of the loader.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        pl = load_example("lightning_loop")
        settings = dict(seq_len=64, batch_size=2, num_workers=0)
        whole = pl.fit(corpus, 6, tmp_path / "whole", **settings)
        first = pl.fit(corpus, 3, tmp_path / "split", **settings)
        rest = pl.fit(corpus, 6, tmp_path / "split2", tmp_path / "split" / "last.ckpt", **settings)
    assert len(whole) == 6 and len(first) == 3 and len(rest) == 3
    assert first + rest == whole


def test_hf_trainer_trains_and_resumes_exactly(corpus, tmp_path):
    pytest.importorskip("transformers", reason="the optional extra spelangy[hf]")
    hf = load_example("hf_trainer")
    settings = dict(seq_len=64, batch_size=2, num_workers=1, save_steps=2)

    def losses(history):
        return [(h["step"], h["loss"]) for h in history if "loss" in h]

    whole = losses(hf.train(corpus, 4, tmp_path / "whole", **settings))
    assert [step for step, _ in whole] == [1, 2, 3, 4]
    hf.train(corpus, 2, tmp_path / "split", **settings)
    # Steps 1-2 come back with the checkpoint's history, steps 3-4 are trained again: on
    # the batches the loader resumes with, not a replay of the stream.
    assert losses(hf.train(corpus, 4, tmp_path / "split", resume=True, **settings)) == whole
