# From a prepared corpus directory to the training dataset, with the paper's token mix.
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

from ..errors import SpelangyError
from .config import DataConfig

_SPEECH_SUFFIX = ".jsonl.gz"
_TEXT_SUFFIXES = (".jsonl", ".txt")


def _speech_name(path: Path) -> str:
    stem = path.name[: -len(_SPEECH_SUFFIX)] if path.name.endswith(_SPEECH_SUFFIX) else path.name
    for affix in ("_cuts", "cuts_", "-cuts", "cuts-"):
        stem = stem.replace(affix, "")
    return "speech" if stem == "cuts" else stem


def discover(data_dir: Path) -> Tuple[Path, List[Tuple[str, Path]], List[Tuple[str, Path]]]:
    """The corpus layout that every spelangy recipe writes:

    ```
    DIR/spm.model                   the SentencePiece model
    DIR/*cuts*.jsonl.gz             speech-text sources (Lhotse cuts with speech tokens),
    DIR/*/cuts.000000.jsonl.gz      or Lhotse Shar directories; named after the file
    DIR/*.jsonl, DIR/*.txt          text-only sources, named after the file
    DIR/*/meta.json                 prepared corpora (`spelangy index`), speech or text,
                                    named after the directory
    ```
    """
    from ..prepared.format import is_prepared, read_meta

    data_dir = Path(data_dir)
    spm = data_dir / "spm.model"
    if not spm.is_file():
        raise SpelangyError(f"--data {data_dir}: no SentencePiece model spm.model in it")
    prepared = {p: read_meta(p)["kind"] for p in sorted(data_dir.iterdir()) if is_prepared(p)}
    speech = [(_speech_name(p), p) for p in sorted(data_dir.glob(f"*cuts*{_SPEECH_SUFFIX}"))]
    speech += [(p.name, p) for p in sorted(data_dir.iterdir())
               if p.is_dir() and (any(p.glob("cuts.*.jsonl*")) or prepared.get(p) == "speech")]
    text = [(p.name.rsplit(".", 1)[0], p) for p in sorted(data_dir.iterdir())
            if p.is_file() and p.suffix in _TEXT_SUFFIXES and "cuts" not in p.name]
    text += [(p.name, p) for p, kind in prepared.items() if kind == "text"]
    if not speech and not text:
        raise SpelangyError(f"--data {data_dir}: no cut manifests (*cuts*.jsonl.gz), text files "
                            f"or prepared corpora")
    return spm, speech, text


def source_weights(cfg: DataConfig, speech: List[str], text: List[str]) -> dict:
    """Token weights: `text_weight` over the text sources, the rest over speech-text subsets
    (by `speech_weights`, or equally), as the paper mixed 60% text with 40% speech-text."""
    unknown = set(cfg.speech_weights) - set(speech)
    if unknown:
        raise SpelangyError(f"DataConfig.speech_weights names {sorted(unknown)}, not among the "
                            f"corpus's speech-text sources {speech}")
    text_share = cfg.text_weight if speech else 1.0
    speech_share = 1.0 - cfg.text_weight if text else 1.0
    weights = {}
    relative = {n: cfg.speech_weights.get(n, 1.0 if not cfg.speech_weights else 0.0) for n in speech}
    total = sum(relative.values())
    for name in speech:
        if relative[name] > 0:
            weights[name] = speech_share * relative[name] / total
    for name in text:
        weights[name] = text_share / len(text)
    return {k: v for k, v in weights.items() if v > 0}


@dataclass
class CorpusDataset:
    """A picklable factory of `InterleavedDataset` over a corpus directory (one per rank)."""

    data_dir: str
    data: DataConfig
    seed: int

    def source_names(self) -> List[str]:
        _, speech, text = discover(Path(self.data_dir))
        names = [n for n, _ in speech] + [n for n, _ in text]
        weights = source_weights(self.data, [n for n, _ in speech], [n for n, _ in text])
        return [n for n in names if n in weights]

    def __call__(self, rank: int = 0, world_size: int = 1, output: str = "packed"):
        import spelangy

        spm, speech, text = discover(Path(self.data_dir))
        weights = source_weights(self.data, [n for n, _ in speech], [n for n, _ in text])
        sources = [spelangy.SpeechTextSource(n, str(p), weight=weights[n])
                   for n, p in speech if n in weights]
        sources += [spelangy.TextSource(n, str(p), weight=weights[n]) for n, p in text if n in weights]
        d = self.data
        return spelangy.InterleavedDataset(
            sources=sources, text_tokenizer=str(spm),
            chunking=spelangy.ChunkingConfig(mode=d.chunking),
            sampling=spelangy.SamplingConfig(mode=d.sampling),
            packing=spelangy.PackingConfig(seq_len=d.seq_len, batch_size=d.batch_size),
            loss_on=d.loss_on, seed=self.seed, rank=rank, world_size=world_size,
            num_epochs=d.num_epochs, output=output,
        )


def loader_throughput(dataset, num_batches: int, num_workers: int) -> dict:
    """Packed tokens per second of the loader alone (no model), over `num_batches`."""
    import torch

    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=num_workers)
    it = iter(loader)
    next(it)  # worker start-up and the first document reads are not the steady state
    t0, tokens = time.perf_counter(), 0
    for _ in range(num_batches):
        tokens += next(it).tokens.numel()
    seconds = time.perf_counter() - t0
    return {"batches": num_batches, "tokens": tokens, "seconds": seconds,
            "tokens_per_s": tokens / seconds}
