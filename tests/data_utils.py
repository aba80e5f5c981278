# Tiny real corpora for tests: wav files, Lhotse manifests with speech tokens, SentencePiece.
"""Helpers that write small but real inputs (everything a user's corpus would have).

    make_tiny_corpus(tmp_path, num_docs=4, *, turns_per_doc=(2, 5), num_speakers=3,
                     aligned=1.0, with_speech_tokens=True, speech_vocab_size=64,
                     text_vocab_size=150, sampling_rate=16000, seed=0, name="tiny")
        -> (cuts_path, spm_model_path)
        Writes <tmp_path>/<name>/: audio/*.wav, speech_tokens/ (NumpyFilesWriter),
        cuts.jsonl.gz, spm.model. Cut ids are f"{name}-{i:03d}", start 0, multi-speaker
        turns; `aligned` is the probability that a turn has a word alignment (symbols are the
        text words, lowercased, without punctuation); each cut has custom["speech_tokens"]
        (int32 TemporalArray, frame_shift 0.08, one frame per 80 ms of the cut) and
        custom["speech_vocab_size"] (left out when speech_vocab_size is None).
    make_cut(cut_id, turns, out_dir, *, rng, writer=None, speech_vocab_size=64,
             sampling_rate=16000) -> MonoCut
        One cut from `turns`, a list of (speaker, text, aligned) laid out one after the other,
        with its wav in out_dir/audio; speech tokens stored with `writer` when given.
    export_shar(cuts_path, out_dir, shard_size=2) -> Path
        The manifest as a Lhotse Shar directory (audio as wav, speech tokens as numpy).
    train_tiny_spm(texts, path, vocab_size=150) -> Path
        A SentencePiece unigram model trained in-process (hard_vocab_limit=False).
    write_text_jsonl(path, texts, ids=None) -> Path
    make_training_corpus(root, num_docs, sentences_per_text) -> Path
        A recipe-shaped corpus directory (cuts, spm.model, text.jsonl) from a fresh seed.
        One {"text": ...} (plus "id" when ids is given) per line; gzip when path ends in .gz.
    random_text(rng, num_sentences) -> str
        Sentences of lexicon words with commas, quotes and ., ?, ! sentence ends.
"""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

LEXICON = (
    "the a of and to in is was that for it with as on be at by this had not are but from "
    "they have one you were her all she there would their we him been has when who will more "
    "no if out so said what up its about into than them can only other new some could time "
    "river mountain quickly station yellow number beautiful seventeen whisper language"
).split()
SPEAKERS = ("alice", "bob", "carol", "dave", "erin")


def random_sentence(rng: np.random.Generator) -> str:
    words = [str(w) for w in rng.choice(LEXICON, size=int(rng.integers(2, 9)))]
    words[0] = words[0].capitalize()
    if len(words) > 3 and rng.random() < 0.3:
        words[1] += ","
    end = str(rng.choice([".", ".", "?", "!", "\u2026"]))
    if rng.random() < 0.2:
        words[0] = '"' + words[0]
        words[-1] += end + '"'
    else:
        words[-1] += end
    return " ".join(words)


def random_text(rng: np.random.Generator, num_sentences: int) -> str:
    return " ".join(random_sentence(rng) for _ in range(num_sentences))


def alignment_symbol(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalnum()) or word


def train_tiny_spm(texts: Sequence[str], path, vocab_size: int = 150) -> Path:
    import sentencepiece as spm

    path = Path(path)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)), model_writer=model, vocab_size=vocab_size,
        hard_vocab_limit=False, character_coverage=1.0, model_type="unigram",
        minloglevel=2, num_threads=1,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.getvalue())
    return path


def write_text_jsonl(path, texts: Sequence[str], ids: Optional[Sequence[str]] = None) -> Path:
    path = Path(path)
    lines = [json.dumps({"text": t} if ids is None else {"id": i, "text": t})
             for t, i in zip(texts, ids if ids is not None else [None] * len(texts))]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def write_wav(path, duration: float, sampling_rate: int, rng: np.random.Generator):
    import soundfile

    n = int(round(duration * sampling_rate))
    t = np.arange(n) / sampling_rate
    audio = 0.3 * np.sin(2 * np.pi * float(rng.uniform(100, 400)) * t) \
        + 0.05 * rng.standard_normal(n)
    soundfile.write(str(path), audio.astype(np.float32), sampling_rate)


