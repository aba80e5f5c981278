# Picks the implementation of the per-document core: the C++ extension or the Python reference.
from __future__ import annotations

BACKENDS = ("cpp", "reference")


def get_core(backend: str):
    """A module with `build_speech_document`, `interleave_text`, `chunk_document`, ... ."""
    if backend == "cpp":
        from . import _core_cpp

        return _core_cpp
    if backend == "reference":
        from . import reference

        return reference
    raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
