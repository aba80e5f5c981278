# spelangy as torchtitan's data loader: built from torchtitan's config, state per dp rank.
"""torchtitan (0.3) builds its data loader from `Trainer.Config.dataloader` with the
data-parallel rank and size, the sequence length and the local batch size, and expects
`({"input": tokens, "positions": positions}, labels)` batches, labels already the next
token (-100 ignored): spelangy's `PackedBatch` fields as they are. Positions restart at
every document piece, from which torchtitan's flex and varlen attention make
per-document masks. The loader is a `ParallelAwareDataloader` (a torchdata
`StatefulDataLoader`), so torchtitan's checkpoints keep its state per dp rank and resume
it exactly on the same dp degree, with or without workers.

```python
from torchtitan.models.llama3.config_registry import llama3_debugmodel
from spelangy.adapters.torchtitan import use_spelangy

def config():  # a torchtitan config_registry function
    return use_spelangy(llama3_debugmodel(), "data/mini")
```
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import List, Optional

from torchtitan.components.dataloader import ParallelAwareDataloader
from torchtitan.components.tokenizer import BaseTokenizer

from ..text_tokenizer import TextTokenizer
from ..train.config import DataConfig
from ..train.data import CorpusDataset
from ..vocab import VocabLayout


class SpelangyDataLoader(ParallelAwareDataloader):
    """spelangy's packed speech-text batches for torchtitan's trainer.

    `dataset_path` is a corpus directory as `spelangy train --data` reads it (spm.model,
    cut manifests or prepared corpora, text); `data` holds the mix, chunking, sampling and
    loss settings (`spelangy.train.config.DataConfig`).
    """

    @dataclass(kw_only=True, slots=True)
    class Config(ParallelAwareDataloader.Config):
        data: DataConfig = field(default_factory=DataConfig)
        """spelangy's data settings (seq_len, batch_size and num_workers: torchtitan's)."""
        seed: int = 0

        def vocab(self) -> VocabLayout:
            """The vocabulary the batches use: the model's embedding must hold it."""
            return CorpusDataset(self.dataset_path, self.data, self.seed)().vocab

    def __init__(self, config: Config, *, dp_world_size: int, dp_rank: int, seq_len: int,
                 local_batch_size: int, tokenizer=None, snapshot_every_n_steps: Optional[int] = 1,
                 **kwargs):
        # (torchtitan's tokenizer is not used: spelangy tokenizes with the corpus's spm.model)
        data = replace(config.data, seq_len=seq_len, batch_size=local_batch_size,
                       num_workers=config.num_workers)
        self.dataset = CorpusDataset(config.dataset_path, data, config.seed)(
            rank=dp_rank, world_size=dp_world_size)
        self.vocab = self.dataset.vocab
        workers = config.num_workers
        super().__init__(
            self.dataset, dp_rank=dp_rank, dp_world_size=dp_world_size, batch_size=None,
            num_workers=workers, pin_memory=config.pin_memory,
            persistent_workers=config.persistent_workers if workers else False,
            prefetch_factor=config.prefetch_factor if workers else None,
            snapshot_every_n_steps=snapshot_every_n_steps)

    def __iter__(self):
        for batch in super().__iter__():
            yield {"input": batch.tokens, "positions": batch.position_ids}, batch.labels


class SpelangyTokenizer(BaseTokenizer):
    """The corpus's vocabulary for torchtitan's trainer, which builds a tokenizer from
    `hf_assets_path` (here the corpus directory) whatever the data loader: SentencePiece
    text ids, then spelangy's speech and special ids (`VocabLayout`)."""

    @dataclass(kw_only=True, slots=True)
    class Config(BaseTokenizer.Config):
        pass

    def __init__(self, config: Optional[Config] = None, *, tokenizer_path: str):
        super().__init__()
        self.vocab = SpelangyDataLoader.Config(dataset_path=tokenizer_path).vocab()
        self.text = TextTokenizer(Path(tokenizer_path) / "spm.model")
        self.bos_id, self.eos_id = self.vocab.bos, self.vocab.eos

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = False) -> List[int]:
        return [self.bos_id] * add_bos + self.text.encode(text) + [self.eos_id] * add_eos

    def decode(self, ids) -> str:
        """The text ids' text (speech and special ids are left out)."""
        return self.text.decode([i for i in ids if i < self.vocab.text_vocab_size])

    def get_vocab_size(self) -> int:
        return self.vocab.vocab_size


def use_spelangy(config, dataset_path: str, num_workers: int = 0, seed: int = 0, **data):
    """`config` (a torchtitan `Trainer.Config` of a decoder model, e.g.
    `llama3_debugmodel()`) reading spelangy batches from `dataset_path`: its data loader
    and tokenizer replaced, its model's embedding, output layer and loss sized to
    spelangy's vocabulary. `data`: `DataConfig` settings (text_weight, chunking, ...)."""
    loader = SpelangyDataLoader.Config(dataset_path=str(dataset_path), data=DataConfig(**data),
                                       num_workers=num_workers, seed=seed)
    config.tokenizer = SpelangyTokenizer.Config()
    config.hf_assets_path = str(dataset_path)
    size = loader.vocab().vocab_size
    model = config.model_spec.model
    model.vocab_size = size
    model.tok_embeddings.num_embeddings = size
    model.lm_head.out_features = size
    loss = getattr(config.loss, "loss_fn", config.loss)
    if hasattr(loss, "global_vocab_size"):
        loss.global_vocab_size = size
    config.dataloader = loader
    return config