def make_cut(cut_id: str, turns: List[Tuple[str, str, bool]], out_dir, *,
             rng: np.random.Generator, writer=None, speech_vocab_size: Optional[int] = 64,
             sampling_rate: int = 16000):
    from lhotse import MonoCut, Recording, SupervisionSegment
    from lhotse.supervision import AlignmentItem

    out_dir = Path(out_dir)
    (out_dir / "audio").mkdir(parents=True, exist_ok=True)
    sups, t = [], 0.0
    for k, (speaker, text, aligned) in enumerate(turns):
        t = round(t + float(rng.uniform(0.1, 0.5)), 3)
        start, items = t, []
        for word in text.split():
            duration = round(float(rng.uniform(0.15, 0.45)), 3)
            items.append(AlignmentItem(alignment_symbol(word), t, duration))
            t = round(t + duration + float(rng.uniform(0.0, 0.05)), 3)
        sups.append(SupervisionSegment(
            id=f"{cut_id}-{k}", recording_id=cut_id, start=start,
            duration=round(t - start, 3), speaker=speaker, text=text,
            alignment={"word": items} if aligned else None,
        ))
    duration = round(t + 0.3, 3)
    wav = out_dir / "audio" / f"{cut_id}.wav"
    write_wav(wav, duration, sampling_rate, rng)
    recording = Recording.from_file(wav, recording_id=cut_id)
    custom = {} if speech_vocab_size is None else {"speech_vocab_size": speech_vocab_size}
    if writer is not None:
        num_frames = int(round(recording.duration / 0.08))
        tokens = rng.integers(0, speech_vocab_size or 64, num_frames).astype(np.int32)
        custom["speech_tokens"] = writer.store_array(cut_id, tokens, frame_shift=0.08,
                                                     temporal_dim=0)
    return MonoCut(cut_id, start=0.0, duration=recording.duration, channel=0,
                   recording=recording, supervisions=sups, custom=custom)


def make_tiny_corpus(tmp_path, num_docs: int = 4, *, turns_per_doc=(2, 5), num_speakers: int = 3,
                     aligned: float = 1.0, with_speech_tokens: bool = True,
                     speech_vocab_size: Optional[int] = 64, text_vocab_size: int = 150,
                     sampling_rate: int = 16000, seed: int = 0, name: str = "tiny"):
    from lhotse import CutSet, NumpyFilesWriter

    rng = np.random.default_rng(seed)
    out = Path(tmp_path) / name
    out.mkdir(parents=True, exist_ok=True)
    docs = []
    for _ in range(num_docs):
        num_turns = int(rng.integers(turns_per_doc[0], turns_per_doc[1] + 1))
        docs.append([(SPEAKERS[int(rng.integers(0, num_speakers))],
                      random_text(rng, int(rng.integers(1, 4))), bool(rng.random() < aligned))
                     for _ in range(num_turns)])
    with NumpyFilesWriter(out / "speech_tokens") as writer:
        cuts = [make_cut(f"{name}-{i:03d}", turns, out, rng=rng,
                         writer=writer if with_speech_tokens else None,
                         speech_vocab_size=speech_vocab_size, sampling_rate=sampling_rate)
                for i, turns in enumerate(docs)]
    cuts_path = out / "cuts.jsonl.gz"
    CutSet.from_cuts(cuts).to_file(cuts_path)
    texts = [text for turns in docs for _, text, _ in turns]
    spm_path = train_tiny_spm(texts, out / "spm.model", vocab_size=text_vocab_size)
    return cuts_path, spm_path


def export_shar(cuts_path, out_dir, shard_size: int = 2) -> Path:
    from lhotse import CutSet

    cuts = CutSet.from_file(cuts_path)
    fields = {"recording": "wav"}
    if next(iter(cuts)).has_custom("speech_tokens"):
        fields["speech_tokens"] = "numpy"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cuts.to_shar(out_dir, fields=fields, shard_size=shard_size)
    return out_dir


def make_training_corpus(root, num_docs: int, sentences_per_text: int) -> Path:
    """A corpus directory as the recipes write it (cuts, spm.model, text.jsonl), drawn from a
    fresh seed: what `spelangy train --data` and the trainer examples read."""
    seed = int(np.random.default_rng().integers(1 << 30))
    cuts, _ = make_tiny_corpus(root, num_docs=num_docs, seed=seed)
    rng = np.random.default_rng(seed)
    write_text_jsonl(cuts.parent / "text.jsonl",
                     [random_text(rng, sentences_per_text) for _ in range(8)])
    return cuts.parent


def saved_and_loaded(state):
    """`state` after `torch.save` and `torch.load`, as a checkpoint keeps it."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)
