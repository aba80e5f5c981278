# Lhotse-prepared corpora from a local path: a tiny fake LibriSpeech gets speech tokens and spm.
import numpy as np
import soundfile as sf
from lhotse import CutSet
from lhotse.utils import compute_num_frames

from spelangy.errors import SpelangyError
from spelangy.recipes import prepare_lhotse_corpus


def _fake_librispeech(root, rng):
    chapter = root / "LibriSpeech" / "dev-clean-2" / "84" / "121123"
    chapter.mkdir(parents=True)
    texts = {"84-121123-0000": "GO DO YOU HEAR", "84-121123-0001": "BUT IN LESS THAN FIVE MINUTES",
             "84-121123-0002": "THE STAIRCASE GROANED BENEATH AN EXTRAORDINARY WEIGHT"}
    for utt in texts:
        seconds = rng.uniform(1.0, 3.0)
        sf.write(chapter / f"{utt}.flac", (rng.standard_normal(int(seconds * 16000)) * 0.1), 16000)
    (chapter / "84-121123.trans.txt").write_text("".join(f"{k} {v}\n" for k, v in texts.items()))
    return root / "LibriSpeech", texts


def test_librispeech_layout_gets_speech_tokens(tmp_path, rng):
    corpus, texts = _fake_librispeech(tmp_path, rng)
    out = prepare_lhotse_corpus(corpus, tmp_path / "out", num_codes=6, spm_vocab_size=40,
                                progress=False)
    cuts = sorted(CutSet.from_file(out), key=lambda c: c.id)
    assert [c.id for c in cuts] == sorted(texts)
    for cut in cuts:
        assert [s.text for s in cut.supervisions] == [texts[cut.id]]
        codes = cut.load_speech_tokens()
        assert len(codes) == compute_num_frames(cut.duration, 0.08, 16000)
        assert cut.custom["speech_vocab_size"] == 6 and codes.max() < 6
    assert (tmp_path / "out" / "spm.model").exists()
    assert len((tmp_path / "out" / "text.jsonl").read_text().splitlines()) == 3


def test_unknown_lhotse_recipe(tmp_path):
    import pytest

    with pytest.raises(SpelangyError, match="Lhotse has no recipe prepare_nonexistent"):
        prepare_lhotse_corpus(tmp_path, tmp_path / "out", corpus="nonexistent")
