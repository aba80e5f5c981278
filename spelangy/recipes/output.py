# The common end of every recipe: speech tokenizer, speech tokens, manifests, text, spm, Shar.
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, List, Sequence

from .assemble import atomic_write_bytes

CUTS = "cuts.jsonl.gz"
SPM = "spm.model"
TEXT = "text.jsonl"
TOKENIZER = "speech_tokenizer.npz"
SHAR = "shar"


def write_text_jsonl(path: Path, texts: Iterable[str]) -> None:
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in texts if t.strip()]
    atomic_write_bytes(path, ("\n".join(lines) + "\n" if lines else "").encode("utf-8"))


def finish_corpus(output_dir: Path, cuts: Sequence, text_documents: Sequence[str], *,
                  num_codes: int = 256, spm_vocab_size: int = 1000, seed: int = 0,
                  shar: bool = False, tokenizer=None, progress: bool = True) -> Path:
    """Write the corpus outputs that are not there yet and return the cuts manifest path.

    - `speech_tokenizer.npz`: trained on the cuts (unless `tokenizer` is given);
    - `cuts.jsonl.gz`: the cuts with `speech_tokens` (codes under `speech_tokens/`);
    - `text.jsonl`: `text_documents` as `{"text": ...}` lines (text-only documents);
    - `spm.model` / `spm.vocab`: SentencePiece on the transcripts and the text documents;
    - `shar/` when `shar` is set.

    Each part present from an earlier run is kept as it is (recipes are idempotent).
    """
    from lhotse import CutSet

    from ..speech_tokenizer import attach_speech_tokens, load_speech_tokenizer, train_speech_tokenizer

    output_dir = Path(output_dir)
    cuts_path = output_dir / CUTS
    if not cuts_path.exists():
        if tokenizer is None:
            tok_path = output_dir / TOKENIZER
            if tok_path.exists():
                tokenizer = load_speech_tokenizer(tok_path)
            else:
                tokenizer = train_speech_tokenizer(cuts, num_codes, seed=seed, progress=progress)
                tokenizer.save(tok_path)
        tokenized = attach_speech_tokens(cuts, tokenizer, output_dir / "speech_tokens", progress)
        tmp = output_dir / "cuts.tmp.jsonl.gz"
        CutSet.from_cuts(tokenized).to_file(tmp)
        tmp.replace(cuts_path)
    if not (output_dir / TEXT).exists():
        write_text_jsonl(output_dir / TEXT, text_documents)
    if not (output_dir / SPM).exists():
        from .spm import train_spm

        transcripts = [s.text for c in CutSet.from_file(cuts_path) for s in c.supervisions]
        train_spm(transcripts + list(text_documents), output_dir / SPM, vocab_size=spm_vocab_size)
    if shar:
        write_shar(cuts_path, output_dir / SHAR)
    return cuts_path


def write_shar(cuts_path: Path, shar_dir: Path, shard_size: int = 1000) -> List[str]:
    """Lhotse Shar copy of the manifest (audio as flac, speech tokens as numpy)."""
    from lhotse import CutSet

    done = shar_dir / ".complete"
    if done.exists():
        return sorted(str(p) for p in shar_dir.iterdir() if p.name != done.name)
    shar_dir.mkdir(parents=True, exist_ok=True)
    written = CutSet.from_file(cuts_path).to_shar(
        shar_dir, fields={"recording": "flac", "speech_tokens": "numpy"}, shard_size=shard_size)
    done.write_text("")
    return sorted(p for paths in written.values() for p in paths)
