# The `synthetic` recipe: a JSONL text corpus read aloud chunk by chunk by randomly drawn voices.
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from ..errors import BadInputError, SpelangyError
from .assemble import Turn, assemble_document, load_cut, save_cut
from .output import finish_corpus
from .text_sources import split_sentences
from .tts import get_backend

VARIANTS = ("prose", "qa")


@dataclass
class _Doc:
    doc_id: str
    text: str  # the whole document, for text.jsonl and the SentencePiece model
    chunks: List[Tuple[str, str]]  # (role, text): role is "prose", "question" or "answer"


def _chunks(text: str, role: str, rng: np.random.Generator, max_sentences: int) -> List[Tuple[str, str]]:
    sentences = split_sentences(text)
    out, i = [], 0
    while i < len(sentences):
        n = int(rng.integers(1, max_sentences + 1))
        out.append((role, " ".join(sentences[i:i + n])))
        i += n
    return out


def read_documents(path: Path, variant: str, seed: int, max_documents: Optional[int] = None,
                   max_sentences_per_chunk: int = 2) -> List[_Doc]:
    """Documents of a JSONL corpus: `{"text": ...}` lines (prose), or `{"question": ...,
    "answer": ...}` lines (qa). An optional `"id"` names the document."""
    if variant not in VARIANTS:
        raise SpelangyError(f"synthetic: variant must be one of {VARIANTS}, got {variant!r}")
    fields = ("text",) if variant == "prose" else ("question", "answer")
    rng = np.random.default_rng(seed)
    docs = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            if max_documents is not None and len(docs) >= max_documents:
                break
            try:
                record = json.loads(line)
                parts = [str(record[k]) for k in fields]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise BadInputError(f"line {lineno} is not a JSON object with fields {list(fields)}",
                                    path=str(path)) from e
            doc_id = str(record.get("id", f"synthetic-{variant}-{lineno:07d}"))
            for k, part in zip(fields, parts):
                if not any(c.isalnum() for c in part):
                    raise BadInputError(f"line {lineno}: field {k!r} has no words", path=str(path),
                                        cut_id=doc_id)
            roles = ("prose",) if variant == "prose" else ("question", "answer")
            chunks = [c for role, part in zip(roles, parts)
                      for c in _chunks(part, role, rng, max_sentences_per_chunk)]
            docs.append(_Doc(doc_id, " ".join(parts), chunks))
    if not docs:
        raise SpelangyError(f"synthetic: {path} has no documents")
    return docs


def prepare_synthetic(text_jsonl, output_dir, *, variant: str = "prose", tts="festival",
                      max_documents: Optional[int] = None, max_sentences_per_chunk: int = 2,
                      seed: int = 0, num_codes: int = 256, spm_vocab_size: int = 1000,
                      shar: bool = False, progress: bool = True, tts_options: Optional[dict] = None) -> Path:
    """Speech-text documents from a text corpus: each document is cut into chunks of up to
    `max_sentences_per_chunk` sentences, each chunk is spoken by a voice drawn at random
    (seeded) from the TTS backend, and the chunks become the document's turns with word
    alignments from the backend. `qa`: the question's chunks, then the answer's (each turn
    says which in `supervision.custom["role"]`)."""
    output_dir = Path(output_dir)
    audio_dir = output_dir / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    docs = read_documents(Path(text_jsonl), variant, seed, max_documents, max_sentences_per_chunk)
    ids = [d.doc_id for d in docs]
    if len(set(ids)) != len(ids):
        raise SpelangyError(f"synthetic: {text_jsonl} has repeated document ids")
    todo = [d for d in docs if not (audio_dir / f"{d.doc_id}.json").exists()]
    if todo:
        backend = get_backend(tts, **({"progress": progress} | (tts_options or {})))
        voices = backend.voices
        rng = np.random.default_rng([seed, 1])
        requests = [(text, voices[int(rng.integers(len(voices)))]) for d in todo for _, text in d.chunks]
        speech = iter(backend.synthesize(requests))
        voice_of = iter(v for _, v in requests)
        for d in todo:
            turns = [Turn(next(voice_of), next(speech), round(float(rng.uniform(0.2, 0.5)), 3))
                     for _ in d.chunks]
            cut = assemble_document(d.doc_id, turns, audio_dir, custom={"variant": variant})
            for sup, (role, _) in zip(cut.supervisions, d.chunks):
                sup.custom = {"role": role}
            save_cut(cut, audio_dir / f"{d.doc_id}.json")
    cuts = [load_cut(audio_dir / f"{d.doc_id}.json") for d in docs]
    return finish_corpus(output_dir, cuts, [d.text for d in docs], num_codes=num_codes,
                         spm_vocab_size=spm_vocab_size, seed=seed, shar=shar, progress=progress)
