# The `mini` recipe: a small multi-speaker corpus read by festival voices, made offline.
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

import numpy as np

from ..errors import SpelangyError
from .assemble import Turn, assemble_document, load_cut, save_cut
from .festival import DEFAULT_SPEAKERS, FestivalSpeaker, FestivalTTS
from .output import finish_corpus
from .text_sources import TextDocument, load_documents

log = logging.getLogger(__name__)


@dataclass
class _Segment:
    speaker: str
    text: str
    pause_after: float


@dataclass
class _Plan:
    doc_id: str
    source: str
    segments: List[_Segment] = field(default_factory=list)


class _SentenceStream:
    """Sentences in reading order, source after source; what is left becomes text-only."""

    def __init__(self, docs: Sequence[TextDocument]):
        self.docs = list(docs)
        self.doc = 0
        self.pos = 0

    def take(self, n: int) -> List[str]:
        out = []
        while len(out) < n and self.doc < len(self.docs):
            sentences = self.docs[self.doc].sentences
            chunk = sentences[self.pos:self.pos + n - len(out)]
            out += chunk
            self.pos += len(chunk)
            if self.pos >= len(sentences):
                self.doc, self.pos = self.doc + 1, 0
        return out

    @property
    def source(self) -> str:
        return self.docs[min(self.doc, len(self.docs) - 1)].name

    def rest(self, sentences_per_document: int = 12) -> List[str]:
        out = []
        for i in range(self.doc, len(self.docs)):
            sentences = self.docs[i].sentences[self.pos if i == self.doc else 0:]
            for b in range(0, len(sentences), sentences_per_document):
                out.append(" ".join(sentences[b:b + sentences_per_document]))
        return out


def plan_documents(docs: Sequence[TextDocument], speakers: Sequence[str], num_documents: int,
                   seed: int, segments_per_document=(8, 14)):
    """Conversation plans: each document has 2-3 speakers who hold the floor for 1-3
    diarized segments of 1-2 sentences each. Consecutive same-speaker segments are what
    coarse chunking merges and fine chunking keeps apart."""
    if len(speakers) < 2:
        raise SpelangyError(f"mini needs at least 2 speakers, got {list(speakers)}")
    rng = np.random.default_rng(seed)
    stream = _SentenceStream(docs)
    plans = []
    for d in range(num_documents):
        plan = _Plan(f"mini-{d:04d}", stream.source)
        cast = list(rng.choice(speakers, size=min(len(speakers), int(rng.integers(2, 4))), replace=False))
        speaker = cast[0]
        target = int(rng.integers(segments_per_document[0], segments_per_document[1] + 1))
        while len(plan.segments) < target:
            hold = int(rng.integers(1, 4))
            for h in range(hold):
                sentences = stream.take(int(rng.integers(1, 3)))
                if not sentences:
                    break
                last_of_hold = h == hold - 1
                # Diarizers split a speaker at pauses; a new speaker answers sooner.
                pause = rng.uniform(0.15, 0.45) if last_of_hold else rng.uniform(0.4, 0.9)
                plan.segments.append(_Segment(str(speaker), " ".join(sentences), round(float(pause), 3)))
            others = [s for s in cast if s != speaker]
            speaker = others[int(rng.integers(len(others)))]
            if stream.doc >= len(stream.docs):
                break
        if not plan.segments:
            break
        plans.append(plan)
    if len(plans) < num_documents:
        log.warning("mini: the text ran out after %d of %d documents", len(plans), num_documents)
    return plans, stream.rest()


def prepare_mini(output_dir, num_documents: int = 12, *, text_files: Optional[Iterable] = None,
                 seed: int = 0, speakers: Sequence[FestivalSpeaker] = DEFAULT_SPEAKERS,
                 num_codes: int = 256, spm_vocab_size: int = 1000, num_workers: int = 2,
                 shar: bool = False, festival_binary: str = "festival",
                 progress: bool = True) -> Path:
    """Build the mini corpus in `output_dir` and return the path of its `cuts.jsonl.gz`.

    Documents are conversations read by festival voices (`speakers`) from the text of
    `text_files`, or from readable text found on the machine (Python docstrings, license
    texts). Word alignments are festival's own times. Documents already built are kept.
    """
    output_dir = Path(output_dir)
    audio_dir = output_dir / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    docs = load_documents(text_files)
    plans, rest = plan_documents(docs, [s.name for s in speakers], num_documents, seed)
    todo = [p for p in plans if not (audio_dir / f"{p.doc_id}.json").exists()]
    if todo:
        tts = FestivalTTS(speakers, binary=festival_binary, num_workers=num_workers, progress=progress)
        requests = [(seg.text, seg.speaker) for p in todo for seg in p.segments]
        speech = iter(tts.synthesize(requests))
        for p in todo:
            turns = [Turn(seg.speaker, next(speech), seg.pause_after) for seg in p.segments]
            cut = assemble_document(p.doc_id, turns, audio_dir, custom={"source": p.source})
            save_cut(cut, audio_dir / f"{p.doc_id}.json")
    cuts = [load_cut(audio_dir / f"{p.doc_id}.json") for p in plans]
    return finish_corpus(output_dir, cuts, rest, num_codes=num_codes,
                         spm_vocab_size=spm_vocab_size, seed=seed, shar=shar, progress=progress)
