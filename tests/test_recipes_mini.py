# The mini recipe: corpus layout, exact word alignments, speech tokens, spm, idempotency, bad input.
import json
import os
import re

import numpy as np
import pytest
from lhotse import CutSet
from lhotse.utils import compute_num_frames

from recipes_data import mini_corpus
from spelangy.errors import SpelangyError
from spelangy.recipes import prepare_mini
from spelangy.recipes.festival import DEFAULT_SPEAKERS


@pytest.fixture(scope="module")
def corpus():
    root = mini_corpus()
    return root, list(CutSet.from_file(root / "cuts.jsonl.gz"))


def test_layout_and_cut_contract(corpus):
    root, cuts = corpus
    for name in ("cuts.jsonl.gz", "spm.model", "spm.vocab", "text.jsonl", "speech_tokenizer.npz"):
        assert (root / name).is_file(), name
    assert [c.id for c in cuts] == ["mini-0000", "mini-0001"]
    speakers = {s.name for s in DEFAULT_SPEAKERS}
    for cut in cuts:
        assert cut.start == 0 and cut.duration == cut.recording.duration
        assert cut.recording.sources[0].source.startswith(str(root / "audio"))
        sups = cut.supervisions
        assert len({s.speaker for s in sups}) >= 2 and {s.speaker for s in sups} <= speakers
        # Some speaker keeps the floor for consecutive turns: what coarse chunking merges.
        assert any(a.speaker == b.speaker for a, b in zip(sups, sups[1:]))
        for prev, sup in zip(sups, sups[1:]):
            assert sup.start >= prev.end
        for sup in sups:
            words = sup.alignment["word"]
            assert sup.text and sup.text == " ".join(w.symbol for w in words)
            assert words[0].start == sup.start
            assert max(w.end for w in words) == pytest.approx(sup.end, abs=1e-4)
            assert all(w.start >= sup.start and w.end <= sup.end + 1e-4 for w in words)
            assert sup.end <= cut.duration
        assert re.search(r"[.!?]$", sups[0].text)


def test_speech_tokens_cover_the_cut(corpus):
    _, cuts = corpus
    for cut in cuts:
        codes = cut.load_speech_tokens()
        assert codes.dtype == np.int32
        assert len(codes) == compute_num_frames(cut.duration, 0.08, cut.sampling_rate)
        assert cut.speech_tokens.frame_shift == 0.08 and cut.speech_tokens.temporal_dim == 0
        assert cut.custom["speech_vocab_size"] == 16
        assert 0 <= codes.min() and codes.max() < 16


def test_word_times_match_the_audio(corpus):
    # Pauses between turns are silence by construction; turns hold the speech energy.
    _, cuts = corpus
    for cut in cuts:
        audio = cut.load_audio()[0]
        sr = cut.sampling_rate
        inside = np.concatenate([audio[int(s.start * sr):int(s.end * sr)] for s in cut.supervisions])
        gaps = np.concatenate([audio[int(a.end * sr) + 800:int(b.start * sr) - 800]
                               for a, b in zip(cut.supervisions, cut.supervisions[1:])])
        assert np.sqrt((gaps ** 2).mean()) < 0.1 * np.sqrt((inside ** 2).mean())
        for sup in cut.supervisions:
            for w in sup.alignment["word"]:
                seg = audio[int(w.start * sr):int(w.end * sr)]
                assert np.abs(seg).max() > 0.01, (cut.id, w)


def test_spm_pieces_never_cross_whitespace(corpus):
    import sentencepiece as spm

    root, cuts = corpus
    sp = spm.SentencePieceProcessor(model_file=str(root / "spm.model"))
    text = cuts[0].supervisions[0].text
    whole = sp.encode(text)
    assert whole == [i for w in text.split() for i in sp.encode(w)]


def test_text_jsonl_holds_unspoken_text(corpus):
    root, cuts = corpus
    lines = (root / "text.jsonl").read_text().splitlines()
    docs = [json.loads(ln)["text"] for ln in lines]
    assert len(docs) > 10 and all(d.strip() for d in docs)
    spoken = {s.text for c in cuts for s in c.supervisions}
    assert not any(sup in doc for doc in docs[:5] for sup in spoken)


def test_rerun_redoes_nothing(corpus):
    root, _ = corpus
    files = [root / "cuts.jsonl.gz", root / "spm.model", root / "audio" / "mini-0000.wav",
             root / "speech_tokenizer.npz"]
    before = [os.stat(f).st_mtime_ns for f in files]
    assert prepare_mini(root, num_documents=2, num_codes=16, spm_vocab_size=300,
                        progress=False, festival_binary="no-such-festival") == root / "cuts.jsonl.gz"
    assert [os.stat(f).st_mtime_ns for f in files] == before


def test_user_text_file(tmp_path):
    text = tmp_path / "story.txt"
    text.write_text("The red fox ran over the quiet hill. A small bird sang in the old tree.\n\n"
                    "Rain fell on the town all night long. By morning the river was high.\n")
    out = prepare_mini(tmp_path / "out", num_documents=1, text_files=[text], num_codes=8,
                       spm_vocab_size=60, progress=False)
    cut = CutSet.from_file(out)[0]
    spoken = " ".join(s.text for s in cut.supervisions)
    assert spoken == ("The red fox ran over the quiet hill. A small bird sang in the old tree. "
                      "Rain fell on the town all night long. By morning the river was high.")


def test_text_file_without_readable_sentences(tmp_path):
    bad = tmp_path / "code.txt"
    bad.write_text("x = f(y) + 1\n>>> print(x)\n")
    with pytest.raises(SpelangyError, match="code.txt has no sentence"):
        prepare_mini(tmp_path / "out", num_documents=1, text_files=[bad], progress=False)


def test_festival_missing_names_the_package(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(SpelangyError, match=r"'festival'.*not on PATH.*apt-get install festival "
                                            r"festvox-kallpc16k"):
        prepare_mini(tmp_path / "out", num_documents=1, progress=False)
