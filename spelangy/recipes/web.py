# The `web` recipe: long raw recordings -> segments and speakers -> transcripts -> filtered cuts.
from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import BadInputError, SpelangyError
from ..reading.audio import short_reason
from .assemble import load_cut, make_supervision, save_cut, write_wav
from .output import finish_corpus
from .segments import Segment, energy_segments, read_rttm, read_words_tsv, words_into_segments
from .tts import SAMPLING_RATE, Word, mono, resample

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")
# diarize(samples, sampling_rate) -> [(start, end, speaker)], seconds in the recording
Diarizer = Callable[[np.ndarray, int], Sequence[Tuple[float, float, str]]]
# asr(samples, sampling_rate) -> [(word, start, end)], seconds from the segment start
Recognizer = Callable[[np.ndarray, int], Sequence[Tuple[str, float, float]]]
_TOLERANCE = 0.05  # seconds a turn may run past the audio end (rounding in RTTM files)


@dataclass
class WebStats:
    """What the filters did, summed over recordings (written to `web_stats.json`)."""

    recordings: int = 0
    segments: int = 0
    empty: int = 0
    repeated: int = 0
    looping: int = 0
    kept: int = 0
    recordings_without_turns: int = 0


def _normalized(words: List[Word]) -> str:
    return " ".join(re.sub(r"[^\w']", "", w.symbol.lower()) for w in words)


def filter_turns(turns: List[Tuple[Segment, List[Word]]], stats: WebStats):
    """Drop turns with no words, turns whose text repeats an earlier turn of the recording
    (a stuck ASR or a jingle), and turns that loop on a few words."""
    seen, kept = set(), []
    for seg, words in turns:
        stats.segments += 1
        if not words:
            stats.empty += 1
            continue
        key = _normalized(words)
        if key in seen:
            stats.repeated += 1
            continue
        seen.add(key)
        if len(words) >= 8 and len(set(key.split())) < 0.3 * len(words):
            stats.looping += 1
            continue
        kept.append((seg, words))
    stats.kept += len(kept)
    return kept


def _load_audio(path: Path) -> np.ndarray:
    from lhotse import Recording

    try:
        rec = Recording.from_file(path)
        return resample(mono(rec.load_audio()), rec.sampling_rate, SAMPLING_RATE)
    except Exception as e:  # soundfile/ffmpeg raise many types for a bad file
        raise BadInputError(f"cannot read audio: {short_reason(e)}", path=str(path)) from e


def _check_inside(what: str, end: float, duration: float, path: Path, rec_id: str) -> None:
    if end > duration + _TOLERANCE:
        raise BadInputError(
            f"{what} ends at {end:.2f} s but the recording is only {duration:.2f} s long",
            path=str(path), cut_id=rec_id)


def _transcribe(rec_id: str, audio_path: Path, samples: np.ndarray, segments: List[Segment],
                asr: Optional[Recognizer]) -> List[List[Word]]:
    if asr is not None:
        out = []
        for seg in segments:
            a, b = int(seg.start * SAMPLING_RATE), int(seg.end * SAMPLING_RATE)
            out.append([Word(str(w), seg.start + float(s), seg.start + float(e))
                        for w, s, e in asr(samples[a:b], SAMPLING_RATE)])
        return out
    sidecar = audio_path.with_name(audio_path.stem + ".words.tsv")
    if not sidecar.exists():
        raise SpelangyError(
            f"web: no transcript for {audio_path}: pass an ASR callable or put "
            f"{sidecar.name} (start<TAB>end<TAB>word per line) next to it")
    words = read_words_tsv(sidecar)
    _check_inside("the transcript", words[-1].end if words else 0.0,
                  len(samples) / SAMPLING_RATE, sidecar, rec_id)
    return words_into_segments(words, segments)


