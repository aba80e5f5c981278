# `spelangy stats`: what chunking, sampling and packing do to a manifest, as numbers and plots.
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from .config import ChunkingConfig, PackingConfig, SamplingConfig
from .vocab import Modality, VocabLayout

CHUNKINGS = ("coarse", "fine")
SAMPLINGS = ("deterministic", "stochastic")


@dataclass
class LoaderStats:
    """Figures over one manifest; arrays keep the raw values for the plots."""

    chunk_durations: Dict[str, np.ndarray]  # chunking mode -> seconds per chunk
    doc_chunks: np.ndarray  # chunks per document (the `chunking` mode)
    doc_switches: Dict[str, np.ndarray]  # sampling mode -> modality switches per document
    row_switches: Dict[str, np.ndarray]  # sampling mode -> switches per packed row
    modality_tokens: Dict[str, Counter]  # sampling mode -> tokens per modality name
    source_tokens: Dict[str, Counter]  # sampling mode -> tokens per source, streaming
    epoch_source_tokens: Dict[str, Counter]  # the same in a run limited to one epoch
    settings: dict = field(default_factory=dict)

    def summary(self) -> Dict[str, float]:
        out: Dict[str, float] = {"documents": float(len(self.doc_chunks))}
        for mode, d in self.chunk_durations.items():
            out[f"chunk_mean_s[{mode}]"] = float(d.mean()) if len(d) else 0.0
            out[f"chunks[{mode}]"] = float(len(d))
        out["chunks_per_doc_minus_1"] = float((self.doc_chunks - 1).mean())
        for mode in self.doc_switches:
            out[f"switches_per_doc[{mode}]"] = float(self.doc_switches[mode].mean())
            out[f"switches_per_row[{mode}]"] = float(self.row_switches[mode].mean())
            total = sum(self.modality_tokens[mode].values())
            for name, n in sorted(self.modality_tokens[mode].items()):
                out[f"share[{mode}][{name}]"] = n / total
            for key, table in (("source_share", self.source_tokens),
                               ("epoch_source_share", self.epoch_source_tokens)):
                src_total = sum(table[mode].values())
                for name, n in sorted(table[mode].items()):
                    out[f"{key}[{mode}][{name}]"] = n / src_total
        return out


def _document_switches(tokens: np.ndarray, vocab: VocabLayout) -> int:
    # A marker opens the first chunk and every later modality change.
    markers = int(np.isin(tokens, (vocab.audio_marker, vocab.text_marker)).sum())
    return max(markers - 1, 0)


def row_switches(modality: np.ndarray) -> np.ndarray:
    """Switches between text and audio tokens along each row [B, L] (special tokens and
    padding are skipped; a change across a document boundary in the row counts too)."""
    out = []
    for row in np.asarray(modality):
        content = row[(row == Modality.TEXT) | (row == Modality.AUDIO)]
        out.append(int((content[1:] != content[:-1]).sum()))
    return np.array(out, dtype=np.int64)


def _source_tokens(batches) -> Counter:
    per_source = Counter()
    for batch in batches:
        for row in batch.receipts:
            for r in row:
                per_source[r.source] += r.end - r.start
    return per_source


def compute_stats(cuts, spm_model, *, text: Optional[Path] = None, text_weight: float = 0.6,
                  chunking: str = "fine", seq_len: int = 2048, batch_size: int = 4,
                  seed: int = 0, max_documents: Optional[int] = None) -> LoaderStats:
    """Chunk every document both ways, sample it both ways (on the C++ core), and pack one
    epoch both ways (with the text-only documents of `text` mixed in at `text_weight` of the
    tokens). Token shares per source are measured twice: streaming (no epoch limit, as
    training runs: the weights hold) over as many batches as one epoch gives, and in the run
    limited to one epoch, where the sources that run out first leave the rest to the others.
    """
    from itertools import islice

    from .core import get_core
    from .dataset import InterleavedDataset
    from .sources import SpeechTextSource, TextSource
    from .text_tokenizer import TextTokenizer

    core = get_core("cpp")
    tokenizer = TextTokenizer(spm_model)
    speech = SpeechTextSource("speech", cuts, weight=1.0 - text_weight if text else 1.0)
    docs = list(islice(speech.documents(tokenizer), max_documents))
    speech_vocab = speech.speech_vocab_size() or 1
    vocab = VocabLayout(tokenizer.vocab_size, speech_vocab)
    durations = {m: np.concatenate([core.chunk_document(d, ChunkingConfig(m)).duration
                                    for d in docs]) for m in CHUNKINGS}
    config = ChunkingConfig(chunking)
    doc_chunks = np.array([core.chunk_document(d, config).num_chunks for d in docs])
    doc_sw, row_sw, mod_tokens, src_tokens, epoch_src_tokens = {}, {}, {}, {}, {}
    sources = [speech] + ([TextSource("text", text, weight=text_weight)] if text else [])
    for mode in SAMPLINGS:
        sampling = SamplingConfig(mode)
        doc_sw[mode] = np.array([_document_switches(
            core.build_speech_document(d, config, sampling, seed, 0, vocab).tokens, vocab)
            for d in docs])

        def dataset(num_epochs):
            return InterleavedDataset(
                sources=sources, text_tokenizer=tokenizer, chunking=config, sampling=sampling,
                packing=PackingConfig(seq_len=seq_len, batch_size=batch_size), loss_on="all",
                seed=seed, num_epochs=num_epochs, speech_vocab_size=speech_vocab)

        epoch = list(dataset(1))
        switches, modalities = [], Counter()
        for batch in epoch:
            m = batch.modality.numpy()
            switches.append(row_switches(m))
            values, counts = np.unique(m, return_counts=True)
            modalities.update({Modality(int(v)).name.lower(): int(c) for v, c in zip(values, counts)})
        row_sw[mode] = np.concatenate(switches) if switches else np.zeros(0, np.int64)
        mod_tokens[mode] = modalities
        epoch_src_tokens[mode] = _source_tokens(epoch)
        src_tokens[mode] = _source_tokens(islice(dataset(None), max(len(epoch), 1)))
    settings = {"chunking": chunking, "seq_len": seq_len, "batch_size": batch_size, "seed": seed,
                "text": str(text) if text else None, "text_weight": text_weight if text else 0.0}
    return LoaderStats(durations, doc_chunks, doc_sw, row_sw, mod_tokens, src_tokens,
                       epoch_src_tokens, settings)


