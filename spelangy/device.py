# The training-process end of the GPU path: ragged batches from workers -> packed on the device.
from __future__ import annotations

import logging
from typing import Union

import torch

from .batch import PackedBatch, RaggedBatch
from .build import build_batch
from .errors import SpelangyError

logger = logging.getLogger(__name__)


class DevicePacker:
    """Turns the `RaggedBatch`es that DataLoader workers yield (`output="ragged"`) into
    `PackedBatch`es on `device`.

    Workers never touch CUDA: they produce CPU arrays (pinned by `DataLoader(pin_memory=True)`),
    and this object, called in the training process, copies only the ragged tokens to the GPU
    and runs the batch kernel there on the current stream. On a CPU device it builds on the
    CPU. A `PackedBatch` (from a dataset with `output="packed"`) is only moved.

        loader = DataLoader(dataset, batch_size=None, num_workers=4, pin_memory=True)
        pack = DevicePacker("cuda")
        for ragged in loader:
            batch = pack(ragged)   # tokens, labels, ... on the GPU
    """

    def __init__(self, device: Union[str, torch.device]):
        from . import _C

        self.device = torch.device(device)
        if self.device.type not in ("cpu", "cuda"):
            raise SpelangyError(f"DevicePacker: device must be cpu or cuda, got {str(device)!r}")
        self.on_gpu = self.device.type == "cuda"
        self.use_kernel = self.on_gpu and _C.has_cuda()
        if self.on_gpu and not self.use_kernel:
            # Still correct, only slower: the padded tensors cross PCIe instead of the ragged ones.
            logger.warning("spelangy was built without its CUDA kernel: batches are packed on the "
                           "CPU and copied to %s", self.device)

    def __call__(self, batch: Union[RaggedBatch, PackedBatch]) -> PackedBatch:
        if isinstance(batch, PackedBatch):
            return batch.to(self.device, non_blocking=True)
        if not isinstance(batch, RaggedBatch):
            raise SpelangyError(
                f"DevicePacker takes a RaggedBatch or PackedBatch, got {type(batch).__name__}"
            )
        if self.use_kernel:
            return build_batch(batch, device=self.device)
        packed = build_batch(batch)
        return packed.to(self.device, non_blocking=True) if self.on_gpu else packed

    def __repr__(self) -> str:
        return f"DevicePacker(device={str(self.device)!r}, kernel={self.use_kernel})"
