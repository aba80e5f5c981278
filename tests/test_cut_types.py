# Every kind of cut a Lhotse user makes (truncate, pad, mix, append, MultiCut, JSON lists),
# read by both readers, with stored codes and with codes made on the fly.
import numpy as np
import pytest
from data_utils import train_tiny_spm
from docgen import assert_same_documents

from spelangy import InterleavedDataset, LoaderStateTracker, PackingConfig, SamplingConfig
from spelangy.core import get_core
from spelangy.documents import NO_AUDIO
from spelangy.errors import BadInputError
from spelangy.sources import SpeechTextSource
from spelangy.speech_tokenizer import attach_speech_tokens
from spelangy.text_tokenizer import TextTokenizer

SR, SHIFT, CODES = 16000, 0.08, 32
HOP = int(SR * SHIFT)


class LevelTokenizer:
    """Frame-local and exact: the code of a frame is its mean absolute level in 1/32 steps,
    so the same audio gives the same codes wherever a cut starts (on a frame boundary)."""

    frame_shift, vocab_size = SHIFT, CODES

    def encode(self, samples, sampling_rate):
        assert sampling_rate == SR
        frames = samples[: len(samples) // HOP * HOP].reshape(-1, HOP)
        return np.minimum(np.rint(np.abs(frames).mean(axis=1) * CODES), CODES - 1).astype(np.int64)


def _recording(tmp_path, name, seconds, rng, channels=1):
    import soundfile
    from lhotse import Recording

    levels = rng.integers(1, CODES, int(seconds / SHIFT)) / CODES  # never silent: 0 is padding
    samples = np.repeat(levels, HOP).astype(np.float32)
    data = np.stack([samples] * channels, axis=1) if channels > 1 else samples
    path = tmp_path / f"{name}.wav"
    soundfile.write(path, data, SR, subtype="FLOAT")
    return Recording.from_file(path, recording_id=name)


def _supervisions(rec_id, rng, seconds, aligned=(True, False, True), speakers="aba"):
    from lhotse import SupervisionSegment
    from lhotse.supervision import AlignmentItem

    sups, t = [], 0.24
    for k, (is_aligned, speaker) in enumerate(zip(aligned, speakers)):
        words = [f"w{k}x{i}" for i in range(int(rng.integers(3, 7)))]
        words[-1] += "."
        items, start = [], t
        for word in words:
            d = round(float(rng.uniform(0.2, 0.5)), 2)
            items.append(AlignmentItem(word, round(t, 2), d))
            t = round(t + d + 0.04, 2)
        sups.append(SupervisionSegment(f"{rec_id}-s{k}", rec_id, round(start, 2),
                                       round(t - start, 2), speaker=speaker, text=" ".join(words),
                                       alignment={"word": items} if is_aligned else None))
        t = round(t + 0.4, 2)
    assert t < seconds
    return sups


def _cut(tmp_path, name, rng, seconds=12.0, channels=1):
    rec = _recording(tmp_path, name, seconds, rng, channels)
    cut = rec.to_cut()
    cut.supervisions = _supervisions(name, rng, seconds)
    return cut


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    words = [f"w{k}x{i}" for k in range(3) for i in range(7)]
    texts = [" ".join(words[i:] + words[:i]) + "." for i in range(len(words))]
    return TextTokenizer(train_tiny_spm(texts, tmp_path_factory.mktemp("spm") / "m.model", 60))


def _stored(cut, tmp_path):
    return attach_speech_tokens([cut], LevelTokenizer(), tmp_path / "codes", progress=False)[0]


def _read(cuts, tmp_path, tok, name, speech_tokenizer=None, reader="fast"):
    """The documents (or the error) of `cuts` written with Lhotse's `to_file`."""
    from lhotse import CutSet

    path = tmp_path / name
    CutSet.from_cuts(cuts).to_file(path)
    source = SpeechTextSource("s", path, speech_tokenizer=speech_tokenizer, reader=reader)
    try:
        return list(source.documents(tok))
    except BadInputError as err:
        return str(err)


def assert_same_outcome(a, b):
    """The same documents, or the same error message."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, str):
        assert a == b
    else:
        assert_same_documents(a, b)


def _both_readers(cuts, tmp_path, tok, name, speech_tokenizer=None):
    fast = _read(cuts, tmp_path, tok, name, speech_tokenizer, "fast")
    assert_same_outcome(fast, _read(cuts, tmp_path, tok, name, speech_tokenizer, "lhotse"))
    return fast


def _without_codes(cut):
    from lhotse.cut import MixedCut

    cut = cut.to_dict()
    parts = [t["cut"] for t in cut["tracks"]] if cut["type"] == "MixedCut" else [cut]
    for part in parts:
        (part.get("custom") or {}).pop("speech_tokens", None)
    from lhotse.serialization import deserialize_item

    out = deserialize_item(cut)
    assert isinstance(out, MixedCut) or "speech_tokens" not in (out.custom or {})
    return out


def _all_words(cut):
    from spelangy.reading.speech_tokens import audible_tracks

    return sum(len(s.text.split()) for part, _ in audible_tracks(cut) for s in part.supervisions)


def _cases(tmp_path, rng):
    """(name, cut with stored codes) for each way users make cuts."""
    from lhotse.cut import MultiCut

    a = _stored(_cut(tmp_path, "a", rng), tmp_path)
    b = _stored(_cut(tmp_path, "b", rng), tmp_path)
    c = _cut(tmp_path, "c", rng)
    # Frame-aligned offsets, so that the audio of a part is the audio of the whole.
    late = a.truncate(offset=2.4, duration=6.4)  # sups sticking out on both sides are kept
    retok = _stored(c.truncate(offset=1.6, duration=8.0), tmp_path)  # start != 0, own codes
    multi = _cut(tmp_path, "m", rng, channels=2)
    assert isinstance(multi, MultiCut)
    return [
        ("mono", a),
        ("truncated", late),
        ("truncated-then-tokenized", retok),
        ("padded", a.pad(duration=14.0)),
        ("appended", a.append(b)),
        ("mixed-one-track-tokenized", a.mix(_without_codes(b), offset_other_by=12.8,
                                            allow_padding=True)),
        ("multicut", _stored(multi, tmp_path)),
    ]


@pytest.mark.parametrize("suffix", ["jsonl", "jsonl.gz", "json", "json.gz"])
def test_every_cut_type_reads_the_same_with_stored_and_fly_codes(tmp_path, tok, suffix, rng):
    for name, cut in _cases(tmp_path, rng):
        stored = _both_readers([cut], tmp_path, tok, f"{name}-stored.{suffix}")
        fly = _both_readers([_without_codes(cut)], tmp_path, tok, f"{name}-fly.{suffix}",
                            LevelTokenizer())
        assert not isinstance(stored, str), (name, stored)
        (doc,), (doc_fly,) = stored, fly
        # One frame rule: stored and on-the-fly codes are the same frames.
        if name == "mixed-one-track-tokenized":  # stored codes only on the first track
            assert np.array_equal(doc.speech_tokens[:150], doc_fly.speech_tokens[:150])
            assert (doc.speech_tokens[150:] == NO_AUDIO).all()
            assert (doc_fly.speech_tokens[150:160] == NO_AUDIO).all()  # the gap: padding
            assert (doc_fly.speech_tokens[160:] != NO_AUDIO).all()
        else:
            assert np.array_equal(doc.speech_tokens, doc_fly.speech_tokens), name
        assert len(doc.speech_tokens) == round(cut.duration / SHIFT), name
        # Every word of every supervision is in the document or counted outside the cut.
        assert doc.num_words + doc.words_outside_cut == _all_words(cut), name
        if name == "padded":
            assert (doc.speech_tokens[-25:] == NO_AUDIO).all()  # padding is not audio
            assert (doc.speech_tokens[:150] != NO_AUDIO).all()


def test_yaml_manifests_read_like_jsonl(tmp_path, tok, rng):
    cuts = [_stored(_cut(tmp_path, name, rng), tmp_path) for name in "ab"]
    for cut in cuts:  # (Lhotse's YAML writer cannot write alignment items)
        cut.supervisions = [s.with_alignment("word", []) for s in cut.supervisions]
    docs = _both_readers(cuts, tmp_path, tok, "cuts.yaml")
    assert_same_outcome(docs, _read(cuts, tmp_path, tok, "cuts.jsonl"))
    (tmp_path / "bad.yaml").write_text("- {id: x, type: MonoCut\n")
    got = _read([], tmp_path, tok, "empty.yaml")
    assert got == []
    source = SpeechTextSource("s", tmp_path / "bad.yaml")
    with pytest.raises(BadInputError, match="(?s)corrupt manifest.*bad.yaml"):
        list(source.documents(tok))


def test_truncated_cut_codes_are_the_recordings_codes(tmp_path, tok, rng):
    whole = _stored(_cut(tmp_path, "w", rng), tmp_path)
    (full,) = _read([whole], tmp_path, tok, "w.jsonl")
    part = whole.truncate(offset=2.4, duration=6.4)
    (doc,) = _read([part], tmp_path, tok, "part.jsonl")
    assert np.array_equal(doc.speech_tokens, full.speech_tokens[30:110])
    # Codes made for the part after truncating line up the same way.
    retok = _stored(_without_codes(part), tmp_path)
    assert retok.speech_tokens.start == pytest.approx(2.4)
    (doc2,) = _read([retok], tmp_path, tok, "retok.jsonl")
    assert np.array_equal(doc2.speech_tokens, doc.speech_tokens)


def test_codes_stored_from_the_recording_start_are_refused(tmp_path, tok, rng):
    """The old mistake (codes of a truncated cut stored with start=0) is an error naming the
    cut, not a silent shift of the codes against the words."""
    from lhotse import NumpyFilesWriter

    part = _cut(tmp_path, "p", rng).truncate(offset=4.0, duration=6.0)
    codes = LevelTokenizer().encode(part.load_audio()[0], SR)
    with NumpyFilesWriter(tmp_path / "old") as w:
        part.speech_tokens = w.store_array(part.id, codes, frame_shift=SHIFT, temporal_dim=0)
    part.custom["speech_vocab_size"] = CODES
    got = _both_readers([part], tmp_path, tok, "old.jsonl")
    assert "do not cover the cut" in got and "attach_speech_tokens" in got
    assert f"cut '{part.id}'" in got and "line 1" in got


def test_supervisions_sticking_out_are_clipped_or_counted(tmp_path, tok, rng):
    cut = _stored(_cut(tmp_path, "x", rng), tmp_path)
    aligned, unaligned, _ = cut.supervisions
    # Cut through the middle of the first (aligned) and into the second (unaligned) turn.
    mid = aligned.alignment["word"][1]
    offset = round((mid.start + mid.duration / 2) / SHIFT) * SHIFT
    if abs(mid.start + mid.duration / 2 - offset) < SHIFT / 4:
        offset += SHIFT  # not on the word's midpoint, where rounding would decide it
    end = round((unaligned.start + 0.1) / SHIFT) * SHIFT
    part = cut.truncate(offset=offset, duration=end - offset)
    (doc,) = _both_readers([part], tmp_path, tok, "clip.jsonl")
    kept = [w for w in aligned.alignment["word"] if w.start + w.duration / 2 >= offset]
    assert doc.num_turns == 1 and doc.turn_start[0] == 0.0
    assert doc.turn_end[0] == pytest.approx(aligned.end - offset)
    assert doc.num_words == len(kept)
    assert doc.words_outside_cut == (len(aligned.alignment["word"]) - len(kept)
                                     + len(unaligned.text.split()))
    np.testing.assert_allclose(doc.word_start, [w.start - offset for w in kept], atol=1e-9)


def test_cuts_that_cannot_be_read_say_why(tmp_path, tok, rng):
    from lhotse import MonoCut
    from lhotse.cut import PaddingCut
    from lhotse.features import Features

    cut = _cut(tmp_path, "e", rng)
    padding = PaddingCut("pad", duration=3.0, sampling_rate=SR, feat_value=-23.0,
                         num_samples=3 * SR)
    got = _both_readers([padding], tmp_path, tok, "pad.jsonl", LevelTokenizer())
    assert "Unexpected cut type" in got and "cut 'pad'" in got  # Lhotse cannot read it back
    from lhotse import CutSet

    with pytest.raises(BadInputError, match="a PaddingCut holds no speech.*cut 'pad'"):
        list(SpeechTextSource("s", CutSet.from_cuts([padding]),
                              speech_tokenizer=LevelTokenizer()).documents(tok))
    features = Features(type="fbank", num_frames=1200, num_features=80, frame_shift=0.01,
                        sampling_rate=SR, start=0.0, duration=12.0, storage_type="numpy_files",
                        storage_path=str(tmp_path), storage_key="f.npy")
    feats_only = MonoCut("f", 0.0, 12.0, 0, features=features, supervisions=cut.supervisions)
    got = _both_readers([feats_only], tmp_path, tok, "feats.jsonl", LevelTokenizer())
    assert "no recording" in got and "features only" in got and "cut 'f'" in got
    late = cut.truncate(offset=11.0, duration=1.0)
    late.supervisions = [s.with_offset(-30.0).with_alignment("word", [])  # all before the cut
                         for s in cut.supervisions]
    got = _both_readers([late], tmp_path, tok, "outside.jsonl", LevelTokenizer())
    assert "no supervision lies inside the cut" in got
    overlap = _stored(cut, tmp_path).mix(_stored(_cut(tmp_path, "o", rng), tmp_path),
                                         offset_other_by=1.6)
    got = _both_readers([overlap], tmp_path, tok, "overlap.jsonl")
    assert "overlap" in got and "speech_tokenizer" in got


def test_empty_alignment_is_an_unaligned_turn(tmp_path, tok, rng):
    cut = _stored(_cut(tmp_path, "z", rng), tmp_path)
    cut.supervisions[0].alignment = {"word": []}
    (doc,) = _both_readers([cut], tmp_path, tok, "empty.jsonl")
    assert list(doc.turn_aligned) == [0, 0, 1]
    assert doc.num_words == _all_words(cut)


def test_audio_chunks_without_frames_are_emitted_as_text_and_counted(tmp_path, tok, rng):
    """A mix whose second track has no stored codes: its chunks have no real frame, so a
    chunk sampled as audio is text instead, and the stream counts it."""
    from lhotse import CutSet

    a = _stored(_cut(tmp_path, "a", rng), tmp_path)
    b = _without_codes(_cut(tmp_path, "b", rng))
    mix = a.append(b)
    path = tmp_path / "mix.jsonl"
    CutSet.from_cuts([mix]).to_file(path)
    source = SpeechTextSource("s", path)
    (doc,) = source.documents(tok)
    ds = InterleavedDataset([source], tok, sampling=SamplingConfig("stochastic", p_audio=1.0),
                            packing=PackingConfig(seq_len=4096, batch_size=1), num_epochs=1,
                            speech_vocab_size=CODES)
    batches, tracker = list(ds), LoaderStateTracker()
    for batch in batches:
        tracker.update(batch)
    tokens = np.concatenate([b.tokens.numpy().ravel() for b in batches])
    modality = np.concatenate([b.modality.numpy().ravel() for b in batches])
    # Every word of b's turns (no audio) is in the stream as text tokens.
    b_words = doc.turn_word_offsets[3], doc.turn_word_offsets[6]
    b_tokens = doc.text_tokens[doc.word_token_offsets[b_words[0]]:doc.word_token_offsets[b_words[1]]]
    text = tokens[modality == 0]
    assert len(text) == len(b_tokens) and np.array_equal(text, b_tokens)
    # No padding frame is ever emitted as a code: the audio tokens are the real frames of
    # the chunks.
    chunks = get_core("cpp").chunk_document(doc, ds.chunking)
    real = [doc.speech_tokens[b:e][doc.speech_tokens[b:e] != NO_AUDIO]
            for b, e in zip(chunks.frame_begin, chunks.frame_end)]
    assert np.array_equal(tokens[modality == 1], np.concatenate(real) + ds.vocab.speech_offset)
    assert tracker.counters()["audio_chunks_as_text"] >= 1
    assert tracker.counters()["words_outside_cut"] == 0


def test_frame_count_is_lhotses_rounding(rng):
    from lhotse.array import seconds_to_frames

    from spelangy.reading.speech_tokens import frame_count

    for _ in range(20000):
        shift = float(rng.choice([0.08, 0.04, 0.02, 0.01, 0.0125, 0.03, 1 / 12.5, 1 / 75]))
        k = int(rng.integers(0, 5000))
        duration = float(rng.choice([rng.uniform(0, 400), round(rng.uniform(0, 400), 2),
                                     (k + 0.5) * shift, k * shift]))
        assert frame_count(duration, shift) == seconds_to_frames(duration, shift), (duration, shift)
