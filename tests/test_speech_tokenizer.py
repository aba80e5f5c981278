# The built-in speech tokenizer: k-means, frame timing, save/load round trip, tokens on cuts.
import numpy as np
import pytest
from click.testing import CliRunner
from lhotse import CutSet
from lhotse.utils import compute_num_frames

from recipes_data import mini_corpus
from spelangy.errors import SpelangyError
from spelangy.speech_tokenizer import (FbankKMeansTokenizer, SpeechTokenizer, encode_cut,
                                       load_speech_tokenizer, train_speech_tokenizer)
from spelangy.speech_tokenizer.kmeans import kmeans, nearest


def _noise_bursts(rng, seconds, sr=16000):
    n = int(seconds * sr)
    envelope = np.repeat(rng.random(n // 1600 + 1) > 0.5, 1600)[:n]
    return (rng.standard_normal(n) * 0.2 * envelope).astype(np.float32)


def test_kmeans_recovers_separated_clusters(rng):
    centers = rng.standard_normal((6, 5)) * 20
    labels = rng.integers(0, 6, size=600)
    labels[:6] = np.arange(6)
    x = centers[labels] + rng.standard_normal((600, 5)) * 0.1
    seed = int(rng.integers(1 << 30))
    c1 = kmeans(x, 6, seed=seed)
    np.testing.assert_array_equal(c1, kmeans(x, 6, seed=seed))
    codes = nearest(x, c1)
    # Same partition as the truth, up to renaming of the codes.
    mapping = {t: c for t, c in zip(labels, codes)}
    assert len(set(mapping.values())) == 6
    np.testing.assert_array_equal(codes, [mapping[t] for t in labels])


def test_frame_count_and_range_for_any_length(rng):
    tok = train_speech_tokenizer([(_noise_bursts(rng, 6.0), 16000)], 12, seed=1, progress=False)
    assert isinstance(tok, SpeechTokenizer)
    assert tok.frame_shift == pytest.approx(0.08) and tok.vocab_size == 12
    for n in list(rng.integers(0, 40000, size=6)) + [0, 639, 640, 1280, 1919, 1920]:
        codes = tok.encode(rng.standard_normal(int(n)).astype(np.float32) * 0.1, 16000)
        assert codes.dtype == np.int32
        assert len(codes) == compute_num_frames(int(n) / 16000, 0.08, 16000)
        assert codes.size == 0 or (codes.min() >= 0 and codes.max() < 12)


def test_frames_follow_the_audio_in_time(rng):
    silence_then_noise = np.concatenate([np.zeros(16000, np.float32),
                                         rng.standard_normal(16000).astype(np.float32) * 0.3])
    tok = train_speech_tokenizer([(silence_then_noise, 16000)], 2, seed=0, progress=False)
    codes = tok.encode(silence_then_noise, 16000)
    assert len(codes) == 25
    # Frame f covers [0.08 f, 0.08 (f + 1)): frames 0-11 are silent, 13-24 are noise.
    assert len(set(codes[:12])) == 1 and len(set(codes[13:])) == 1 and codes[0] != codes[-1]


def test_round_trip_and_determinism(tmp_path, rng):
    audio = [(_noise_bursts(rng, 4.0), 16000), (_noise_bursts(rng, 3.0, 8000), 8000)]
    tok = train_speech_tokenizer(audio, 16, seed=3, progress=False)
    again = train_speech_tokenizer(audio, 16, seed=3, progress=False)
    np.testing.assert_array_equal(tok.centroids, again.centroids)
    tok.save(tmp_path / "tok.npz")
    loaded = load_speech_tokenizer(tmp_path / "tok.npz")
    assert isinstance(loaded, FbankKMeansTokenizer)
    for samples, sr in audio:
        np.testing.assert_array_equal(tok.encode(samples, sr), loaded.encode(samples, sr))
        np.testing.assert_array_equal(tok.encode(samples, sr), tok.encode(samples.copy(), sr))


def test_bad_tokenizer_file(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(SpelangyError, match="cannot read speech tokenizer"):
        load_speech_tokenizer(tmp_path / "bad.npz")


def test_too_little_audio_for_the_codebook():
    with pytest.raises(SpelangyError, match="too few to train 64 codes"):
        train_speech_tokenizer([(np.zeros(16000, np.float32), 16000)], 64, progress=False)


def test_corpus_tokens_equal_the_saved_tokenizer_on_real_speech():
    root = mini_corpus()
    tok = load_speech_tokenizer(root / "speech_tokenizer.npz")
    for cut in CutSet.from_file(root / "cuts.jsonl.gz"):
        np.testing.assert_array_equal(encode_cut(cut, tok), cut.load_speech_tokens())
        assert len(np.unique(cut.load_speech_tokens())) > 8  # real speech uses the codebook


def test_prepare_tokenizer_command(tmp_path):
    from spelangy.cli import main

    root = mini_corpus()
    plain = CutSet.from_file(root / "cuts.jsonl.gz").map(_drop_tokens)
    plain.to_file(tmp_path / "plain.jsonl.gz")
    out = tmp_path / "tok" / "cuts.jsonl.gz"
    result = CliRunner().invoke(main, ["prepare", "tokenizer", str(tmp_path / "plain.jsonl.gz"),
                                       "--num-codes", "8", "--output", str(out)])
    assert result.exit_code == 0, result.output
    tok = load_speech_tokenizer(tmp_path / "tok" / "speech_tokenizer.npz")
    assert tok.vocab_size == 8
    for cut in CutSet.from_file(out):
        assert cut.custom["speech_vocab_size"] == 8
        np.testing.assert_array_equal(cut.load_speech_tokens(), encode_cut(cut, tok))


def _drop_tokens(cut):
    cut.custom = {k: v for k, v in cut.custom.items() if k not in ("speech_tokens", "speech_vocab_size")}
    return cut


def test_unreadable_audio_names_the_cut_and_file(tmp_path):
    from lhotse import Recording

    root = mini_corpus()
    cut = CutSet.from_file(root / "cuts.jsonl.gz")[0]
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk" * 10)
    rec = Recording.from_dict({**cut.recording.to_dict(), "sources": [
        {"type": "file", "channels": [0], "source": str(broken)}]})
    cut.recording = rec
    tok = load_speech_tokenizer(root / "speech_tokenizer.npz")
    with pytest.raises(SpelangyError, match=r"cannot load audio.*broken\.wav.*mini-0000"):
        encode_cut(cut, tok)
