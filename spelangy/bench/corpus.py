# The benchmark corpus: long multi-speaker documents with word alignments and speech tokens,
# written as an ordinary Lhotse manifest (one file or several), plus a SentencePiece model
# trained on its text.
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import numpy as np

FRAME_SHIFT = 0.08  # 12.5 Hz speech tokens
SAMPLING_RATE = 16000
_SENTENCE_ENDS = (".", ".", ".", ".", "?", "!")
_SYLLABLES = [c + v for c in "bdfghklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


@dataclass(frozen=True)
class CorpusSpec:
    """What `generate_corpus` makes; the corpus directory is reused when the spec matches."""

    num_docs: int = 200
    """Documents (cuts) in the manifest."""
    min_minutes: float = 5.0
    """Shortest document."""
    max_minutes: float = 10.0
    """Longest document."""
    speech_vocab_size: int = 1024
    """Size of the speech-token codebook (codes are drawn uniformly)."""
    text_vocab_size: int = 4000
    """SentencePiece vocabulary size (a soft limit: `hard_vocab_limit=False`)."""
    word_vocab_size: int = 3000
    """Distinct words; drawn with Zipf-like frequencies."""
    seed: int = 0
    """Seed of every random draw: the same spec gives the same corpus."""
    manifest_files: int = 1
    """1: one `cuts.jsonl.gz`; N > 1: `cuts.000000.jsonl.gz` ... `cuts.{N-1:06d}.jsonl.gz`,
    contiguous blocks of documents of near-equal size, in document order (as Lhotse's
    `split_lazy` writes them), for sharding by file."""

    def __post_init__(self):
        if self.num_docs < 1:
            raise ValueError(f"CorpusSpec.num_docs must be at least 1, got {self.num_docs}")
        if not 1 <= self.manifest_files <= self.num_docs:
            raise ValueError(
                f"CorpusSpec.manifest_files must be in [1, num_docs={self.num_docs}], "
                f"got {self.manifest_files}")
        if not 0 < self.min_minutes <= self.max_minutes:
            raise ValueError(
                "CorpusSpec needs 0 < min_minutes <= max_minutes, "
                f"got {self.min_minutes} and {self.max_minutes}"
            )


@dataclass(frozen=True)
class Corpus:
    """Paths of a generated corpus."""

    cuts_paths: List[Path]
    """The manifest files, in document order."""
    spm_path: Path
    spec: CorpusSpec

    @property
    def cuts_path(self) -> Path:
        """The manifest of a corpus written as one file."""
        if len(self.cuts_paths) != 1:
            raise ValueError(f"the corpus has {len(self.cuts_paths)} manifest files: "
                             f"use Corpus.cuts_paths")
        return self.cuts_paths[0]


def manifest_names(spec: CorpusSpec) -> List[str]:
    if spec.manifest_files == 1:
        return ["cuts.jsonl.gz"]
    return [f"cuts.{k:06d}.jsonl.gz" for k in range(spec.manifest_files)]


def file_of_document(spec: CorpusSpec) -> List[int]:
    """The manifest file of each document: contiguous blocks whose sizes differ by one at
    most, the larger ones first."""
    size, larger = divmod(spec.num_docs, spec.manifest_files)
    return [k for k in range(spec.manifest_files) for _ in range(size + (k < larger))]


def make_vocabulary(rng: np.random.Generator, size: int) -> List[str]:
    """Distinct pseudo-words of one to four syllables."""
    words, seen = [], set()
    while len(words) < size:
        n = int(rng.choice(4, p=(0.35, 0.35, 0.2, 0.1))) + 1
        word = "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), n))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _sentence(rng: np.random.Generator, vocab: List[str], cdf: np.ndarray) -> List[str]:
    n = int(rng.integers(3, 15))
    picks = np.searchsorted(cdf, rng.random(n))
    words = [vocab[i] for i in picks]
    words[0] = words[0].capitalize()
    for i in range(1, n - 1):
        if rng.random() < 0.08:
            words[i] += ","
    words[-1] += _SENTENCE_ENDS[int(rng.integers(0, len(_SENTENCE_ENDS)))]
    return words


def _turn_words(rng, vocab, cdf, start: float) -> Tuple[List[Tuple[str, float, float]], float]:
    """Words of one turn with (symbol, start, duration), and the turn's end."""
    # Mostly short turns, some long monologues that fine chunking must split.
    num_sentences = int(rng.integers(4, 12)) if rng.random() < 0.15 else int(rng.integers(1, 4))
    items, t = [], start
    for _ in range(num_sentences):
        for word in _sentence(rng, vocab, cdf):
            duration = round(0.08 + 0.035 * len(word) + 0.04 * rng.random(), 3)
            items.append((word, round(t, 3), duration))
            t = round(t + duration + 0.01 + 0.05 * rng.random(), 3)
        t = round(t + 0.15 * rng.random(), 3)
    end = round(items[-1][1] + items[-1][2], 3)
    return items, end


def iter_documents(spec: CorpusSpec, token_dir: Path, silence: Path, silence_samples: int
                   ) -> Iterator:
    """The corpus as Lhotse cuts, one per document, speech tokens written as .npy files.

    Every recording is the same silent file (no benchmark loads audio), declared with its
    true length; a document is the cut of its first `duration` seconds, so loading its audio
    works as Lhotse expects.
    """
    from lhotse import AudioSource, MonoCut, Recording, SupervisionSegment
    from lhotse.features.io import NumpyFilesWriter
    from lhotse.supervision import AlignmentItem

    rng = np.random.default_rng(spec.seed)
    vocab = make_vocabulary(rng, spec.word_vocab_size)
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    with NumpyFilesWriter(token_dir) as writer:
        for d in range(spec.num_docs):
            cut_id = f"doc{d:06d}"
            target = 60.0 * rng.uniform(spec.min_minutes, spec.max_minutes)
            speakers = [f"{cut_id}-spk{k}" for k in range(int(rng.integers(2, 5)))]
            supervisions, t, speaker, last_end = [], round(0.2 + rng.random(), 3), 0, 0.0
            while True:
                items, end = _turn_words(rng, vocab, cdf, t)
                if supervisions and end > target and last_end >= 60.0 * spec.min_minutes:
                    break
                supervisions.append(SupervisionSegment(
                    id=f"{cut_id}-{len(supervisions):04d}", recording_id=cut_id, start=t,
                    duration=round(end - t, 3), channel=0, text=" ".join(w for w, _, _ in items),
                    language="en", speaker=speakers[speaker],
                    alignment={"word": [AlignmentItem(w, s, du) for w, s, du in items]},
                ))
                # Usually the floor changes hands; sometimes the same speaker goes on.
                if rng.random() < 0.8:
                    speaker = (speaker + int(rng.integers(1, len(speakers)))) % len(speakers)
                last_end = end
                t = round(end + 0.1 + 0.9 * rng.random(), 3)
            duration = round(last_end + 0.5, 3)
            recording = Recording(
                id=cut_id,
                sources=[AudioSource(type="file", channels=[0], source=str(silence))],
                sampling_rate=SAMPLING_RATE,
                num_samples=silence_samples,
                duration=silence_samples / SAMPLING_RATE,
            )
            cut = MonoCut(id=cut_id, start=0.0, duration=duration, channel=0,
                          recording=recording, supervisions=supervisions)
            num_frames = int(np.floor(duration / FRAME_SHIFT + 0.5))
            codes = rng.integers(0, spec.speech_vocab_size, num_frames).astype(np.int16)
            cut.speech_tokens = writer.store_array(
                cut_id, codes, frame_shift=FRAME_SHIFT, temporal_dim=0
            )
            cut.custom["speech_vocab_size"] = spec.speech_vocab_size
            yield cut


def _write_silence(path: Path, seconds: float) -> int:
    import soundfile as sf

    # One silent file longer than every document: FLAC keeps it a few kilobytes.
    num_samples = int(seconds * SAMPLING_RATE)
    sf.write(str(path), np.zeros(num_samples, np.int16), SAMPLING_RATE, format="FLAC")
    return num_samples


def train_spm(texts: List[str], model_prefix: Path, vocab_size: int) -> Path:
    """A unigram SentencePiece model on `texts` (soft vocabulary limit)."""
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_prefix=str(model_prefix), vocab_size=vocab_size,
        hard_vocab_limit=False, input_sentence_size=20000, shuffle_input_sentence=True,
        num_threads=2, minloglevel=2,
    )
    return model_prefix.with_suffix(".model")


