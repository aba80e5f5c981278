# The synthetic recipe: prose and qa documents read by espeak-ng and festival voices, bad input.
import json

import pytest
from lhotse import CutSet

from spelangy.errors import BadInputError, SpelangyError
from spelangy.recipes import prepare_synthetic
from spelangy.recipes.espeak import DEFAULT_VOICES, spread_words


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


PROSE = ["Rivers carve valleys over long ages. Water moves stone grain by grain. "
         "Floods reshape the banks each spring. Some rivers dry up in summer.",
         "Bees visit many flowers in one trip. They carry pollen from plant to plant."]


def test_prose_with_espeak(tmp_path):
    src = _jsonl(tmp_path / "prose.jsonl", [{"text": t} for t in PROSE])
    out = prepare_synthetic(src, tmp_path / "out", tts="espeak-ng", seed=5, num_codes=8,
                            spm_vocab_size=80, progress=False)
    cuts = list(CutSet.from_file(out))
    assert [c.id for c in cuts] == ["synthetic-prose-0000001", "synthetic-prose-0000002"]
    for cut, text in zip(cuts, PROSE):
        assert " ".join(s.text for s in cut.supervisions) == text
        assert all(s.speaker in DEFAULT_VOICES for s in cut.supervisions)
        for s in cut.supervisions:
            assert 1 <= s.text.count(".") <= 2  # chunks of one or two sentences
            words = s.alignment["word"]
            assert [w.symbol for w in words] == s.text.split()
            assert all(a.end <= b.start + 1e-4 for a, b in zip(words, words[1:]))
        assert len(cut.load_speech_tokens()) == round(cut.duration / 0.08)
    assert [json.loads(ln)["text"] for ln in (tmp_path / "out" / "text.jsonl").read_text().splitlines()] == PROSE


def test_voices_are_drawn_by_seed(tmp_path):
    src = _jsonl(tmp_path / "prose.jsonl", [{"text": PROSE[0]}])
    speakers = []
    for seed in (1, 1, 2):
        out = prepare_synthetic(src, tmp_path / f"out{len(speakers)}", tts="espeak-ng", seed=seed,
                                num_codes=4, spm_vocab_size=40, max_sentences_per_chunk=1,
                                progress=False)
        speakers.append([s.speaker for s in CutSet.from_file(out)[0].supervisions])
    assert speakers[0] == speakers[1] and len(speakers[0]) == 4  # a seed gives its voices
    assert speakers[2] != speakers[0]  # another seed, other voices (fixed seeds: no chance)
    assert set(speakers[0] + speakers[2]) <= set(DEFAULT_VOICES)
    assert len(set(speakers[0] + speakers[2])) > 1


def test_qa_with_festival(tmp_path):
    src = _jsonl(tmp_path / "qa.jsonl", [{"id": "q1", "question": "Why is the sky blue?",
                                          "answer": "Air scatters blue light the most. So we see blue."}])
    out = prepare_synthetic(src, tmp_path / "out", variant="qa", tts="festival",
                            max_sentences_per_chunk=1, num_codes=4, spm_vocab_size=40, progress=False)
    cut = CutSet.from_file(out)[0]
    assert cut.id == "q1"
    assert [(s.custom["role"], s.text) for s in cut.supervisions] == [
        ("question", "Why is the sky blue?"), ("answer", "Air scatters blue light the most."),
        ("answer", "So we see blue.")]
    assert all(s.speaker in ("kal", "kal-quick", "ked", "ked-slow", "slt", "slt-low")
               for s in cut.supervisions)


def test_spread_words_tiles_the_span():
    words = spread_words("Hi there, friend.", 1.0, 2.8)
    assert [w.symbol for w in words] == ["Hi", "there,", "friend."]
    assert words[0].start == 1.0 and words[-1].end == pytest.approx(2.8)
    assert [round(w.end - w.start, 6) for w in words] == [0.3, 0.7, 0.8]


def test_document_with_no_words(tmp_path):
    src = _jsonl(tmp_path / "bad.jsonl", [{"text": PROSE[1]}, {"text": " ... "}])
    with pytest.raises(BadInputError, match=r"line 2: field 'text' has no words.*bad\.jsonl"):
        prepare_synthetic(src, tmp_path / "out", tts="espeak-ng", progress=False)


def test_qa_line_without_answer(tmp_path):
    src = _jsonl(tmp_path / "qa.jsonl", [{"question": "Where?"}])
    with pytest.raises(BadInputError, match=r"line 1 is not a JSON object with fields "
                                            r"\['question', 'answer'\]"):
        prepare_synthetic(src, tmp_path / "out", variant="qa", tts="espeak-ng", progress=False)


def test_espeak_missing_names_the_package(tmp_path):
    src = _jsonl(tmp_path / "prose.jsonl", [{"text": PROSE[1]}])
    with pytest.raises(SpelangyError, match=r"'espeak-ng' needs the program 'no-espeak'.*"
                                            r"apt-get install espeak-ng"):
        prepare_synthetic(src, tmp_path / "out", tts="espeak-ng",
                          tts_options={"binary": "no-espeak"}, progress=False)
