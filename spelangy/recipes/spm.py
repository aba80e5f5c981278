# SentencePiece training on a corpus' text, with the settings the loader relies on.
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import SpelangyError

_MAX_LINE_BYTES = 4000  # SentencePiece skips longer input lines (its default limit is 4192)


def _lines(texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        words = text.split()
        line, size = [], 0
        for w in words:
            if size + len(w.encode("utf-8")) + 1 > _MAX_LINE_BYTES and line:
                yield " ".join(line)
                line, size = [], 0
            line.append(w)
            size += len(w.encode("utf-8")) + 1
        if line:
            yield " ".join(line)


def train_spm(texts: Iterable[str], model_path: Path, vocab_size: int = 1000,
              num_threads: int = 2) -> Path:
    """Train `model_path` (+ `.vocab` beside it) on the texts.

    Default normalization, `split_by_whitespace=True` and the default dummy prefix: pieces
    never cross whitespace, which the loader's word-to-token offsets rely on.
    `hard_vocab_limit=False` lets a small corpus end with fewer pieces than asked.
    """
    import sentencepiece as spm

    model_path = Path(model_path)
    if not model_path.name.endswith(".model"):
        raise SpelangyError(f"SentencePiece model path must end in .model, got {model_path}")
    lines = list(_lines(texts))
    if not lines:
        raise SpelangyError(f"no text to train the SentencePiece model {model_path} on")
    prefix = model_path.with_name(model_path.name[: -len(".model")] + ".tmp")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_prefix=str(prefix), vocab_size=vocab_size,
        model_type="unigram", split_by_whitespace=True, hard_vocab_limit=False,
        character_coverage=1.0, num_threads=num_threads, minloglevel=2,
    )
    # The .model is moved last: its presence means the pair is complete.
    os.replace(f"{prefix}.vocab", model_path.with_suffix(".vocab"))
    os.replace(f"{prefix}.model", model_path)
    return model_path
