# The adapters for torchtitan and Hugging Face, used through each client's own interface.
import itertools
from pathlib import Path

import pytest
import torch

from data_utils import make_training_corpus, saved_and_loaded

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_training_corpus(tmp_path_factory.mktemp("corpus"), 8, 10)


def test_torchtitan_builds_the_loader_from_its_config_and_resumes_it(corpus, rng):
    pytest.importorskip("torchtitan")
    from torchtitan.models.llama3.config_registry import llama3_debugmodel

    from spelangy.adapters.torchtitan import SpelangyDataLoader, use_spelangy

    config = use_spelangy(llama3_debugmodel(), corpus, num_workers=1)
    vocab = config.dataloader.vocab()
    model = config.model_spec.model
    assert model.vocab_size == model.tok_embeddings.num_embeddings == \
        model.lm_head.out_features == config.loss.loss_fn.global_vocab_size == vocab.vocab_size

    def build(dp_rank):  # as torchtitan's Trainer builds it
        return config.dataloader.build(dp_world_size=2, dp_rank=dp_rank, tokenizer=None,
                                       seq_len=48, local_batch_size=2, snapshot_every_n_steps=1)

    for dp_rank in (0, 1):
        whole = list(itertools.islice(build(dp_rank), 8))
        inputs, labels = whole[0]
        assert isinstance(build(dp_rank), SpelangyDataLoader)
        assert set(inputs) == {"input", "positions"}
        assert inputs["input"].shape == labels.shape == (2, 48)
        assert inputs["input"].dtype == labels.dtype == torch.int64
        assert int(inputs["input"].max()) < vocab.vocab_size
        k = int(rng.integers(1, 7))
        loader = build(dp_rank)
        first = list(itertools.islice(loader, k))
        state = saved_and_loaded(loader.state_dict())
        assert set(state) == {f"dp_rank_{dp_rank}", "world_size"}
        resumed = build(dp_rank)
        resumed.load_state_dict(state)
        rest = list(itertools.islice(resumed, 8 - k))
        for (a, la), (b, lb) in zip(whole, first + rest):
            assert torch.equal(a["input"], b["input"]) and torch.equal(la, lb)
            assert torch.equal(a["positions"], b["positions"])


def test_the_torchtitan_example_config_builds_what_the_trainer_builds(corpus, monkeypatch):
    """torchtitan's trainer needs a GPU; on the CPU, its config manager reads the example's
    config and the trainer's first steps (tokenizer, data loader) run as it runs them."""
    pytest.importorskip("torchtitan")
    from torchtitan.config import ConfigManager

    from spelangy.adapters.torchtitan import SpelangyDataLoader, SpelangyTokenizer

    monkeypatch.setenv("SPELANGY_DATA", str(corpus))
    monkeypatch.syspath_prepend(str(EXAMPLES.parent))
    config = ConfigManager().parse_args(
        ["--module", "examples.torchtitan_config", "--config", "spelangy_llama3_debugmodel",
         "--training.seq_len", "64", "--training.local_batch_size", "2"])
    tokenizer = config.tokenizer.build(tokenizer_path=config.hf_assets_path)
    assert isinstance(tokenizer, SpelangyTokenizer)
    assert tokenizer.get_vocab_size() == config.model_spec.model.vocab_size
    assert tokenizer.decode(tokenizer.encode("the cat")) == "the cat"
    loader = config.dataloader.build(dp_world_size=1, dp_rank=0, tokenizer=tokenizer,
                                     seq_len=config.training.seq_len,
                                     local_batch_size=config.training.local_batch_size)
    assert isinstance(loader, SpelangyDataLoader)
    inputs, labels = next(iter(loader))
    assert inputs["input"].shape == labels.shape == (2, 64)


def tiny_llama(vocab_size, seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=256, attn_implementation="sdpa")
    return LlamaForCausalLM(config).eval()


def corpus_dataset(corpus, **kwargs):
    from spelangy.train.config import DataConfig
    from spelangy.train.data import CorpusDataset

    data = DataConfig(seq_len=64, batch_size=2, num_workers=0)
    return CorpusDataset(str(corpus), data, 0)(**kwargs)


def test_hf_loss_is_spelangys_with_each_document_attending_to_itself(corpus):
    pytest.importorskip("transformers")
    from spelangy.adapters.hf import hf_inputs

    ds = corpus_dataset(corpus)
    model = tiny_llama(ds.vocab.vocab_size)
    for batch in itertools.islice(iter(ds), 3):
        with torch.no_grad():
            out = model(**hf_inputs(batch))
            # By hand: every piece alone, its logits against spelangy's targets.
            logits = torch.zeros_like(out.logits)
            for row, receipts in enumerate(batch.receipts):
                pieces = [(r.row_offset, r.end - r.start) for r in receipts]
                filled = sum(n for _, n in pieces)
                if filled < batch.seq_len:
                    pieces.append((filled, batch.seq_len - filled))  # the padding, alone too
                for col, n in pieces:
                    alone = model(input_ids=batch.tokens[row:row + 1, col:col + n],
                                  use_cache=False).logits
                    logits[row, col:col + n] = alone[0]
        assert torch.allclose(out.logits, logits, atol=1e-5)  # a piece's logits: as alone
        loss = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100)
        assert abs(out.loss.item() - loss.item()) < 1e-5
