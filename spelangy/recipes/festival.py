# The festival TTS backend: English voices from Debian packages, word times from festival itself.
from __future__ import annotations

import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import BadInputError, SpelangyError
from .tts import SAMPLING_RATE, Speech, Word, require_binary, mono

VOICE_PACKAGES = {
    "kal_diphone": "festvox-kallpc16k",
    "ked_diphone": "festvox-kdlpc16k",
    "cmu_us_slt_arctic_hts": "festvox-us-slt-hts",
}
_DIPHONE_F0 = "(model_f0_mean 170) (model_f0_std 34)"


@dataclass(frozen=True)
class FestivalSpeaker:
    """A speaker made from a festival voice. Rate and pitch variations make more speakers
    than there are voices."""

    name: str
    voice: str
    """Festival voice name, e.g. `kal_diphone`."""
    duration_stretch: float = 1.0
    """Festival's Duration_Stretch (>1 is slower); HTS voices time themselves and ignore it."""
    f0_mean: Optional[float] = None
    """Target mean pitch in Hz for the diphone voices' intonation model (their default: 105)."""
    speed: float = 1.0
    """Tape-speed factor applied to the audio (>1 is faster and higher); word times follow."""


DEFAULT_SPEAKERS = (
    FestivalSpeaker("kal", "kal_diphone"),
    FestivalSpeaker("kal-quick", "kal_diphone", duration_stretch=0.88, f0_mean=132.0),
    FestivalSpeaker("ked", "ked_diphone"),
    FestivalSpeaker("ked-slow", "ked_diphone", duration_stretch=1.15, f0_mean=86.0),
    FestivalSpeaker("slt", "cmu_us_slt_arctic_hts"),
    FestivalSpeaker("slt-low", "cmu_us_slt_arctic_hts", speed=0.9),
)

# Each top-level token of the utterance (a written word with its punctuation) is printed
# with the start and end of every word festival made of it ("1984" -> three words).
# Punctuation-only words have no syllables, so their times read as 0.
_SCHEME_HELPERS = r"""
(define (spelangy_tokens tok i)
  (if tok
    (begin
      (format t "W\t%d\t%s\t%s\t%s" i (item.feat tok "prepunctuation") (item.name tok)
              (item.feat tok "punc"))
      (mapcar (lambda (w)
                (format t "\t%s\t%s"
                        (item.feat w "R:SylStructure.daughter1.daughter1.segment_start")
                        (item.feat w "R:SylStructure.daughtern.daughtern.end")))
              (item.daughters tok))
      (format t "\n")
      (spelangy_tokens (item.next tok) i))))
(define (spelangy_say text path i)
  (let ((utt (eval (list (quote Utterance) (quote Text) text))))
    (utt.synth utt)
    (utt.wave.resample utt {rate})
    (utt.save.wave utt path 'riff)
    (spelangy_tokens (utt.relation.first utt 'Token) i)
    (format t "DONE\t%d\n" i)))
""".format(rate=SAMPLING_RATE)


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _voice_setup(speaker: FestivalSpeaker) -> str:
    lines = [f"(voice_{speaker.voice})"]
    if speaker.duration_stretch != 1.0:
        lines.append(f"(Parameter.set 'Duration_Stretch {speaker.duration_stretch})")
    if speaker.f0_mean is not None:
        lines.append(
            f"(set! int_lr_params '((target_f0_mean {speaker.f0_mean}) (target_f0_std 14) "
            f"{_DIPHONE_F0}))"
        )
    return "\n".join(lines)


def _parse_words(lines: List[str], texts: Dict[int, str]) -> Dict[int, List[Word]]:
    """Word spans per utterance. Festival's tokens are the whitespace-separated words of
    the input, so the input's own spelling is kept where the counts agree (festival drops
    the final period of "API." or "U.S." from its token name)."""
    tokens: Dict[int, list] = {}
    for line in lines:
        if not line.startswith("W\t"):
            continue
        fields = line.rstrip("\n").split("\t")
        index, pre, name, punc = int(fields[1]), fields[2], fields[3], fields[4]
        times = [(float(a), float(b)) for a, b in zip(fields[5::2], fields[6::2]) if float(b) > 0]
        symbol = (pre if pre != "0" else "") + name + (punc if punc != "0" else "")
        tokens.setdefault(index, []).append((symbol, times))
    words: Dict[int, List[Word]] = {}
    for index, toks in tokens.items():
        written = texts[index].split()
        if len(written) == len(toks):
            toks = [(w, times) for w, (_, times) in zip(written, toks)]
        # A token festival did not speak ("--", a lone bracket) has no times and is left out.
        words[index] = [Word(sym, min(a for a, _ in t), max(b for _, b in t)) for sym, t in toks if t]
    return words


