# Stored speech tokens read straight from the storage a manifest names, sliced as Lhotse slices them.
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

import re
import struct
from math import isclose
from typing import Optional

import numpy as np

from .files import is_remote
from .speech_tokens import frame_count

# The header numpy's own writer emits for a plain integer array in C order, 1-D or 2-D.
_NPY_HEADER = re.compile(rb"\{'descr': '([<>|=]?[iu][1248])', 'fortran_order': False, "
                         rb"'shape': \((\d+),(?: (\d+))?\), \} *\n")


class Unhandled(Exception):
    """The fast path does not take this cut; the Lhotse path does (and reports bad input)."""


def _read_numpy_file(storage_path: str, key: str, left: int, right: Optional[int]) -> np.ndarray:
    if key.startswith("/") and len(storage_path) > 0:
        key = key[1:]
    path = f"{storage_path}/{key}"
    with open(path, "rb") as f:
        arr = _read_npy_rows(f, left, right)
    if arr is None:  # any other .npy layout: numpy's reader
        arr = np.load(path, allow_pickle=False)[left:right]
    return arr


def _read_npy_rows(f, left: int, right: Optional[int]) -> Optional[np.ndarray]:
    """`np.load(f)[left:right]` reading only the header and those rows, for the layout of
    integer arrays that numpy writes; None for any other file."""
    head = f.read(10)
    if head[:6] != b"\x93NUMPY" or len(head) < 10:
        return None
    if head[6] == 1:
        size, start = struct.unpack("<H", head[8:10])[0], 10
    elif head[6] in (2, 3):
        head += f.read(2)
        size, start = struct.unpack("<I", head[8:12])[0], 12
    else:
        return None
    match = _NPY_HEADER.fullmatch(f.read(size))
    if match is None:
        return None
    dtype = np.dtype(match.group(1).decode())
    shape = tuple(int(g) for g in match.groups()[1:] if g is not None)
    row = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
    first, stop, _ = slice(left, right).indices(shape[0])  # Python's slice arithmetic
    rows = max(stop - first, 0)
    out = np.empty((rows,) + shape[1:], dtype)
    if out.size == 0:
        return out
    f.seek(start + size + first * row)
    if f.readinto(out.reshape(-1).view(np.uint8)) != rows * row:
        return None  # a truncated file: numpy's reader reports it
    return out


def _read(array: dict, left: int = 0, right: Optional[int] = None) -> np.ndarray:
    storage_type = array["storage_type"]
    storage_path, key = array["storage_path"], array["storage_key"]
    if storage_type == "numpy_files" and not is_remote(storage_path):
        return _read_numpy_file(storage_path, key, left, right)
    from lhotse.features.io import get_reader

    return get_reader(storage_type)(storage_path).read(
        key, left_offset_frames=left, right_offset_frames=right
    )


def read_temporal(array: dict, num_frames: int, frame_shift: float, array_start: float,
                  cut_start: float, cut_duration: float) -> np.ndarray:
    """The cut's slice of a TemporalArray's `array` (`num_frames` long on its time axis)."""
    if cut_start < array_start - 1e-5:
        raise Unhandled("cut starts before its speech_tokens array")
    if not frame_shift > 0:  # Lhotse's own slicing fails on it: its path reports the cut
        raise Unhandled("speech_tokens frame_shift is not positive")
    left = 0
    if not isclose(cut_start, array_start):
        left = _frames(cut_start - array_start, frame_shift, num_frames)
    right = left + _frames(cut_duration, frame_shift, num_frames)
    return _read(array, left, right)


_DECIMAL_LIMIT = 10**28  # frames: Decimal's default context holds 28 digits


def _frames(seconds: float, frame_shift: float, max_index: int) -> int:
    """`lhotse.array.seconds_to_frames(seconds, frame_shift, max_index)` without importing
    Lhotse (and torch with it): the fast path runs without them."""
    if seconds < 0:  # Lhotse asserts; its path reports the cut
        raise Unhandled("a negative offset or duration of the speech_tokens slice")
    if not seconds / frame_shift < _DECIMAL_LIMIT:  # Lhotse's Decimal fails: its path reports it
        raise Unhandled("a speech_tokens slice of more frames than Lhotse can count")
    return min(frame_count(seconds, frame_shift), max_index)
