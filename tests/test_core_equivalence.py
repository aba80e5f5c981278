# The C++ core equals the pure-Python reference, array for array, on fresh random documents.
import itertools

import numpy as np
import pytest

from docgen import (
    LOSS_MASK_BITS,
    pack_documents,
    random_ragged_batch,
    random_speech_document,
    random_text_document,
)
from spelangy import _core_cpp as cpp
from spelangy import reference as ref
from spelangy._C import splitmix64
from spelangy.batch import RaggedBatch
from spelangy.chunks import Chunks
from spelangy.config import ChunkingConfig, SamplingConfig
from spelangy.errors import BadInputError, SpelangyError
from spelangy.vocab import Modality, VocabLayout

VOCAB = VocabLayout(text_vocab_size=150, speech_vocab_size=64)
FIELDS = ("tokens", "labels", "position_ids", "modality", "cu_seqlens")




def assert_same(a, b, what=""):
    assert isinstance(b, np.ndarray) and a.dtype == b.dtype, (what, a.dtype, getattr(b, "dtype", b))
    np.testing.assert_array_equal(a, b, err_msg=what)


def assert_same_chunks(a: Chunks, b: Chunks):
    assert isinstance(b, Chunks)
    for field in Chunks._fields[:-1]:
        assert_same(getattr(a, field), getattr(b, field), field)
    assert a.unsplit_turns == b.unsplit_turns


def random_max_duration(rng, mode):
    return float(rng.choice([ChunkingConfig(mode=mode).max_chunk_duration, rng.uniform(0.5, 40.0)]))


