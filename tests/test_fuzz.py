# A short seeded fuzz campaign of every target in tests/fuzz.py (a long one: run it by hand).
import numpy as np
import pytest

from fuzz import TARGETS, run


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_campaign(name):
    campaign_seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"fuzz seed {campaign_seed}: .venv/bin/python tests/fuzz.py --seed {campaign_seed}")
    run(name, 150, campaign_seed)
