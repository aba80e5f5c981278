# The espeak-ng TTS backend: many English accents, word times derived from the audio.
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np

from ..errors import BadInputError, SpelangyError
from .text_sources import split_sentences
from .tts import SAMPLING_RATE, Speech, Word, require_binary, resample, mono

# Five accents, as the paper's synthetic set used five.
DEFAULT_VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp")


def _voiced_span(samples: np.ndarray, rate: int) -> Tuple[float, float]:
    """First and last 10 ms frame louder than 1% of the loudest frame's energy."""
    hop = rate // 100
    n = len(samples) // hop
    if n == 0:
        return 0.0, len(samples) / rate
    energy = (samples[: n * hop].reshape(n, hop) ** 2).mean(axis=1)
    active = np.flatnonzero(energy > 0.01 * energy.max()) if energy.max() > 0 else np.arange(n)
    return active[0] * hop / rate, (active[-1] + 1) * hop / rate


def spread_words(sentence: str, start: float, end: float) -> List[Word]:
    """Word spans for a sentence spoken over [start, end], in proportion to characters.

    espeak-ng reports no word times, so each sentence is synthesized on its own (sentence
    boundaries, which fine chunking splits at, are then exact) and its words share the
    sentence's voiced span by length, one extra character per word for the gap.
    """
    words = sentence.split()
    weights = np.array([len(w) + 1 for w in words], dtype=np.float64)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    return [Word(w, float(edges[i]), float(edges[i + 1])) for i, w in enumerate(words)]


class EspeakTTS:
    """espeak-ng voices; one call per sentence, word times spread by characters."""

    name = "espeak-ng"

    def __init__(self, voices: Sequence[str] = DEFAULT_VOICES, binary: str = "espeak-ng",
                 words_per_minute: int = 165, progress: bool = True):
        self._voices = list(voices)
        self.binary = binary
        self.words_per_minute = words_per_minute
        self.progress = progress

    @property
    def voices(self) -> List[str]:
        return list(self._voices)

    def synthesize(self, requests: Sequence[Tuple[str, str]]) -> List[Speech]:
        from tqdm import tqdm

        binary = require_binary(self.name, self.binary)
        out = []
        with tempfile.TemporaryDirectory(prefix="spelangy-espeak-") as tmp:
            for text, voice in tqdm(requests, desc="espeak-ng", unit="utt", disable=not self.progress):
                if voice not in self._voices:
                    raise SpelangyError(f"espeak-ng: unknown voice {voice!r}; known: {self._voices}")
                out.append(self._say(binary, text, voice, Path(tmp) / "say.wav"))
        return out

    def _say(self, binary: str, text: str, voice: str, wav: Path) -> Speech:
        import soundfile as sf

        sentences = [s for s in split_sentences(text) if any(c.isalnum() for c in s)]
        if not sentences:
            raise BadInputError(f"transcript {text!r} has no words to speak")
        pieces, words, offset = [], [], 0.0
        for sentence in sentences:
            proc = subprocess.run(
                [binary, "-v", voice, "-s", str(self.words_per_minute), "-w", str(wav)],
                input=sentence, capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                raise SpelangyError(f"espeak-ng failed on {sentence!r} with voice {voice!r}: "
                                    f"{proc.stderr.strip()[-500:]}")
            samples, rate = sf.read(str(wav), dtype="float32")
            samples = resample(mono(samples.T), rate, SAMPLING_RATE)
            start, end = _voiced_span(samples, SAMPLING_RATE)
            words += [Word(w.symbol, w.start + offset, w.end + offset)
                      for w in spread_words(sentence, start, end)]
            pieces.append(samples)
            offset += len(samples) / SAMPLING_RATE
        return Speech(np.concatenate(pieces), SAMPLING_RATE, words)
