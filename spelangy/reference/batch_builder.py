# Reference batch building: ragged pieces + plan -> padded rows, one position at a time.
from __future__ import annotations

import numpy as np

from ..batch import RaggedBatch
from ..vocab import IGNORE_INDEX, Modality


def build_batch_arrays(ragged: RaggedBatch) -> tuple:
    B, L = ragged.batch_size, ragged.seq_len
    tokens = np.zeros((B, L), dtype=np.int64)
    labels = np.full((B, L), IGNORE_INDEX, dtype=np.int64)
    positions = np.zeros((B, L), dtype=np.int64)
    modality = np.full((B, L), Modality.PAD, dtype=np.int8)
    for p in range(ragged.num_pieces):
        row, col = int(ragged.piece_row[p]), int(ragged.piece_col[p])
        length, src = int(ragged.piece_length[p]), int(ragged.piece_src[p])
        for j in range(length):
            if src < 0:
                tokens[row, col + j] = ragged.pad_id
                continue
            tokens[row, col + j] = ragged.tokens[src + j]
            modality[row, col + j] = ragged.modality[src + j]
            positions[row, col + j] = j
            if j < length - 1:
                target_modality = int(ragged.modality[src + j + 1])
                if (ragged.loss_mask_bits >> target_modality) & 1:
                    labels[row, col + j] = ragged.tokens[src + j + 1]
            else:
                labels[row, col + j] = ragged.piece_next_label[p]
    return tokens, labels, positions, modality, ragged.cu_seqlens