def process_recording(audio_path: Path, audio_dir: Path, stats: WebStats, *,
                      diarize: Optional[Diarizer] = None, rttm: Optional[dict] = None,
                      asr: Optional[Recognizer] = None):
    """One long recording -> one cut whose supervisions are its kept turns (None if none)."""
    from lhotse import Recording

    rec_id = audio_path.stem
    samples = _load_audio(audio_path)
    duration = len(samples) / SAMPLING_RATE
    if diarize is not None:
        segments = [Segment(float(a), float(b), str(s)) for a, b, s in diarize(samples, SAMPLING_RATE)]
    elif rttm is not None and rec_id in rttm:
        segments = rttm[rec_id]
    else:
        segments = energy_segments(samples, SAMPLING_RATE)
    segments = sorted(segments)
    if segments:
        _check_inside(f"turn {segments[-1].start:.2f}-{segments[-1].end:.2f} s",
                      max(s.end for s in segments), duration, audio_path, rec_id)
    turns = filter_turns(list(zip(segments, _transcribe(rec_id, audio_path, samples, segments, asr))),
                         stats)
    stats.recordings += 1
    if not turns:
        stats.recordings_without_turns += 1
        return None
    wav = audio_dir / f"{rec_id}.wav"
    write_wav(wav, samples)
    cut = Recording.from_file(wav.resolve(), recording_id=rec_id).to_cut()
    cut.supervisions = [make_supervision(f"{rec_id}-{i:05d}", rec_id, seg.speaker, words)
                        for i, (seg, words) in enumerate(turns)]
    cut.custom = {"source_audio": str(audio_path)}
    return cut


def prepare_web(input_dir, output_dir, *, diarize: Optional[Diarizer] = None,
                rttm: Optional[Path] = None, asr: Optional[Recognizer] = None,
                num_codes: int = 256, spm_vocab_size: int = 1000, seed: int = 0,
                shar: bool = False, progress: bool = True) -> Path:
    """Build a corpus from the long recordings in `input_dir` (wav, flac, mp3, ...).

    Turns come from `diarize`, else from the RTTM file `rttm` (or `<name>.rttm` beside the
    audio), else from the built-in energy segmenter (one speaker per recording).
    Transcripts come from `asr`, else from the sidecar `<name>.words.tsv` beside the audio
    (`start<TAB>end<TAB>word` per line, seconds from the recording start). Empty, repeated
    and looping transcripts are dropped and counted in `web_stats.json`.
    """
    from tqdm import tqdm

    input_dir, output_dir = Path(input_dir), Path(output_dir)
    files = sorted(p for p in input_dir.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise SpelangyError(f"web: no audio files ({', '.join(AUDIO_SUFFIXES)}) in {input_dir}")
    audio_dir = output_dir / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    shared_rttm = read_rttm(rttm) if rttm is not None else {}
    stats_path = output_dir / "web_stats.json"
    stats = WebStats(**json.loads(stats_path.read_text())) if stats_path.exists() else WebStats()
    cuts = []
    for path in tqdm(files, desc="web", unit="rec", disable=not progress):
        done = audio_dir / f"{path.stem}.json"
        if done.exists():
            cut = load_cut(done)
        else:
            side = path.with_name(path.stem + ".rttm")
            table = {**read_rttm(side), **shared_rttm} if side.exists() else shared_rttm
            cut = process_recording(path, audio_dir, stats, diarize=diarize, rttm=table, asr=asr)
            # A recording with no usable turn is remembered too, so a rerun skips it.
            save_cut(cut, done)
            stats_path.write_text(json.dumps(asdict(stats)))
        if cut is not None:
            cuts.append(cut)
    if not cuts:
        raise SpelangyError(f"web: no recording in {input_dir} kept any turn ({asdict(stats)})")
    log.info("web: %s", asdict(stats))
    texts = [" ".join(s.text for s in c.supervisions) for c in cuts]
    return finish_corpus(output_dir, cuts, texts, num_codes=num_codes,
                         spm_vocab_size=spm_vocab_size, seed=seed, shar=shar, progress=progress)
