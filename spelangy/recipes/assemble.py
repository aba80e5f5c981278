# Turning spoken turns into one document: a wav under audio/ and a MonoCut with aligned turns.
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from ..errors import BadInputError
from .tts import SAMPLING_RATE, Speech, Word

_DIGITS = 4  # times in the manifest are rounded to 0.1 ms


@dataclass
class Turn:
    """One speaker's turn: their speech, then a pause before the next turn."""

    speaker: str
    speech: Speech
    pause_after: float = 0.3


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write by rename so that an interrupted run never leaves a half file behind."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_wav(path: Path, samples: np.ndarray, sampling_rate: int = SAMPLING_RATE) -> None:
    import soundfile as sf

    tmp = path.with_name(path.stem + ".tmp.wav")
    sf.write(str(tmp), np.clip(samples, -1.0, 1.0), sampling_rate, subtype="PCM_16")
    os.replace(tmp, path)


def make_supervision(sup_id: str, recording_id: str, speaker: str, words: Sequence[Word],
                     offset: float = 0.0):
    """A Lhotse supervision spanning its words, text = the words joined by spaces.

    Word alignment times are on the recording's time line, as is the supervision start
    (Lhotse's convention), so that both shift together when a cut is moved.
    """
    from lhotse import SupervisionSegment
    from lhotse.supervision import AlignmentItem

    if not words:
        raise BadInputError("a turn has no words", cut_id=recording_id)
    items = []
    for w in words:
        start = round(w.start + offset, _DIGITS)
        end = max(start, round(w.end + offset, _DIGITS))
        items.append(AlignmentItem(symbol=w.symbol, start=start, duration=round(end - start, _DIGITS)))
    start = items[0].start
    end = max(round(it.start + it.duration, _DIGITS) for it in items)
    return SupervisionSegment(
        id=sup_id, recording_id=recording_id, start=start, duration=round(end - start, _DIGITS),
        channel=0, text=" ".join(w.symbol for w in words), speaker=speaker, language="en",
        alignment={"word": items},
    )


def assemble_document(doc_id: str, turns: Sequence[Turn], audio_dir: Path,
                      lead_silence: float = 0.3, custom: Optional[dict] = None):
    """Lay the turns end to end with their pauses, write `audio_dir/<doc_id>.wav`, and
    return a MonoCut over the whole recording whose supervisions are the turns."""
    from lhotse import Recording

    pieces: List[np.ndarray] = [np.zeros(int(round(lead_silence * SAMPLING_RATE)), np.float32)]
    cursor = len(pieces[0])
    placed = []
    for t in turns:
        if t.speech.sampling_rate != SAMPLING_RATE:
            raise ValueError(f"turn audio must be {SAMPLING_RATE} Hz, got {t.speech.sampling_rate}")
        placed.append((t, cursor / SAMPLING_RATE))
        gap = np.zeros(int(round(t.pause_after * SAMPLING_RATE)), np.float32)
        pieces += [t.speech.samples, gap]
        cursor += len(t.speech.samples) + len(gap)
    path = audio_dir / f"{doc_id}.wav"
    write_wav(path, np.concatenate(pieces))
    recording = Recording.from_file(path.resolve(), recording_id=doc_id)
    supervisions = [make_supervision(f"{doc_id}-{i:04d}", doc_id, t.speaker, t.speech.words, offset)
                    for i, (t, offset) in enumerate(placed)]
    cut = recording.to_cut()
    cut.id = doc_id
    cut.supervisions = supervisions
    if custom:
        cut.custom = dict(custom)
    return cut


def save_cut(cut, path: Path) -> None:
    data = cut.to_dict() if cut is not None else None
    atomic_write_bytes(path, json.dumps(data).encode("utf-8"))


def load_cut(path: Path):
    """The cut saved by `save_cut`, or None where a recipe recorded that there is none."""
    from lhotse.serialization import deserialize_item

    data = json.loads(path.read_text())
    return deserialize_item(data) if data is not None else None
