# From real Lhotse manifests (jsonl.gz, Shar, in-memory CutSet) to packed batches.
import itertools

import numpy as np
import torch
from click.testing import CliRunner
from lhotse import CutSet
from torch.utils.data import DataLoader

import spelangy
from data_utils import export_shar, make_tiny_corpus, random_text, write_text_jsonl
from spelangy.cli import main


def batches_of(cuts, spm, text_path=None, num_workers=0, **kwargs):
    sources = [spelangy.SpeechTextSource("speech", cuts, weight=0.4)]
    if text_path:
        sources.append(spelangy.TextSource("text", text_path, weight=0.6))
    ds = spelangy.InterleavedDataset(
        sources, text_tokenizer=spm, packing=spelangy.PackingConfig(seq_len=256, batch_size=2),
        num_epochs=1, **kwargs)
    return ds, list(DataLoader(ds, batch_size=None, num_workers=num_workers))


def test_manifest_kinds_give_identical_batches(tmp_path):
    cuts, spm = make_tiny_corpus(tmp_path, num_docs=5)
    shar = export_shar(cuts, tmp_path / "shar")
    _, from_jsonl = batches_of(str(cuts), spm)
    _, from_shar = batches_of(str(shar), spm)
    _, from_memory = batches_of(CutSet.from_file(cuts).to_eager(), spm)
    for other in (from_shar, from_memory):
        assert len(other) == len(from_jsonl)
        for a, b in zip(from_jsonl, other):
            assert torch.equal(a.tokens, b.tokens) and a.receipts == b.receipts


def test_mixed_sources_with_workers_use_every_document_once(tmp_path, rng):
    cuts, spm = make_tiny_corpus(tmp_path, num_docs=6)
    text_path = write_text_jsonl(tmp_path / "text.jsonl", [random_text(rng, 3) for _ in range(9)])
    ds, batches = batches_of(str(cuts), spm, text_path=text_path, num_workers=2,
                             chunking=spelangy.ChunkingConfig(mode="coarse"))
    starts = [(r.source, r.cut_id) for b in batches for r in itertools.chain.from_iterable(b.receipts)
              if r.start == 0]
    assert len(starts) == len(set(starts)) == 6 + 9
    vocab = ds.vocab
    tokens = torch.cat([b.tokens.flatten() for b in batches])
    modality = torch.cat([b.modality.flatten() for b in batches])
    audio = modality == spelangy.Modality.AUDIO
    assert audio.any() and (modality == spelangy.Modality.TEXT).any()
    assert ((tokens[audio] >= vocab.speech_offset) & (tokens[audio] < vocab.bos)).all()
    assert (tokens[modality == spelangy.Modality.TEXT] < vocab.text_vocab_size).all()


def test_inspect_prints_rows(tmp_path):
    cuts, spm = make_tiny_corpus(tmp_path, num_docs=2)
    result = CliRunner().invoke(main, ["inspect", str(cuts), "--spm", str(spm), "--seq-len", "128"])
    assert result.exit_code == 0, result.output
    assert "row 0" in result.output and "tiny-000" in result.output
    assert "<bos>" in result.output and "audio>" in result.output
