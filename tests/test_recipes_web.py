# The web recipe on long recordings made with the mini machinery: turns, transcripts, filters, bad input.
import json
import shutil

import numpy as np
import pytest
from lhotse import CutSet

from recipes_data import mini_corpus
from spelangy.errors import BadInputError, SpelangyError
from spelangy.recipes import energy_segments, prepare_web
from spelangy.recipes.segments import Segment
from spelangy.recipes.tts import Word
from spelangy.recipes.web import WebStats, filter_turns


def _mini_cuts():
    return list(CutSet.from_file(mini_corpus() / "cuts.jsonl.gz"))


def _write_inputs(cut, folder, rttm=True, words=True):
    folder.mkdir(exist_ok=True)
    shutil.copy(cut.recording.sources[0].source, folder / f"{cut.id}.wav")
    if words:
        lines = [f"{w.start:.4f}\t{w.end:.4f}\t{w.symbol}" for s in cut.supervisions
                 for w in s.alignment["word"]]
        (folder / f"{cut.id}.words.tsv").write_text("# start\tend\tword\n" + "\n".join(lines) + "\n")
    if rttm:
        (folder / f"{cut.id}.rttm").write_text("".join(
            f"SPEAKER {cut.id} 1 {s.start:.4f} {s.duration:.4f} <NA> <NA> {s.speaker} <NA> <NA>\n"
            for s in cut.supervisions))


def test_rttm_and_sidecar_words_give_back_the_turns(tmp_path):
    cuts = _mini_cuts()
    for cut in cuts:
        _write_inputs(cut, tmp_path / "in")
    out = prepare_web(tmp_path / "in", tmp_path / "out", num_codes=8, spm_vocab_size=200,
                      progress=False)
    got = {c.id: c for c in CutSet.from_file(out)}
    assert sorted(got) == [c.id for c in cuts]
    for cut in cuts:
        web = got[cut.id]
        assert web.start == 0 and web.duration == pytest.approx(cut.duration, abs=1e-3)
        assert [(s.speaker, s.text, s.start, s.duration) for s in web.supervisions] == \
               [(s.speaker, s.text, s.start, s.duration) for s in cut.supervisions]
        assert web.supervisions[0].alignment == cut.supervisions[0].alignment
        assert len(web.load_speech_tokens()) == len(cut.load_speech_tokens())
    stats = json.loads((tmp_path / "out" / "web_stats.json").read_text())
    n = sum(len(c.supervisions) for c in cuts)
    assert stats == {"recordings": 2, "segments": n, "empty": 0, "repeated": 0, "looping": 0,
                     "kept": n, "recordings_without_turns": 0}
    for name in ("spm.model", "text.jsonl", "speech_tokenizer.npz"):
        assert (tmp_path / "out" / name).exists()


def test_energy_segmenter_finds_the_turns():
    cut = _mini_cuts()[0]
    audio, sr = cut.load_audio()[0], cut.sampling_rate
    segs = energy_segments(audio, sr)
    speech = np.zeros(int(cut.duration * 100) + 1, bool)
    for s in segs:
        speech[int(s.start * 100):int(s.end * 100)] = True
    truth = np.zeros_like(speech)
    for s in cut.supervisions:
        truth[int(s.start * 100):int(s.end * 100)] = True
    assert (speech & truth).sum() >= 0.97 * truth.sum()
    assert (speech & ~truth).sum() <= 0.1 * speech.sum()
    assert len(segs) >= len(cut.supervisions) // 2


def test_energy_segmenter_without_rttm(tmp_path):
    cut = _mini_cuts()[1]
    _write_inputs(cut, tmp_path / "in", rttm=False)
    out = prepare_web(tmp_path / "in", tmp_path / "out", num_codes=8, spm_vocab_size=200,
                      progress=False)
    web = CutSet.from_file(out)[0]
    assert {s.speaker for s in web.supervisions} == {"spk0"}
    spoken = [w.symbol for s in cut.supervisions for w in s.alignment["word"]]
    assert [w.symbol for s in web.supervisions for w in s.alignment["word"]] == spoken


def test_asr_callable_and_repeated_transcripts(tmp_path):
    cut = _mini_cuts()[0]
    _write_inputs(cut, tmp_path / "in", words=False)
    calls = []

    def asr(samples, sampling_rate):
        calls.append(len(samples) / sampling_rate)
        return [("Hello", 0.1, 0.4), ("again.", 0.4, 0.9)]

    out = prepare_web(tmp_path / "in", tmp_path / "out", asr=asr, num_codes=4, spm_vocab_size=50,
                      progress=False)
    web = CutSet.from_file(out)[0]
    first = cut.supervisions[0]
    assert len(calls) == len(cut.supervisions)
    assert [(s.text, s.start, s.speaker) for s in web.supervisions] == \
           [("Hello again.", round(first.start + 0.1, 4), first.speaker)]
    stats = json.loads((tmp_path / "out" / "web_stats.json").read_text())
    assert stats["repeated"] == len(cut.supervisions) - 1


def test_filters_count_what_they_drop():
    def words(text):
        return [Word(w, i * 0.3, i * 0.3 + 0.2) for i, w in enumerate(text.split())]

    turns = [(Segment(0, 1, "a"), words("Good morning.")), (Segment(1, 2, "b"), []),
             (Segment(2, 3, "a"), words("good MORNING")),
             (Segment(3, 5, "b"), words("the the the the the the the the the")),
             (Segment(5, 6, "a"), words("Fine, thanks."))]
    stats = WebStats()
    kept = filter_turns(turns, stats)
    assert [k[0].start for k in kept] == [0, 5]
    assert (stats.segments, stats.empty, stats.repeated, stats.looping, stats.kept) == (5, 1, 1, 1, 2)


def test_unreadable_audio(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    (tmp_path / "in" / "bad.words.tsv").write_text("0.1\t0.5\thello\n")
    with pytest.raises(BadInputError, match=r"cannot read audio.*file .*bad\.wav"):
        prepare_web(tmp_path / "in", tmp_path / "out", progress=False)


def test_recording_shorter_than_its_turns(tmp_path):
    cut = _mini_cuts()[0]
    _write_inputs(cut, tmp_path / "in")
    with open(tmp_path / "in" / f"{cut.id}.rttm", "a") as f:
        f.write(f"SPEAKER {cut.id} 1 {cut.duration + 1:.2f} 2.00 <NA> <NA> ked <NA> <NA>\n")
    with pytest.raises(BadInputError, match=rf"ends at {cut.duration + 3:.2f} s but the recording "
                                            rf"is only {cut.duration:.2f} s long.*cut '{cut.id}'"):
        prepare_web(tmp_path / "in", tmp_path / "out", progress=False)


def test_transcript_with_no_words(tmp_path):
    cut = _mini_cuts()[0]
    _write_inputs(cut, tmp_path / "in")
    (tmp_path / "in" / f"{cut.id}.words.tsv").write_text("# start\tend\tword\n\n")
    with pytest.raises(BadInputError, match=rf"the transcript has no words.*{cut.id}\.words\.tsv"):
        prepare_web(tmp_path / "in", tmp_path / "out", progress=False)


def test_missing_transcript(tmp_path):
    cut = _mini_cuts()[0]
    _write_inputs(cut, tmp_path / "in", words=False)
    with pytest.raises(SpelangyError, match=rf"no transcript for .*{cut.id}\.wav.*words\.tsv"):
        prepare_web(tmp_path / "in", tmp_path / "out", progress=False)
