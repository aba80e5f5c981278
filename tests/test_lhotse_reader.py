# The Lhotse reader's rules (cut -> SpeechDocument): words, alignments, sentence ends, speakers, speech tokens.
import numpy as np
import pytest
from data_utils import make_cut, train_tiny_spm

from spelangy.reading.lhotse_reader import cut_to_document, is_sentence_end
from spelangy.text_tokenizer import TextTokenizer


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    texts = ["Hello there, friend. How are you today?", "Fine thanks! \"Quite so.\" (Yes.)",
             "one two three four five six seven eight nine ten"] * 5
    return TextTokenizer(train_tiny_spm(texts, tmp_path_factory.mktemp("spm") / "m.model", 80))


def _cut(tmp_path, sups, tokens=None, frame_shift=0.08, start=0.0, duration=10.0, custom=None,
         recording=None):
    from lhotse import MonoCut, NumpyFilesWriter, SupervisionSegment
    from lhotse.supervision import AlignmentItem

    segs = []
    for k, (s_start, s_dur, speaker, text, ali) in enumerate(sups):
        alignment = None if ali is None else {"word": [AlignmentItem(*a) for a in ali]}
        segs.append(SupervisionSegment(f"s{k}", "rec", s_start, s_dur, speaker=speaker,
                                       text=text, alignment=alignment))
    custom = dict(custom or {})
    if tokens is not None:
        with NumpyFilesWriter(tmp_path / "st") as w:
            custom["speech_tokens"] = w.store_array("c", np.asarray(tokens),
                                                    frame_shift=frame_shift, temporal_dim=0)
    return MonoCut("c", start=start, duration=duration, channel=0, supervisions=segs, custom=custom,
                   recording=recording)


def test_turns_sorted_and_speakers_in_first_appearance_order(tmp_path, tok):
    cut = _cut(tmp_path, [(5.0, 1.5, "bob", "one two", None),
                          (1.0, 2.0, "carol", "three", None),
                          (3.25, 1.0, None, "four five six", None),
                          (7.0, 0.5, "carol", "seven", None)], tokens=np.arange(125) % 7)
    doc = cut_to_document(cut, tok)
    np.testing.assert_array_equal(doc.turn_start, [1.0, 3.25, 5.0, 7.0])
    np.testing.assert_array_equal(doc.turn_end, [3.0, 4.25, 6.5, 7.5])
    np.testing.assert_array_equal(doc.turn_speaker, [0, 1, 2, 0])
    assert doc.turn_speaker.dtype == np.int32
    np.testing.assert_array_equal(doc.turn_word_offsets, [0, 1, 4, 6, 7])
    np.testing.assert_array_equal(doc.turn_aligned, [0, 0, 0, 0])
    np.testing.assert_array_equal(doc.word_start, np.zeros(7))
    np.testing.assert_array_equal(doc.word_end, np.zeros(7))
    assert doc.cut_id == "c" and doc.duration == 10.0


