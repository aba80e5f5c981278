# Speech tokens read straight from the storage a manifest names, sliced as Lhotse slices them.
"""Faithful to `lhotse.array.TemporalArray.load(start=cut.start, duration=cut.duration)`,
which `MonoCut.load_custom` calls:

- the left offset is 0 when `cut.start` is close to the array's `start` (math.isclose),
  else `seconds_to_frames(cut.start - array.start)`; a cut starting before the array is an
  error (left to the Lhotse path to report);
- the right offset is `left + seconds_to_frames(cut.duration)`, both capped at the array's
  length along `temporal_dim`; the reader slices its first axis `[left:right]`.
- `numpy_files` storage is `np.load(f"{storage_path}/{storage_key}")` with one leading "/"
  of the key dropped (Lhotse's `FileIO`); local files are read here, URLs and every other
  storage type go through Lhotse's own reader with the same offsets. A plain `Array` (no
  time axis) is read whole.
"""
from __future__ import annotations

from math import isclose
from typing import Optional, Tuple

import numpy as np


class Unhandled(Exception):
    """The fast path does not take this cut; the Lhotse path does (and reports bad input)."""


def _is_local(path: str) -> bool:
    return not (path.startswith("pipe:") or "://" in path)


def _read_numpy_file(storage_path: str, key: str, left: int, right: Optional[int]) -> np.ndarray:
    if key.startswith("/") and len(storage_path) > 0:
        key = key[1:]
    arr = np.load(f"{storage_path}/{key}", allow_pickle=False)
    return arr[left:right]


def _read(array: dict, left: int = 0, right: Optional[int] = None) -> np.ndarray:
    storage_type = array["storage_type"]
    storage_path, key = array["storage_path"], array["storage_key"]
    if storage_type == "numpy_files" and _is_local(storage_path):
        return _read_numpy_file(storage_path, key, left, right)
    from lhotse.features.io import get_reader

    return get_reader(storage_type)(storage_path).read(
        key, left_offset_frames=left, right_offset_frames=right
    )


def read_speech_tokens(manifest: dict, cut_start: float, cut_duration: float
                       ) -> Tuple[np.ndarray, Optional[float]]:
    """The cut's slice of a serialized `speech_tokens` array, and its frame shift (None for
    an `Array` without a time axis)."""
    if "array" not in manifest:
        if "shape" not in manifest:
            raise Unhandled("speech_tokens is not an array manifest")
        return _read(manifest), None
    return (read_temporal(manifest["array"], manifest["array"]["shape"][manifest["temporal_dim"]],
                          manifest["frame_shift"], manifest["start"], cut_start, cut_duration),
            manifest["frame_shift"])


def read_temporal(array: dict, num_frames: int, frame_shift: float, array_start: float,
                  cut_start: float, cut_duration: float) -> np.ndarray:
    """The cut's slice of a TemporalArray's `array` (`num_frames` long on its time axis)."""
    from lhotse.array import seconds_to_frames

    if cut_start < array_start - 1e-5:
        raise Unhandled("cut starts before its speech_tokens array")
    left = 0
    if not isclose(cut_start, array_start):
        left = seconds_to_frames(cut_start - array_start, frame_shift=frame_shift,
                                 max_index=num_frames)
    right = left + seconds_to_frames(cut_duration, frame_shift=frame_shift, max_index=num_frames)
    return _read(array, left, right)
