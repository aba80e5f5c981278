# Modality sampling: strict alternation, the stochastic audio share, counter-based draws.
import numpy as np
import pytest

from spelangy import SamplingConfig
from spelangy.reference import sample_modalities
from spelangy.reference.sampling import splitmix64
from spelangy.vocab import Modality


def test_splitmix64_known_values():
    # Reference values of splitmix64 from seed 0 (Vigna's generator, successive outputs).
    assert splitmix64(0) == 0xE220A8397B1DCDAF
    assert splitmix64(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4


@pytest.mark.parametrize("first", ["audio", "text"])
def test_deterministic_alternates(first, rng):
    n = int(rng.integers(1, 50))
    mods = sample_modalities(n, int(rng.integers(0, 2**64, dtype=np.uint64)),
                             SamplingConfig(mode="deterministic", first_modality=first),
                             seed=int(rng.integers(0, 1000)), epoch=int(rng.integers(0, 5)))
    start = Modality.AUDIO if first == "audio" else Modality.TEXT
    other = Modality.TEXT if first == "audio" else Modality.AUDIO
    assert mods.tolist() == [start if i % 2 == 0 else other for i in range(n)]


@pytest.mark.parametrize("p_audio", [0.2, 0.5, 0.9])
def test_stochastic_share_within_bounds(p_audio, rng):
    sampling = SamplingConfig(mode="stochastic", p_audio=p_audio)
    seed = int(rng.integers(0, 2**32))
    draws = []
    for key in rng.integers(0, 2**63, 400):
        mods = sample_modalities(26, int(key), sampling, seed=seed, epoch=0)
        assert mods[0] == Modality.AUDIO
        draws.extend(mods[1:].tolist())
    share = np.mean(np.array(draws) == Modality.AUDIO)
    n = len(draws)
    # Five standard deviations: fails by chance about once in 3.5 million runs.
    assert abs(share - p_audio) < 5 * np.sqrt(p_audio * (1 - p_audio) / n)


def test_draws_are_keyed_by_seed_epoch_and_document():
    sampling = SamplingConfig(mode="stochastic")
    base = sample_modalities(200, 12345, sampling, seed=1, epoch=0)
    assert (sample_modalities(200, 12345, sampling, seed=1, epoch=0) == base).all()
    assert (sample_modalities(200, 12345, sampling, seed=1, epoch=1) != base).any()
    assert (sample_modalities(200, 12346, sampling, seed=1, epoch=0) != base).any()
    assert (sample_modalities(200, 12345, sampling, seed=2, epoch=0) != base).any()
    # A prefix does not depend on how many chunks follow.
    assert (sample_modalities(50, 12345, sampling, seed=1, epoch=0) == base[:50]).all()
