# RaggedBatch -> PackedBatch on the CPU (C++ or reference) or on a CUDA device (the kernel).
from __future__ import annotations

import dataclasses
from typing import Optional, Union

import numpy as np
import torch

from .batch import PackedBatch, RaggedBatch
from ._core_cpp import host_arrays
from .errors import SpelangyError

BACKENDS = ("cpp", "reference")


def _empty_outputs(ragged: RaggedBatch, device: torch.device) -> list:
    shape = (ragged.batch_size, ragged.seq_len)
    return [
        torch.empty(shape, dtype=torch.int64, device=device),
        torch.empty(shape, dtype=torch.int64, device=device),
        torch.empty(shape, dtype=torch.int64, device=device),
        torch.empty(shape, dtype=torch.int8, device=device),
        torch.empty(ragged.num_pieces + 1, dtype=torch.int32, device=device),
    ]


def _packed(ragged: RaggedBatch, outputs) -> PackedBatch:
    tokens, labels, position_ids, modality, cu_seqlens = outputs
    return PackedBatch(
        tokens=tokens, labels=labels, position_ids=position_ids, modality=modality,
        cu_seqlens=cu_seqlens, max_seqlen=ragged.max_seqlen, receipts=ragged.receipts,
        loader_state=ragged.loader_state,
    )


def _scalars(ragged: RaggedBatch) -> list:
    return [ragged.num_pieces, ragged.batch_size, ragged.seq_len, ragged.pad_id,
            ragged.loss_mask_bits]


def _build_cpu(ragged: RaggedBatch, inputs: list) -> PackedBatch:
    from . import _C

    outputs = _empty_outputs(ragged, torch.device("cpu"))
    _C.build_batch_cpu(*[a.ctypes.data for a in inputs], *_scalars(ragged),
                       *[t.data_ptr() for t in outputs])
    return _packed(ragged, outputs)


def _build_cuda(ragged: RaggedBatch, inputs: list, device: torch.device) -> PackedBatch:
    from . import _C

    if not _C.has_cuda():
        raise SpelangyError(
            f"build_batch(device={str(device)!r}): this spelangy build has no CUDA kernel (nvcc "
            f"was not found when it was built, or SPELANGY_CUDA=OFF); rebuild with nvcc on PATH, "
            f"or build on the CPU and move the PackedBatch with .to(device)"
        )
    if device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    with torch.cuda.device(device):
        # Copies and kernel share the current stream, so the caching allocator may recycle
        # the ragged device buffers as soon as this returns.
        stream = torch.cuda.current_stream(device)
        inputs = [torch.from_numpy(a).to(device, non_blocking=True) for a in inputs]
        outputs = _empty_outputs(ragged, device)
        _C.build_batch_cuda(*[t.data_ptr() for t in inputs], *_scalars(ragged),
                            *[t.data_ptr() for t in outputs], stream.cuda_stream)
    return _packed(ragged, outputs)


class RaggedInTransit(PackedBatch):
    """A batch leaving a DataLoader worker: it pickles as its RaggedBatch and unpickles as the
    PackedBatch, built on arrival in the DataLoader's process.

    The ragged arrays are 5 bytes per token against 25 for the padded tensors, and they
    cross as plain bytes through the worker's pipe, while each tensor would cost a
    shared-memory segment, a file descriptor and page faults on both sides; building a
    batch in C++ costs less than moving the difference.

    It is a PackedBatch for code that runs in the worker, such as a DataLoader
    `collate_fn`: reading any field builds the batch there (it then crosses built).
    """

    _FIELDS = frozenset(f.name for f in dataclasses.fields(PackedBatch))

    def __init__(self, ragged: RaggedBatch):  # no PackedBatch.__init__: nothing built yet
        object.__setattr__(self, "_transit", [ragged, None])

    def _built(self) -> PackedBatch:
        transit = object.__getattribute__(self, "_transit")
        if transit[1] is None:
            transit[1] = build_batch(transit[0])
        return transit[1]

    def __getattribute__(self, name: str):
        if name in RaggedInTransit._FIELDS:
            return getattr(object.__getattribute__(self, "_built")(), name)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._built(), name, value)

    def __reduce__(self):
        ragged, built = object.__getattribute__(self, "_transit")
        return (_as_is, (built,)) if built is not None else (build_batch, (ragged,))


def _as_is(batch: PackedBatch) -> PackedBatch:
    return batch


def build_batch(
    ragged: RaggedBatch,
    device: Optional[Union[str, torch.device]] = None,
    backend: str = "cpp",
) -> PackedBatch:
    """Pad a RaggedBatch into a PackedBatch (docs/semantics.md, "Building a batch").

    device: None or a CPU device builds on the CPU; a CUDA device copies only the ragged
        arrays to it (asynchronously when they are pinned, see `RaggedBatch.pin_memory`)
        and runs the CUDA kernel on the current stream.
    backend: `cpp` (the C++ builder or the CUDA kernel) or `reference` (pure Python, on the
        CPU, then moved to `device`). All give identical tensors.
    """
    if backend not in BACKENDS:
        raise SpelangyError(f"build_batch: backend must be one of {BACKENDS}, got {backend!r}")
    device = torch.device("cpu") if device is None else torch.device(device)
    if backend == "reference":
        from . import reference

        arrays = reference.build_batch_arrays(ragged)
        packed = _packed(ragged, [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays])
        return packed if device.type == "cpu" else packed.to(device)

    inputs = host_arrays(ragged)  # checked on the host: the kernel cannot report a bad plan
    if device.type == "cpu":
        return _build_cpu(ragged, inputs)
    if device.type == "cuda":
        return _build_cuda(ragged, inputs, device)
    raise SpelangyError(f"build_batch: device must be a CPU or CUDA device, got {str(device)!r}")