def _spec_in(marker: Path) -> Optional[CorpusSpec]:
    """The spec a corpus directory was made with (fields added since take their defaults)."""
    try:
        return CorpusSpec(**json.loads(marker.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def generate_corpus(out_dir, spec: Optional[CorpusSpec] = None, progress: bool = False) -> Corpus:
    """Write the manifest file(s) (see `CorpusSpec.manifest_files`), `speech_tokens/`,
    `silence.flac` and `spm.model` under `out_dir`.

    Idempotent: a directory that already holds a corpus of the same spec is reused; any
    other spec regenerates it (manifests of an earlier spec are removed).
    """
    from lhotse import CutSet
    from tqdm import tqdm

    spec = spec or CorpusSpec()
    out = Path(out_dir).resolve()
    cuts_paths = [out / name for name in manifest_names(spec)]
    spm_path, marker = out / "spm.model", out / "corpus.json"
    before = _spec_in(marker)
    if before == spec and all(p.is_file() for p in cuts_paths) and spm_path.is_file():
        return Corpus(cuts_paths, spm_path, spec)
    out.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    for name in set(manifest_names(before) if before else ()) - set(manifest_names(spec)):
        (out / name).unlink(missing_ok=True)  # only what an earlier spec wrote here
    silence = out / "silence.flac"
    silence_samples = _write_silence(silence, 60.0 * spec.max_minutes + 120.0)
    texts = []
    docs = iter_documents(spec, out / "speech_tokens", silence, silence_samples)
    files, writer, current = file_of_document(spec), None, None
    try:
        for d, cut in enumerate(tqdm(docs, total=spec.num_docs, desc="bench corpus",
                                     disable=not progress)):
            if files[d] != current:  # the next block of documents: the next file
                if writer is not None:
                    writer.close()
                current = files[d]
                writer = CutSet.open_writer(cuts_paths[current], overwrite=True)
            writer.write(cut)
            if len(texts) < 20000:
                texts.extend(s.text for s in cut.supervisions)
    finally:
        if writer is not None:
            writer.close()
    train_spm(texts, out / "spm", spec.text_vocab_size)
    marker.write_text(json.dumps(asdict(spec)))
    return Corpus(cuts_paths, spm_path, spec)