def test_splitmix64_matches_the_published_sequence():
    # The first outputs of splitmix64 seeded with 0 (Vigna's reference generator) are
    # splitmix64(0), splitmix64(0x9E3779B97F4A7C15), ...
    assert splitmix64(0) == 0xE220A8397B1DCDAF
    assert splitmix64(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4
    assert splitmix64(2**64 - 1) == ref.sampling.splitmix64(2**64 - 1)


def test_chunk_document(rng):
    for _ in range(60):
        doc = random_speech_document(rng)
        for mode in ("coarse", "fine"):
            chunking = ChunkingConfig(mode=mode, max_chunk_duration=random_max_duration(rng, mode))
            assert_same_chunks(ref.chunk_document(doc, chunking), cpp.chunk_document(doc, chunking))


def test_fine_chunking_splits_and_counts(rng):
    # Guards the generator: the equivalence above must cover split and unsplit long turns.
    split = unsplit = 0
    for _ in range(60):
        doc = random_speech_document(rng, num_turns=8)
        chunks = cpp.chunk_document(doc, ChunkingConfig(mode="fine"))
        split += chunks.num_chunks > doc.num_turns
        unsplit += chunks.unsplit_turns
    assert split > 0 and unsplit > 0


def test_sample_modalities(rng):
    for mode, first in itertools.product(("deterministic", "stochastic"), ("audio", "text")):
        for p_audio in (0.0, 1.0, float(rng.random()), 0.5):
            sampling = SamplingConfig(mode=mode, first_modality=first, p_audio=p_audio)
            for _ in range(10):
                n = int(rng.integers(0, 200))
                key = int(rng.integers(0, 2**64, dtype=np.uint64))  # often >= 2**63
                seed = int(rng.integers(0, 2**64, dtype=np.uint64))
                epoch = int(rng.integers(0, 1000))
                got = cpp.sample_modalities(n, key, sampling, seed, epoch)
                assert_same(ref.sample_modalities(n, key, sampling, seed, epoch), got)


def test_sample_modalities_known_values():
    det = SamplingConfig(mode="deterministic", first_modality="text")
    assert cpp.sample_modalities(5, 7, det, 0, 0).tolist() == [0, 1, 0, 1, 0]
    always = SamplingConfig(mode="stochastic", first_modality="text", p_audio=1.0)
    assert cpp.sample_modalities(4, 2**64 - 1, always, 3, 9).tolist() == [0, 1, 1, 1]
    never = SamplingConfig(mode="stochastic", p_audio=0.0)
    assert cpp.sample_modalities(4, 1, never, 3, 9).tolist() == [1, 0, 0, 0]


def test_stochastic_draws_change_with_epoch_and_key(rng):
    sampling = SamplingConfig(mode="stochastic")
    key, seed = int(rng.integers(2**63)), int(rng.integers(2**63))
    a = cpp.sample_modalities(400, key, sampling, seed, 0)
    assert 120 < int((a[1:] == Modality.AUDIO).sum()) < 280
    assert not np.array_equal(a, cpp.sample_modalities(400, key, sampling, seed, 1))
    assert not np.array_equal(a, cpp.sample_modalities(400, key + 1, sampling, seed, 0))


def test_interleave_speech(rng):
    for _ in range(40):
        doc = random_speech_document(rng)
        mode = str(rng.choice(["coarse", "fine"]))
        chunks = ref.chunk_document(doc, ChunkingConfig(mode=mode))
        # Any modality sequence, not only sampled ones: runs, switches, empty chunks.
        modalities = rng.choice([Modality.TEXT, Modality.AUDIO], size=chunks.num_chunks)
        modalities = modalities.astype(np.int8)
        want = ref.interleave_speech(doc, chunks, modalities, VOCAB)
        got = cpp.interleave_speech(doc, chunks, modalities, VOCAB)
        assert len(got) == 2
        assert_same(want[0], got[0], "tokens")
        assert_same(want[1], got[1], "modality")


def test_interleave_text(rng):
    for _ in range(20):
        doc = random_text_document(rng)
        want, got = ref.interleave_text(doc, VOCAB), cpp.interleave_text(doc, VOCAB)
        assert_same(want[0], got[0], "tokens")
        assert_same(want[1], got[1], "modality")


@pytest.mark.parametrize("chunking_mode", ["coarse", "fine"])
@pytest.mark.parametrize("sampling_mode", ["deterministic", "stochastic"])
@pytest.mark.parametrize("first_modality", ["audio", "text"])
@pytest.mark.parametrize("loss_on", ["all", "text", "audio"])
def test_document_to_batch_pipeline(rng, chunking_mode, sampling_mode, first_modality, loss_on):
    """build_speech_document for each document, then packing and build_batch_arrays."""
    chunking = ChunkingConfig(mode=chunking_mode,
                              max_chunk_duration=random_max_duration(rng, chunking_mode))
    sampling = SamplingConfig(mode=sampling_mode, first_modality=first_modality,
                              p_audio=float(rng.random()))
    seed, epoch = int(rng.integers(0, 2**64, dtype=np.uint64)), int(rng.integers(0, 50))
    documents = []
    for _ in range(8):
        doc = random_speech_document(rng)
        want = ref.build_speech_document(doc, chunking, sampling, seed, epoch, VOCAB)
        got = cpp.build_speech_document(doc, chunking, sampling, seed, epoch, VOCAB)
        assert len(got) == 5
        assert_same(want.tokens, got.tokens, "tokens")
        assert_same(want.modality, got.modality, "modality")
        assert_same_chunks(want.chunks, got.chunks)
        assert_same(want.chunk_modality, got.chunk_modality, "chunk modalities")
        assert want.audio_chunks_as_text == got.audio_chunks_as_text
        # what counting batches sizes a document by, without building it
        for core in (ref, cpp):
            assert core.speech_document_length(doc, chunking, sampling, seed, epoch,
                                               VOCAB) == len(want.tokens)
        documents.append((doc.cut_id, got.tokens, got.modality))
    seq_len = int(rng.integers(16, 400))
    ragged = pack_documents(rng, iter(documents), int(rng.integers(1, 6)), seq_len,
                            LOSS_MASK_BITS[loss_on], VOCAB.pad)
    want = ref.build_batch_arrays(ragged)
    got = cpp.build_batch_arrays(ragged)
    for name, a, b in zip(FIELDS, want, got):
        assert_same(a, b, name)


def test_build_batch_arrays(rng):
    for _ in range(150):
        ragged = random_ragged_batch(rng)
        want = ref.build_batch_arrays(ragged)
        # The C++ builder, and the CUDA kernel's per-thread code run on the CPU.
        for got in (cpp.build_batch_arrays(ragged),
                    cpp.build_batch_arrays_kernel_emulation(ragged)):
            assert len(got) == 5
            for name, a, b in zip(FIELDS, want, got):
                assert_same(a, b, name)


def test_inconsistent_document_names_the_cut(rng):
    doc = random_speech_document(rng, num_turns=3)
    doc.turn_word_offsets = doc.turn_word_offsets.copy()
    doc.turn_word_offsets[-1] = doc.num_words + 5
    with pytest.raises(BadInputError, match=rf"turn_word_offsets.*cut '{doc.cut_id}'"):
        cpp.build_speech_document(doc, ChunkingConfig(), SamplingConfig(), 0, 0, VOCAB)
    with pytest.raises(BadInputError, match=rf"turn_word_offsets.*cut '{doc.cut_id}'"):
        cpp.speech_document_length(doc, ChunkingConfig(), SamplingConfig(), 0, 0, VOCAB)
    doc.turn_word_offsets = doc.turn_word_offsets[:-1]
    with pytest.raises(BadInputError, match=r"turn_word_offsets has 3 entries, expected 4"):
        cpp.chunk_document(doc, ChunkingConfig())


def test_chunk_spans_outside_the_document_are_refused(rng):
    doc = random_speech_document(rng, num_turns=2)
    chunks = cpp.chunk_document(doc, ChunkingConfig())
    too_far = chunks._replace(frame_end=chunks.frame_end + len(doc.speech_tokens) + 1)
    modalities = np.ones(chunks.num_chunks, dtype=np.int8)
    with pytest.raises(BadInputError, match=r"frames .* outside the document's"):
        cpp.interleave_speech(doc, too_far, modalities, VOCAB)


def test_invalid_plan_is_refused(rng):
    ragged = random_ragged_batch(rng, batch_size=2, seq_len=16)
    ragged.piece_length = ragged.piece_length.copy()
    ragged.piece_length[0] += 1
    with pytest.raises(SpelangyError, match=r"invalid packing plan in RaggedBatch: piece"):
        cpp.build_batch_arrays(ragged)
    # One row of 4: a piece of 3 tokens reading past the 3 ragged tokens, then padding.
    ragged = RaggedBatch(
        tokens=np.arange(3, dtype=np.int32), modality=np.zeros(3, np.int8),
        piece_row=np.array([0, 0], np.int32), piece_col=np.array([0, 3], np.int32),
        piece_length=np.array([3, 1], np.int32), piece_src=np.array([1, -1], np.int64),
        piece_next_label=np.array([-100, -100], np.int64),
        batch_size=1, seq_len=4, pad_id=VOCAB.pad, loss_mask_bits=7,
    )
    with pytest.raises(SpelangyError,
                       match=r"piece 0: source offset 1 with length 3 is outside the 3 "):
        cpp.build_batch_arrays(ragged)
    ragged.piece_src[0] = 0
    assert cpp.build_batch_arrays(ragged)[0].tolist() == [[0, 1, 2, VOCAB.pad]]
