# build_batch on the CPU: the worked example of PackedBatch, and C++ == reference on random plans.
import numpy as np
import pytest
import torch

from docgen import LOSS_MASK_BITS, TEST_VOCAB, random_ragged_batch
from spelangy import reference
from spelangy.batch import RaggedBatch, Receipt
from spelangy.build import build_batch
from spelangy.device import DevicePacker
from spelangy.errors import SpelangyError
from spelangy.vocab import IGNORE_INDEX

V = TEST_VOCAB
S, T, A, P = 2, 0, 1, 3  # modality codes: special, text, audio, padding
a1, a2 = 11, 12
b1, b2, b3, b4 = (V.speech_offset + i for i in (1, 2, 3, 4))
FIELDS = ("tokens", "labels", "position_ids", "modality", "cu_seqlens")




def worked_example(loss_on: str) -> RaggedBatch:
    """PackedBatch's docstring example: A = B a1 a2 E, then B = B b1 b2 b3 b4 E split over two
    rows of 8; the second row ends with 6 padding positions."""
    bits = LOSS_MASK_BITS[loss_on]
    b3_label = b4 if (bits >> A) & 1 else IGNORE_INDEX  # the planner's label for b3
    return RaggedBatch(
        tokens=np.array([V.bos, a1, a2, V.eos, V.bos, b1, b2, b3, b4, V.eos], np.int32),
        modality=np.array([S, T, T, S, S, A, A, A, A, S], np.int8),
        piece_row=np.array([0, 0, 1, 1], np.int32),
        piece_col=np.array([0, 4, 0, 2], np.int32),
        piece_length=np.array([4, 4, 2, 6], np.int32),
        piece_src=np.array([0, 4, 8, -1], np.int64),
        piece_next_label=np.array([IGNORE_INDEX, b3_label, IGNORE_INDEX, IGNORE_INDEX], np.int64),
        batch_size=2, seq_len=8, pad_id=V.pad, loss_mask_bits=bits,
        receipts=[[Receipt("src", "A", 0, 4, 0), Receipt("src", "B", 0, 4, 4)],
                  [Receipt("src", "B", 4, 6, 0)]],
        loader_state={"batches": 3},
    )


@pytest.mark.parametrize("backend", ["cpp", "reference"])
def test_worked_example(backend):
    packed = build_batch(worked_example("all"), backend=backend)
    x = IGNORE_INDEX
    pad = V.pad
    assert packed.tokens.tolist() == [[V.bos, a1, a2, V.eos, V.bos, b1, b2, b3],
                                      [b4, V.eos, pad, pad, pad, pad, pad, pad]]
    assert packed.labels.tolist() == [[a1, a2, V.eos, x, b1, b2, b3, b4],
                                      [V.eos, x, x, x, x, x, x, x]]
    assert packed.position_ids.tolist() == [[0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 0, 0, 0, 0, 0, 0]]
    assert packed.modality.tolist() == [[S, T, T, S, S, A, A, A], [A, S, P, P, P, P, P, P]]
    assert packed.cu_seqlens.tolist() == [0, 4, 8, 10, 16]
    assert packed.max_seqlen == 6
    assert [t.dtype for t in (packed.tokens, packed.labels, packed.position_ids, packed.modality,
                              packed.cu_seqlens)] == [torch.int64] * 3 + [torch.int8, torch.int32]
    assert packed.receipts[0][1] == Receipt("src", "B", 0, 4, 4)
    assert packed.loader_state == {"batches": 3}


def test_worked_example_with_loss_on_text_only():
    packed = build_batch(worked_example("text"))
    x = IGNORE_INDEX
    # Targets that are audio lose their label; specials (EOS) keep theirs.
    assert packed.labels.tolist() == [[a1, a2, V.eos, x, x, x, x, x],
                                      [V.eos, x, x, x, x, x, x, x]]
    packed = build_batch(worked_example("audio"))
    assert packed.labels.tolist() == [[x, x, V.eos, x, b1, b2, b3, b4],
                                      [V.eos, x, x, x, x, x, x, x]]


@pytest.mark.parametrize("loss_on", ["all", "text", "audio"])
def test_cpp_equals_reference_on_random_plans(rng, loss_on):
    for _ in range(40):
        ragged = random_ragged_batch(rng, loss_mask_bits=LOSS_MASK_BITS[loss_on])
        want = build_batch(ragged, backend="reference")
        got = build_batch(ragged, device="cpu")
        for name in FIELDS:
            a, b = getattr(want, name), getattr(got, name)
            assert a.dtype == b.dtype and torch.equal(a, b), name
        assert got.max_seqlen == want.max_seqlen
        assert got.receipts is ragged.receipts


def test_long_documents_over_many_rows(rng):
    ragged = random_ragged_batch(rng, batch_size=6, seq_len=64)
    packed = build_batch(ragged)
    want = reference.build_batch_arrays(ragged)
    for name, a in zip(FIELDS, want):
        assert np.array_equal(getattr(packed, name).numpy(), a), name


def test_device_packer_on_cpu(rng):
    ragged = random_ragged_batch(rng)
    packer = DevicePacker("cpu")
    packed = packer(ragged)
    assert packed.tokens.device.type == "cpu"
    want = reference.build_batch_arrays(ragged)  # the definition, not the builder it calls
    for name, array in zip(("tokens", "labels", "position_ids", "modality", "cu_seqlens"), want):
        assert np.array_equal(getattr(packed, name).numpy(), array), name
    assert packer(packed).tokens is packed.tokens
    with pytest.raises(SpelangyError, match="takes a RaggedBatch or PackedBatch, got dict"):
        packer({})


def test_bad_arguments():
    ragged = worked_example("all")
    with pytest.raises(SpelangyError,
                       match=r"backend must be one of \('cpp', 'reference'\), got 'fast'"):
        build_batch(ragged, backend="fast")
    with pytest.raises(SpelangyError, match="device must be a CPU or CUDA device, got 'meta'"):
        build_batch(ragged, device="meta")
    with pytest.raises(SpelangyError, match="DevicePacker: device must be cpu or cuda"):
        DevicePacker("meta")
    ragged.piece_col = np.array([0, 4, 0, 3], np.int32)  # a one-column gap before the padding
    ragged.piece_length = np.array([4, 4, 2, 5], np.int32)
    with pytest.raises(SpelangyError, match=r"piece 3: starts at \(row 1, col 3\) but the pieces "
                                            r"before it end at \(row 1, col 2\)"):
        build_batch(ragged)

