# Arrays handed to the C++ entry points: every bad shape, dtype, offset or size is a clear
# error, never a crash, an out-of-bounds read or a silently wrapped value.
import dataclasses

import numpy as np
import pytest
from docgen import random_ragged_batch, random_speech_document

from spelangy import _C
from spelangy import _core_cpp as cpp
from spelangy import reference as ref
from spelangy.build import build_batch
from spelangy.config import ChunkingConfig, SamplingConfig
from spelangy.errors import BadInputError, SpelangyError
from spelangy.vocab import VocabLayout

VOCAB = VocabLayout(text_vocab_size=150, speech_vocab_size=64)


def _plan(**arrays):
    base = dict(piece_row=np.array([0], np.int32), piece_col=np.array([0], np.int32),
                piece_length=np.array([4], np.int32), piece_src=np.array([0], np.int64),
                num_tokens=4, batch_size=1, seq_len=4)
    base.update(arrays)
    return _C.check_batch_plan(*base.values())


def test_plan_check_is_overflow_safe():
    assert _plan() == ""
    assert "does not fit the int32 cu_seqlens" in _plan(batch_size=2**62 + 1)
    assert "does not fit the int32 cu_seqlens" in _plan(batch_size=2**32, seq_len=2**32)
    assert "outside the 4 ragged tokens" in _plan(piece_src=np.array([2**63 - 1], np.int64))
    assert "outside the 4 ragged tokens" in _plan(piece_src=np.array([2**62], np.int64))
    assert "non-negative" in _plan(num_tokens=-1)
    with pytest.raises(ValueError, match="piece_row must be a 1-D array"):
        _plan(piece_row=np.zeros((1, 1), np.int32))


def _mutated(ragged, **changes):
    return dataclasses.replace(ragged, **changes)


def test_ragged_batch_shapes_dtypes_and_values_are_checked(rng):
    ragged = random_ragged_batch(rng, batch_size=2, seq_len=8, empty_pieces=False)
    while len(ragged.tokens) == 0:  # (a batch of padding only has no modality to damage)
        ragged = random_ragged_batch(rng, batch_size=2, seq_len=8, empty_pieces=False)
    n, p = len(ragged.tokens), ragged.num_pieces
    cases = [
        (dict(modality=np.zeros((n, 0), np.int8)), "modality must be a 1-D array"),
        (dict(modality=np.zeros(n + 1, np.int8)), f"modality has {n + 1} entries for {n}"),
        (dict(tokens=ragged.tokens.reshape(1, -1)), "tokens must be a 1-D array"),
        (dict(tokens=ragged.tokens.astype(np.float32)), "tokens must hold integers"),
        (dict(tokens=np.full(n, 2**40, np.int64)), "tokens has values outside int32"),
        (dict(piece_src=np.full(p, 2**63 - 1, np.int64)), "outside the"),
        (dict(piece_row=np.full(p, 2**33, np.int64)), "piece_row has values outside int32"),
        (dict(piece_length=ragged.piece_length[:-1]), f"piece_length has {p - 1} entries"),
        (dict(piece_next_label=np.zeros((p, 1), np.int64)), "piece_next_label must be a 1-D"),
        (dict(seq_len=2**40), "seq_len must be an int32 integer"),
        # Found by tests/fuzz.py: a modality code outside Modality shifted the loss mask
        # by a negative amount (undefined in C++).
        (dict(modality=np.full(n, -1, np.int8)), r"modality has codes outside \[0, 3\]"),
        (dict(modality=np.full(n, 8, np.int8)), r"modality has codes outside \[0, 3\]"),
        (dict(batch_size=2.0), "batch_size must be an int32 integer"),
    ]
    for changes, message in cases:
        bad = _mutated(ragged, **changes)
        for build in (build_batch, cpp.build_batch_arrays, cpp.build_batch_arrays_kernel_emulation):
            with pytest.raises(SpelangyError, match=message):
                build(bad)
    # Safe widening casts are taken as they are.
    wide = _mutated(ragged, tokens=ragged.tokens.astype(np.int64),
                    piece_row=ragged.piece_row.astype(np.int16))
    for a, b in zip(cpp.build_batch_arrays(wide), ref.build_batch_arrays(ragged)):
        np.testing.assert_array_equal(a, b)


