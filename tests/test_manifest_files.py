# Reading gzip manifests with ISA-L: the same line stream and the same errors as the gzip module.
import gzip
import io
import zlib

import numpy as np
import pytest
from isal import isal_zlib  # a dependency: its absence is a failure, not a skip

from spelangy.errors import BadInputError
from spelangy.reading import files as manifest
from spelangy.reading.files import inflate_lines, iter_lines


def _manifest_bytes(rng, n_lines):
    """JSONL-like lines of random length, some blank, the last without its newline."""
    lines = []
    for i in range(n_lines):
        if rng.random() < 0.05:
            lines.append(b"\n")
            continue
        words = " ".join(f"w{rng.integers(0, 10**6)}" for _ in range(rng.integers(1, 400)))
        lines.append(b'{"id": "cut-%d", "text": "%s"}\n' % (i, words.encode()))
    lines.append(b'{"id": "last"}')
    return b"".join(lines)


def _members(rng, data):
    """`data` as several concatenated gzip members (one empty), zero padding between two."""
    cuts = sorted(rng.choice(len(data), size=3, replace=False).tolist())
    parts = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    blobs = [gzip.compress(p, compresslevel=int(rng.integers(1, 10))) for p in parts]
    return blobs[0] + b"\0" * 7 + b"".join(blobs[1:]) + gzip.compress(b"")


def _stream(make):
    """(lines, exception type or None) of reading a stream to its end or first error."""
    lines = []
    try:
        for line in make():
            lines.append(line)
    except (EOFError, OSError, zlib.error, isal_zlib.error) as exc:
        return lines, type(exc)
    return lines, None


def _both(blob, block_size):
    expected = _stream(lambda: gzip.open(io.BytesIO(blob), "rb"))
    got = _stream(lambda: inflate_lines(io.BytesIO(blob), isal_zlib, block_size))
    return expected, got


@pytest.mark.parametrize("block_size", [1, 7, 4096, 1 << 18])
def test_multi_member_lines_equal_gzip(block_size, rng):
    data = _manifest_bytes(rng, 60 if block_size < 100 else 400)
    blob = _members(rng, data)
    (want, want_exc), (got, got_exc) = _both(blob, block_size)
    assert want_exc is None and got_exc is None
    assert got == want and b"".join(got) == data


@pytest.mark.parametrize("block_size", [5, 4096, 1 << 18])
def test_truncated_stream_yields_every_complete_line_then_eof(block_size, rng):
    blob = _members(rng, _manifest_bytes(rng, 300))
    for cut in [int(rng.integers(1, len(blob) - 8)), len(blob) - 3, 1, 5]:
        (want, want_exc), (got, got_exc) = _both(blob[:cut], block_size)
        assert want_exc is got_exc is EOFError or (cut == 1 and got_exc is want_exc)
        assert got == want


@pytest.mark.parametrize("tail", [b"garbage", b"x", b"\0\0\0"])
def test_what_follows_a_member(tail):
    data = b'{"id": "a"}\n{"id": "b"}\n'
    (want, want_exc), (got, got_exc) = _both(gzip.compress(data) + tail, 4)
    assert got == want == data.splitlines(keepends=True)
    assert got_exc is want_exc  # BadGzipFile after the lines, or None after zero padding


def test_not_gzip_and_empty():
    assert _both(b"plain text\n", 4096)[1] == ([], gzip.BadGzipFile)
    assert _both(b"", 4096)[1] == ([], None)


def _write_manifest(tmp_path, rng):
    data = _manifest_bytes(rng, 200)
    path = tmp_path / "cuts.jsonl.gz"
    path.write_bytes(_members(rng, data))
    return path, data


def test_iter_lines_same_with_and_without_isal(tmp_path, monkeypatch, rng):
    path, data = _write_manifest(tmp_path, rng)
    fast = list(iter_lines(str(path), "web"))
    monkeypatch.setattr(manifest, "_fast_inflater", lambda: None)
    assert list(iter_lines(str(path), "web")) == fast
    expected = [(i, line) for i, line in enumerate(data.splitlines(keepends=True))
                if line.strip()]
    assert fast == expected


@pytest.mark.parametrize("with_isal", [True, False])
def test_truncated_manifest_error_same_with_and_without_isal(tmp_path, monkeypatch, with_isal, rng):
    path, _ = _write_manifest(tmp_path, rng)
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    expected = _stream(lambda: gzip.open(path, "rb"))[0]
    if not with_isal:
        monkeypatch.setattr(manifest, "_fast_inflater", lambda: None)
    read = []
    with pytest.raises(BadInputError, match="unreadable manifest after line") as info:
        for item in iter_lines(str(path), "web"):
            read.append(item)
    assert [line for _, line in read] == [line for line in expected if line.strip()]
    assert f"after line {len(expected)}:" in str(info.value)
    assert (info.value.path, info.value.source) == (str(path), "web")


def test_corrupt_member_is_bad_input(tmp_path, rng):
    blob = bytearray(gzip.compress(_manifest_bytes(rng, 50)))
    blob[len(blob) // 2] ^= 0xFF
    blob[-8] ^= 0x01  # the CRC too, in case the flipped byte still inflates
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(bytes(blob))
    with pytest.raises(BadInputError, match="unreadable manifest after line") as info:
        list(iter_lines(str(path), "web"))
    assert info.value.path == str(path)
