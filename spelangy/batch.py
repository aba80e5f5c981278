# The batch schema: what workers hand over (RaggedBatch) and what a trainer gets (PackedBatch).
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import List, NamedTuple, Optional

import numpy as np
import torch


class Receipt(NamedTuple):
    """One document piece in a row: which document, which tokens, where in the row."""

    source: str
    cut_id: str
    start: int  # first token of the piece in the document's token stream
    end: int  # one past the last token
    row_offset: int  # column in the row where the piece starts


@dataclass
class RaggedBatch:
    """A batch before padding: the ragged token stream of its pieces plus the packing plan.

    This is what DataLoader workers produce (CPU arrays, pinnable). `build_batch` turns it
    into a `PackedBatch` on the CPU or, with the CUDA kernel, on the GPU; only these arrays
    cross PCIe. Field meanings: docs/semantics.md, "Building a batch from the plan".

    tokens:         int32 [N]   tokens of all pieces, concatenated
    modality:       int8  [N]   modality code per token
    piece_row:      int32 [P]   row of each piece (padding pieces included), (row, col) order
    piece_col:      int32 [P]   column where the piece starts
    piece_length:   int32 [P]   tokens in the piece
    piece_src:      int64 [P]   offset of the piece in `tokens`; -1 for padding
    piece_next_label: int64 [P] label of the piece's last token (-100 at a document end)
    """

    tokens: np.ndarray
    modality: np.ndarray
    piece_row: np.ndarray
    piece_col: np.ndarray
    piece_length: np.ndarray
    piece_src: np.ndarray
    piece_next_label: np.ndarray
    batch_size: int
    seq_len: int
    pad_id: int
    loss_mask_bits: int
    receipts: List[List[Receipt]] = field(default_factory=list)
    loader_state: Optional[dict] = None

    @property
    def num_pieces(self) -> int:
        return len(self.piece_row)

    @property
    def max_seqlen(self) -> int:
        return int(self.piece_length.max()) if len(self.piece_length) else 0

    @property
    def cu_seqlens(self) -> np.ndarray:
        starts = self.piece_row.astype(np.int64) * self.seq_len + self.piece_col
        return np.append(starts, self.batch_size * self.seq_len).astype(np.int32)

    def pin_memory(self) -> "RaggedBatch":
        """The same batch with its arrays in page-locked memory, so that `build_batch` copies
        them to the GPU asynchronously. DataLoader(pin_memory=True) calls this."""

        def pin(a: np.ndarray) -> np.ndarray:
            # The numpy view keeps the pinned tensor (and its memory) alive.
            return torch.from_numpy(np.ascontiguousarray(a)).pin_memory().numpy()

        return replace(
            self, tokens=pin(self.tokens), modality=pin(self.modality),
            piece_row=pin(self.piece_row), piece_col=pin(self.piece_col),
            piece_length=pin(self.piece_length), piece_src=pin(self.piece_src),
            piece_next_label=pin(self.piece_next_label),
        )


@dataclass
class PackedBatch:
    """Packed rows ready for a decoder-only LM.

    Two documents packed into one row of `seq_len = 8` (concat mode, `loss_on="all"`);
    document A = `B a1 a2 E`, document B = `B b1 b2 b3 ...` continuing in the next row:

    ```
    col            0    1    2    3  |  4    5    6    7
    tokens         B    a1   a2   E  |  B    b1   b2   b3
    labels         a1   a2   E   -100|  b1   b2   b3   b4    <- b4 is in the next row
    position_ids   0    1    2    3  |  0    1    2    3
    modality       S    T    T    S  |  S    A    A    A     (S special, T text, A audio)
    cu_seqlens     [0, 4, 8, ...]          receipts: [(src, "A", 0, 4, 0), (src, "B", 0, 4, 4)]
    ```

    Fields (B = batch_size, L = seq_len, P = pieces in the batch including padding):

    tokens:       int64 [B, L]  token ids in the `VocabLayout`
    labels:       int64 [B, L]  next token, or -100 at document ends, padding and masked loss
    position_ids: int64 [B, L]  position within the document piece, from 0
    modality:     int8  [B, L]  `Modality` code per token
    cu_seqlens:   int32 [P + 1] piece starts in the flattened [B * L] batch, then B * L
    max_seqlen:   int           longest piece
    receipts:     B lists of `Receipt`, the document pieces of each row in column order
    loader_state: the producing worker's state after this batch (see `LoaderStateTracker`)
    """

    tokens: torch.Tensor
    labels: torch.Tensor
    position_ids: torch.Tensor
    modality: torch.Tensor
    cu_seqlens: torch.Tensor
    max_seqlen: int
    receipts: List[List[Receipt]] = field(default_factory=list)
    loader_state: Optional[dict] = None

    @property
    def batch_size(self) -> int:
        return self.tokens.shape[0]

    @property
    def seq_len(self) -> int:
        return self.tokens.shape[1]

    def _map(self, fn) -> "PackedBatch":
        return PackedBatch(
            tokens=fn(self.tokens), labels=fn(self.labels), position_ids=fn(self.position_ids),
            modality=fn(self.modality), cu_seqlens=fn(self.cu_seqlens),
            max_seqlen=self.max_seqlen, receipts=self.receipts, loader_state=self.loader_state,
        )

    def to(self, device, non_blocking: bool = False) -> "PackedBatch":
        return self._map(lambda t: t.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> "PackedBatch":
        # DataLoader(pin_memory=True) calls this on custom batch types.
        return self._map(lambda t: t.pin_memory())
