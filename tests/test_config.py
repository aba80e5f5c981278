# Settings objects: validated on construction, picklable, and round-trip through a dict.
import pickle

import pytest

from spelangy import ChunkingConfig, PackingConfig, SamplingConfig, VocabLayout, Modality


@pytest.mark.parametrize("config", [ChunkingConfig(mode="coarse"), SamplingConfig(p_audio=0.3),
                                    PackingConfig(seq_len=128, mode="best_fit")])
def test_round_trip(config):
    assert type(config).from_dict(config.to_dict()) == config
    assert pickle.loads(pickle.dumps(config)) == config


def test_chunking_default_maximum_depends_on_mode():
    assert ChunkingConfig(mode="coarse").max_chunk_duration == 30.0
    assert ChunkingConfig(mode="fine").max_chunk_duration == 10.0


@pytest.mark.parametrize("make,message", [
    (lambda: ChunkingConfig(mode="medium"), "ChunkingConfig.mode"),
    (lambda: ChunkingConfig(max_chunk_duration=0), "max_chunk_duration"),
    (lambda: SamplingConfig(p_audio=1.5), "p_audio"),
    (lambda: SamplingConfig(first_modality="video"), "first_modality"),
    (lambda: PackingConfig(seq_len=1), "seq_len"),
    (lambda: PackingConfig(mode="greedy"), "PackingConfig.mode"),
    (lambda: ChunkingConfig.from_dict({"mode": "fine", "max_len": 3}), "unknown settings"),
])
def test_bad_settings_name_the_setting(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_vocab_layout():
    v = VocabLayout(text_vocab_size=100, speech_vocab_size=50)
    assert (v.speech_offset, v.bos, v.eos, v.audio_marker, v.text_marker, v.pad) == (100, 150, 151, 152, 153, 154)
    assert v.vocab_size == 155
    assert [v.modality_of(i) for i in (0, 99, 100, 149, 150, 153, 154)] == [
        Modality.TEXT, Modality.TEXT, Modality.AUDIO, Modality.AUDIO, Modality.SPECIAL,
        Modality.SPECIAL, Modality.PAD]
    assert VocabLayout.from_dict(v.to_dict()) == v