def test_alignment_rule_text_words_or_symbols(tmp_path, tok):
    same_count = [("hello", 0.5, 0.3), ("there", 0.85, 0.4), ("friend", 1.3, 0.5)]
    other_count = [("how", 3.0, 0.2), ("", 3.2, 0.1), ("are", 3.3, 0.2), ("ya", 3.5, 0.4)]
    cut = _cut(tmp_path, [(0.5, 1.4, "a", "Hello there, friend.", same_count),
                          (3.0, 1.0, "b", "How are you today?", other_count)], tokens=np.arange(125) % 3)
    doc = cut_to_document(cut, tok)
    words = ["Hello", "there,", "friend.", "how", "are", "ya"]  # blank symbol = pause, dropped
    np.testing.assert_array_equal(doc.turn_word_offsets, [0, 3, 6])
    np.testing.assert_array_equal(doc.turn_aligned, [1, 1])
    np.testing.assert_allclose(doc.word_start, [0.5, 0.85, 1.3, 3.0, 3.3, 3.5], atol=0)
    np.testing.assert_allclose(doc.word_end, [0.8, 1.25, 1.8, 3.2, 3.5, 3.9], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(doc.word_sentence_end, [0, 0, 1, 0, 0, 0])
    for w, word in enumerate(words):
        got = doc.text_tokens[doc.word_token_offsets[w]:doc.word_token_offsets[w + 1]]
        assert got.tolist() == tok.encode(word), word
    assert doc.word_token_offsets[-1] == len(doc.text_tokens)
    assert doc.text_tokens.dtype == np.int32 and doc.word_token_offsets.dtype == np.int64


def test_unsorted_alignment_items_are_sorted(tmp_path, tok):
    ali = [("b", 1.0, 0.5), ("a", 0.5, 0.4)]
    doc = cut_to_document(_cut(tmp_path, [(0.5, 1.0, "x", "one two", ali)], tokens=np.zeros(125, int)), tok)
    np.testing.assert_array_equal(doc.word_start, [0.5, 1.0])
    np.testing.assert_array_equal(doc.word_end, [0.9, 1.5])


@pytest.mark.parametrize("word,expected", [
    ("end.", True), ("what?", True), ("wow!", True), ("so\u2026", True), ('"done."', True),
    ("(yes.)", True), ("said.\u201d", True), ("it?')", True), ("e.g.,", False), ("word", False),
    ("3.5", False), ("Mr", False), (".", True), ("end.]}", True), ("(ok)", False),
])
def test_sentence_end(word, expected):
    assert is_sentence_end(word) is expected


def test_sentence_ends_in_document(tmp_path, tok):
    cut = _cut(tmp_path, [(0.0, 3.0, "a", 'Fine thanks! "Quite so." (Yes.) one', None)],
               tokens=np.zeros(125, int))
    doc = cut_to_document(cut, tok)
    np.testing.assert_array_equal(doc.word_sentence_end, [0, 1, 0, 1, 1, 0])
    assert doc.word_sentence_end.dtype == np.uint8


def test_speech_tokens_int32_and_frame_shift_from_array(tmp_path, tok):
    tokens = np.array([5, 0, 63, 7], dtype=np.int64)
    cut = _cut(tmp_path, [(0.0, 0.16, "a", "one", None)], tokens=tokens, frame_shift=0.04,
               duration=0.16, custom={"speech_vocab_size": 64})
    doc = cut_to_document(cut, tok)
    assert doc.speech_tokens.dtype == np.int32
    np.testing.assert_array_equal(doc.speech_tokens, tokens)
    assert doc.frame_shift == 0.04


def test_truncated_cut_word_times_from_cut_start(tmp_path, tok):
    """Lhotse keeps alignment times relative to the recording; the document's are from the
    cut start, like turn times and speech frames."""
    import soundfile
    from lhotse import Recording

    soundfile.write(tmp_path / "rec.wav", np.zeros(80000, np.float32), 8000)
    ali = [("four", 4.0, 0.5), ("five", 4.6, 0.3), ("six", 5.0, 0.5)]
    cut = _cut(tmp_path, [(1.0, 1.0, "a", "one", None), (4.0, 1.5, "b", "four five six", ali)],
               tokens=np.arange(125), recording=Recording.from_file(tmp_path / "rec.wav", "rec"))
    short = cut.truncate(offset=3.0, duration=4.0)
    doc = cut_to_document(short, tok)
    np.testing.assert_array_equal(doc.turn_start, [1.0])
    np.testing.assert_allclose(doc.word_start, [1.0, 1.6, 2.0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(doc.word_end, [1.5, 1.9, 2.5], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(doc.speech_tokens, np.arange(38, 88))
    assert doc.duration == 4.0 and doc.words_outside_cut == 0  # Lhotse drops "one" itself


def test_speech_tokenizer_used_without_stored_tokens(tmp_path, tok, rng):

    class EnergyTokenizer:
        frame_shift = 0.08
        vocab_size = 8

        def encode(self, samples, sampling_rate):
            hop = int(sampling_rate * self.frame_shift)
            frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
            return np.minimum((np.abs(frames).mean(axis=1) * 40).astype(np.int64), 7)

    cut = make_cut("x", [("a", "one two three.", True), ("b", "four five", False)], tmp_path,
                   rng=rng)
    doc = cut_to_document(cut, tok, EnergyTokenizer())
    audio = cut.load_audio()[0]
    np.testing.assert_array_equal(doc.speech_tokens, EnergyTokenizer().encode(audio, 16000))
    assert doc.speech_tokens.dtype == np.int32 and doc.frame_shift == 0.08