def format_table(stats: LoaderStats) -> str:
    s = stats.summary()
    lines = [f"documents: {int(s['documents'])}   settings: {stats.settings}", "",
             f"{'chunking':<14}{'chunks':>8}{'mean s':>10}{'median s':>10}{'max s':>9}"]
    for mode, d in stats.chunk_durations.items():
        lines.append(f"{mode:<14}{len(d):>8}{d.mean():>10.2f}{np.median(d):>10.2f}{d.max():>9.2f}")
    n1 = s["chunks_per_doc_minus_1"]
    lines += ["", f"{'sampling':<14}{'switch/doc':>11}{'(n-1)/doc':>10}{'switch/row':>11}"
                  f"{'text':>7}{'audio':>7}{'special':>8}{'pad':>7}"]
    for mode in stats.doc_switches:
        share = {k: s.get(f"share[{mode}][{k}]", 0.0) for k in ("text", "audio", "special", "pad")}
        lines.append(f"{mode:<14}{s[f'switches_per_doc[{mode}]']:>11.2f}{n1:>10.2f}"
                     f"{s[f'switches_per_row[{mode}]']:>11.2f}"
                     + "".join(f"{share[k]:>{w}.1%}" for k, w in
                               (("text", 7), ("audio", 7), ("special", 8), ("pad", 7))))
    for key, title in (
            ("source_share", "token share per source, streaming (as training runs: the "
                             "weights hold)"),
            ("epoch_source_share", "token share per source, one epoch (num_epochs=1: once "
                                   "a source runs out, the others fill the rest)")):
        lines += ["", f"{title}:"] + [
            f"  {mode}: " + ", ".join(f"{name} {s.get(f'{key}[{mode}][{name}]', 0.0):.1%}"
                                      for name in sorted(stats.source_tokens[mode]))
            for mode in stats.source_tokens]
    return "\n".join(lines)


def write_plots(stats: LoaderStats, output_dir: Path) -> List[Path]:
    """chunk_durations.png, switches.png and token_share.png under `output_dir`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []

    fig, ax = plt.subplots(figsize=(7, 4))
    top = max(float(d.max()) for d in stats.chunk_durations.values())
    bins = np.arange(0.0, np.ceil(top) + 1.0, 1.0)
    for mode, d in stats.chunk_durations.items():
        ax.hist(d, bins=bins, alpha=0.6, label=f"{mode} (mean {d.mean():.1f} s)")
    ax.set(xlabel="chunk duration (s)", ylabel="chunks", title="Chunk durations")
    ax.legend()
    paths.append(_save(fig, output_dir / "chunk_durations.png"))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for mode in stats.doc_switches:
        axes[0].hist(stats.doc_switches[mode], bins=20, alpha=0.6,
                     label=f"{mode} (mean {stats.doc_switches[mode].mean():.1f})")
        axes[1].hist(stats.row_switches[mode], bins=20, alpha=0.6,
                     label=f"{mode} (mean {stats.row_switches[mode].mean():.1f})")
    axes[0].set(xlabel="modality switches per document", ylabel="documents")
    axes[1].set(xlabel="modality switches per packed row", ylabel="rows")
    for ax in axes:
        ax.legend()
    paths.append(_save(fig, output_dir / "switches.png"))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    modes = list(stats.modality_tokens)
    for ax, table, title in ((axes[0], stats.modality_tokens, "per modality"),
                             (axes[1], stats.source_tokens, "per source")):
        names = sorted({k for mode in modes for k in table[mode]})
        width = 0.8 / max(len(modes), 1)
        for i, mode in enumerate(modes):
            total = max(sum(table[mode].values()), 1)
            ax.bar(np.arange(len(names)) + i * width, [table[mode][n] / total for n in names],
                   width=width, label=mode)
        ax.set_xticks(np.arange(len(names)) + width * (len(modes) - 1) / 2, names)
        ax.set(ylabel="token share", title=f"Token share {title}")
        ax.legend()
    paths.append(_save(fig, output_dir / "token_share.png"))
    return paths


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