class FestivalTTS:
    """Festival's English voices; word times come from festival's own segment times."""

    name = "festival"

    def __init__(self, speakers: Sequence[FestivalSpeaker] = DEFAULT_SPEAKERS,
                 binary: str = "festival", num_workers: int = 2, batch_size: int = 12,
                 progress: bool = True):
        self.speakers = {s.name: s for s in speakers}
        self.binary = binary
        self.num_workers = num_workers
        self.batch_size = batch_size
        self.progress = progress
        self._checked = False

    @property
    def voices(self) -> List[str]:
        return list(self.speakers)

    def _check(self) -> str:
        path = require_binary(self.name, self.binary)
        if not self._checked:
            out = subprocess.run([path, "--batch", "(print (voice.list))"], capture_output=True,
                                 text=True, check=False).stdout
            installed = set(re.findall(r"[\w-]+", out))
            for speaker in self.speakers.values():
                if speaker.voice not in installed:
                    package = VOICE_PACKAGES.get(speaker.voice, "the package that provides it")
                    raise SpelangyError(
                        f"festival voice {speaker.voice!r} (speaker {speaker.name!r}) is not "
                        f"installed; install it with: apt-get install {package}"
                    )
            self._checked = True
        return path

    def synthesize(self, requests: Sequence[Tuple[str, str]]) -> List[Speech]:
        from tqdm import tqdm

        binary = self._check()
        for text, voice in requests:
            if voice not in self.speakers:
                raise SpelangyError(f"festival: unknown speaker {voice!r}; known: {self.voices}")
            if not re.search(r"[A-Za-z0-9]", text):
                raise BadInputError(f"transcript {text!r} has no words to speak")
        by_voice: Dict[str, List[int]] = {}
        for i, (_, voice) in enumerate(requests):
            by_voice.setdefault(voice, []).append(i)
        batches = [(voice, idx[b:b + self.batch_size]) for voice, idx in sorted(by_voice.items())
                   for b in range(0, len(idx), self.batch_size)]
        results: List[Optional[Speech]] = [None] * len(requests)
        bar = tqdm(total=len(requests), desc="festival", unit="utt", disable=not self.progress)
        with ThreadPoolExecutor(self.num_workers) as pool:
            futures = [pool.submit(self._run_batch, binary, self.speakers[voice],
                                   [(i, requests[i][0]) for i in idx]) for voice, idx in batches]
            for future in futures:
                for i, speech in future.result().items():
                    results[i] = speech
                    bar.update(1)
        bar.close()
        return results  # type: ignore[return-value]

    def _run_batch(self, binary: str, speaker: FestivalSpeaker,
                   items: List[Tuple[int, str]]) -> Dict[int, Speech]:
        import soundfile as sf

        with tempfile.TemporaryDirectory(prefix="spelangy-festival-") as tmp:
            script = [_voice_setup(speaker), _SCHEME_HELPERS]
            for i, text in items:
                script.append(f"(spelangy_say {_scheme_string(text)} {_scheme_string(f'{tmp}/{i}.wav')} {i})")
            script_path = Path(tmp) / "say.scm"
            script_path.write_text("\n".join(script) + "\n")
            proc = subprocess.run([binary, "--batch", str(script_path)], capture_output=True,
                                  text=True, check=False)
            lines = proc.stdout.splitlines()
            done = {int(ln.split("\t")[1]) for ln in lines if ln.startswith("DONE\t")}
            missing = [i for i, _ in items if i not in done]
            if missing:
                text = dict(items)[missing[0]]
                raise SpelangyError(
                    f"festival failed on {text!r} with speaker {speaker.name!r}: "
                    f"{(proc.stderr or proc.stdout).strip()[-500:]}"
                )
            words = _parse_words(lines, dict(items))
            out = {}
            for i, text in items:
                if not words.get(i):
                    raise BadInputError(f"festival spoke no words of the transcript {text!r}")
                samples, rate = sf.read(f"{tmp}/{i}.wav", dtype="float32")
                out[i] = _apply_speed(Speech(mono(samples.T), rate, words[i]), speaker.speed)
            return out


def _apply_speed(speech: Speech, factor: float) -> Speech:
    if factor == 1.0:
        return speech
    from lhotse.augmentation import Speed

    samples = Speed(factor=factor)(speech.samples[None, :], speech.sampling_rate)[0]
    words = [Word(w.symbol, w.start / factor, w.end / factor) for w in speech.words]
    return Speech(np.ascontiguousarray(samples, dtype=np.float32), speech.sampling_rate, words)
