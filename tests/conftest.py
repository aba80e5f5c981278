# Shared pytest set-up: tests marked `cuda` skip without a GPU unless one is required, and
# a fresh, printed numpy seed for the random tests.
import os

import numpy as np
import pytest

_REQUIRE_CUDA = os.environ.get("SPELANGY_REQUIRE_CUDA") == "1"


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    cuda_items = [item for item in items if "cuda" in item.keywords]
    if not cuda_items or _REQUIRE_CUDA or _cuda_available():
        return
    skip = pytest.mark.skip(
        reason="needs a CUDA device (SPELANGY_REQUIRE_CUDA=1 makes this a failure)")
    for item in cuda_items:
        item.add_marker(skip)


def pytest_runtest_setup(item):
    if "cuda" in item.keywords and _REQUIRE_CUDA and not _cuda_available():
        pytest.fail("SPELANGY_REQUIRE_CUDA=1 but torch.cuda.is_available() is False", pytrace=False)


@pytest.fixture
def rng():
    """A generator with a fresh seed, printed so that a failing draw can be replayed."""
    seed = int(np.random.SeedSequence().entropy)
    print(f"numpy seed {seed}")
    return np.random.default_rng(seed)
