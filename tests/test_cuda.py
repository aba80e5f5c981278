# The CUDA batch kernel gives exactly the CPU builder's tensors (needs a GPU; marked `cuda`).
import numpy as np
import pytest
import torch

from docgen import LOSS_MASK_BITS, random_ragged_batch
from spelangy import _C
from spelangy.build import build_batch
from spelangy.device import DevicePacker

pytestmark = pytest.mark.cuda

FIELDS = ("tokens", "labels", "position_ids", "modality", "cu_seqlens")




def assert_same(cpu, gpu):
    assert gpu.tokens.device.type == "cuda"
    for name in FIELDS:
        a, b = getattr(cpu, name), getattr(gpu, name).cpu()
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert torch.equal(a, b), name
    assert gpu.max_seqlen == cpu.max_seqlen


def test_the_build_has_the_kernel():
    assert _C.has_cuda(), "spelangy._C was built without the CUDA kernel"


@pytest.mark.parametrize("loss_on", ["all", "text", "audio"])
def test_gpu_equals_cpu_on_random_plans(rng, loss_on):
    for _ in range(30):
        ragged = random_ragged_batch(rng, loss_mask_bits=LOSS_MASK_BITS[loss_on])
        assert_same(build_batch(ragged), build_batch(ragged, device="cuda"))


@pytest.mark.parametrize("seq_len", [4096, 16384])
def test_gpu_equals_cpu_on_large_batches(rng, seq_len):
    # Over a million positions at 16k: more than one grid's worth, so threads loop.
    batch_size = 72 if seq_len == 16384 else 8
    ragged = random_ragged_batch(rng, batch_size=batch_size, seq_len=seq_len)
    assert_same(build_batch(ragged), build_batch(ragged, device="cuda"))


def test_pinned_input_and_side_stream(rng):
    ragged = random_ragged_batch(rng, batch_size=4, seq_len=512)
    pinned = ragged.pin_memory()
    assert torch.from_numpy(pinned.tokens).is_pinned()
    np.testing.assert_array_equal(pinned.tokens, ragged.tokens)
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        gpu = build_batch(pinned, device="cuda")
    stream.synchronize()
    assert_same(build_batch(ragged), gpu)


def test_device_packer_on_gpu(rng):
    ragged = random_ragged_batch(rng, batch_size=3, seq_len=256)
    packer = DevicePacker("cuda")
    assert packer.use_kernel
    assert_same(build_batch(ragged), packer(ragged))


def test_host_pointers_are_refused():
    ragged = random_ragged_batch(np.random.default_rng(0), batch_size=1, seq_len=8)
    cpu = build_batch(ragged)
    args = [cpu.tokens.data_ptr()] * 7 + [ragged.num_pieces, 1, 8, ragged.pad_id, 7]
    outputs = [getattr(cpu, name).data_ptr() for name in FIELDS]
    with pytest.raises(ValueError, match="is not CUDA device memory"):
        _C.build_batch_cuda(*args, *outputs, torch.cuda.current_stream().cuda_stream)
