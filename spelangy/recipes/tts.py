# Pluggable text-to-speech for the recipes: what a backend returns, and how one is chosen.
from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import List, NamedTuple, Protocol, Sequence, Tuple, runtime_checkable

import numpy as np

from ..errors import SpelangyError
from ..reading.audio import mono  # noqa: F401  (re-exported for backends)
from ..speech_tokenizer.audio import resample  # noqa: F401  (re-exported for backends)

SAMPLING_RATE = 16000


class Word(NamedTuple):
    """One spoken word: its written form (with punctuation) and its span in seconds."""

    symbol: str
    start: float
    end: float


@dataclass
class Speech:
    """Synthesized audio of one text, with the time of every word in it."""

    samples: np.ndarray  # float32 [N], mono, at `sampling_rate`
    sampling_rate: int
    words: List[Word]

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sampling_rate

    @property
    def text(self) -> str:
        return " ".join(w.symbol for w in self.words)


@runtime_checkable
class TTSBackend(Protocol):
    """A TTS engine: `voices` names what `synthesize` accepts as a voice.

    `synthesize` takes (text, voice) requests and returns one `Speech` per request, in order,
    at 16 kHz. Word times must be those of the returned audio.
    """

    name: str

    @property
    def voices(self) -> List[str]: ...

    def synthesize(self, requests: Sequence[Tuple[str, str]]) -> List[Speech]: ...


# Debian packages that provide each backend's program and voices.
_PACKAGES = {
    "festival": "festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts",
    "espeak-ng": "espeak-ng",
}


def require_binary(backend: str, binary: str) -> str:
    """The full path of a TTS program, or an error that says which package to install."""
    path = shutil.which(binary)
    if path is None:
        raise SpelangyError(
            f"TTS backend {backend!r} needs the program {binary!r}, which is not on PATH; "
            f"install it with: apt-get install {_PACKAGES.get(backend, backend)}"
        )
    return path


def get_backend(name, **kwargs) -> TTSBackend:
    """A backend by name (`festival`, `espeak-ng`), or the given object if it is one."""
    if not isinstance(name, str):
        if not isinstance(name, TTSBackend):
            raise SpelangyError(f"tts: {name!r} is neither a backend name nor a TTSBackend")
        return name
    if name == "festival":
        from .festival import FestivalTTS

        return FestivalTTS(**kwargs)
    if name == "espeak-ng":
        from .espeak import EspeakTTS

        return EspeakTTS(**kwargs)
    raise SpelangyError(f"tts must be 'festival' or 'espeak-ng', got {name!r}")