def test_document_arrays_with_a_narrowing_dtype_are_refused(rng):
    doc = random_speech_document(rng, num_turns=3)
    for name, value in (("speech_tokens", np.full(5, 2**33, np.int64)),
                        ("text_tokens", doc.text_tokens.astype(np.float64)),
                        ("turn_word_offsets", doc.turn_word_offsets.astype(np.float32)),
                        # found by tests/fuzz.py: numpy casts bool to int64 "safely"
                        ("word_token_offsets", doc.word_token_offsets.astype(bool))):
        bad = dataclasses.replace(doc, **{name: value}, key=doc.key)
        with pytest.raises(BadInputError, match=f"{name} must be .*got .*cut '{doc.cut_id}'"):
            cpp.build_speech_document(bad, ChunkingConfig(), SamplingConfig(), 0, 0, VOCAB)
    wide = dataclasses.replace(doc, turn_speaker=doc.turn_speaker.astype(np.int8),
                               speech_tokens=doc.speech_tokens.astype(np.int16), key=doc.key)
    got = cpp.build_speech_document(wide, ChunkingConfig(), SamplingConfig(), 0, 0, VOCAB)
    want = ref.build_speech_document(doc, ChunkingConfig(), SamplingConfig(), 0, 0, VOCAB)
    np.testing.assert_array_equal(got.tokens, want.tokens)


@pytest.mark.parametrize("time", [1e300, -1e300, np.inf, -np.inf, np.nan, 1e18, -1e-300])
def test_odd_times_chunk_alike_with_frames_inside(rng, time):
    """Found by tests/fuzz.py: a NaN word start made the C++ fine chunking group sentences
    differently from the reference."""
    doc = random_speech_document(rng, num_turns=4)
    doc.turn_start = doc.turn_start.copy()
    doc.turn_end = doc.turn_end.copy()
    doc.word_start = doc.word_start.copy()
    doc.turn_start[1] = time
    doc.turn_end[2] = time
    if len(doc.word_start):
        doc.word_start[rng.integers(len(doc.word_start))] = time
    for mode in ("coarse", "fine"):
        chunking = ChunkingConfig(mode, float(rng.uniform(0.5, 12.0)))  # splits long turns
        want, got = ref.chunk_document(doc, chunking), cpp.chunk_document(doc, chunking)
        np.testing.assert_array_equal(want.frame_begin, got.frame_begin)
        np.testing.assert_array_equal(want.frame_end, got.frame_end)
        frames = len(doc.speech_tokens)
        assert ((got.frame_begin >= 0) & (got.frame_begin <= got.frame_end)
                & (got.frame_end <= frames)).all()


@pytest.mark.parametrize("code", [2**31 - 1, 64, -2])
def test_speech_codes_outside_the_vocabulary_are_refused(rng, code):
    """Found by tests/fuzz.py: a code near 2**31 overflowed int32 once offset (undefined in
    C++); any code outside [0, speech_vocab_size) would become another token's id."""
    doc = random_speech_document(rng, num_turns=3)
    while not len(doc.speech_tokens) or not doc.num_turns:
        doc = random_speech_document(rng, num_turns=3)
    doc.speech_tokens = np.full_like(doc.speech_tokens, code)
    sampling = SamplingConfig(first_modality="audio")
    for core in (cpp, ref):
        try:
            got = core.build_speech_document(doc, ChunkingConfig(), sampling, 0, 0, VOCAB)
        except BadInputError as err:
            assert "speech code of an audio chunk is outside" in str(err)
            assert doc.cut_id in str(err)
            continue
        # No audio chunk reached a frame: nothing was emitted from the codes.
        assert not (got.modality == 1).any()
