# Speech segments of long recordings: a built-in energy segmenter, RTTM files, sidecar word files.
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, NamedTuple

import numpy as np

from ..errors import BadInputError
from .tts import Word


class Segment(NamedTuple):
    """A diarized stretch of speech: [start, end) seconds in the recording, and who spoke."""

    start: float
    end: float
    speaker: str


def energy_segments(samples: np.ndarray, sampling_rate: int, *, frame: float = 0.02,
                    threshold_db: float = -35.0, min_silence: float = 0.6,
                    min_speech: float = 0.25, speaker: str = "spk0") -> List[Segment]:
    """Speech segments by frame energy: a frame is speech when its energy is within
    `threshold_db` of the loudest frames (the 99th percentile, robust to clicks); speech
    runs closer than `min_silence` merge, and runs shorter than `min_speech` are dropped.
    Every segment gets `speaker`: energy alone cannot tell speakers apart."""
    hop = max(1, int(round(frame * sampling_rate)))
    n = len(samples) // hop
    if n == 0:
        return []
    energy = (np.asarray(samples[: n * hop], dtype=np.float64).reshape(n, hop) ** 2).mean(axis=1)
    db = 10.0 * np.log10(energy + 1e-12)
    active = db > np.percentile(db, 99) + threshold_db
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(np.int8), [0]])))
    runs = [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2])]
    merged: List[List[int]] = []
    for a, b in runs:
        if merged and (a - merged[-1][1]) * frame < min_silence:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [Segment(round(a * hop / sampling_rate, 4), round(b * hop / sampling_rate, 4), speaker)
            for a, b in merged if (b - a) * frame >= min_speech]


def read_rttm(path: Path) -> Dict[str, List[Segment]]:
    """Speaker turns from an RTTM file, per file id (`SPEAKER <file> <chan> <start> <dur>
    <NA> <NA> <speaker> ...`), sorted by start."""
    out: Dict[str, List[Segment]] = {}
    for lineno, line in enumerate(Path(path).read_text().splitlines(), 1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        try:
            start, dur = float(fields[3]), float(fields[4])
            out.setdefault(fields[1], []).append(Segment(start, start + dur, fields[7]))
        except (IndexError, ValueError) as e:
            raise BadInputError(f"RTTM line {lineno} is malformed: {line!r}", path=str(path)) from e
    return {k: sorted(v) for k, v in out.items()}


def read_words_tsv(path: Path) -> List[Word]:
    """Words of a sidecar transcript `<name>.words.tsv`: one word per line as
    `start<TAB>end<TAB>word` in seconds from the recording start, the word as written
    (with its punctuation); blank lines and lines starting with `#` are ignored."""
    words = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        try:
            start, end, word = float(fields[0]), float(fields[1]), fields[2].strip()
        except (IndexError, ValueError) as e:
            raise BadInputError(
                f"line {lineno} is not start<TAB>end<TAB>word: {line!r}", path=str(path)) from e
        if not word or end < start:
            raise BadInputError(f"line {lineno} has an empty word or ends before it starts",
                                path=str(path))
        words.append(Word(word, start, end))
    if not words:
        raise BadInputError("the transcript has no words", path=str(path))
    return sorted(words, key=lambda w: w.start)


def words_into_segments(words: List[Word], segments: List[Segment]) -> List[List[Word]]:
    """Each word goes to the first segment holding its midpoint; words in no segment are
    left out (they fell in what the segmenter called silence)."""
    out: List[List[Word]] = [[] for _ in segments]
    starts = np.array([s.start for s in segments])
    for w in words:
        mid = 0.5 * (w.start + w.end)
        i = int(np.searchsorted(starts, mid, side="right")) - 1
        # Segments may overlap (RTTM): look back for the first one that holds the word.
        for j in range(max(i, 0) + 1):
            if segments[j].start <= mid < segments[j].end:
                out[j].append(w)
                break
    return out
