# Next-token loss over packed rows, and its split by the modality of the target token.
from __future__ import annotations

from typing import Dict, NamedTuple

import torch
import torch.nn.functional as F

from ..vocab import IGNORE_INDEX, Modality, VocabLayout

LOSS_MODALITIES = (Modality.TEXT, Modality.AUDIO, Modality.SPECIAL)


class LossParts(NamedTuple):
    """`loss` is the mean over counted targets (what backward sees); the sums and counts per
    target modality are for logging and add up across ranks."""

    loss: torch.Tensor
    sums: torch.Tensor  # float64 [3]: summed loss per target modality (TEXT, AUDIO, SPECIAL)
    counts: torch.Tensor  # float64 [3]: counted targets per target modality


def target_modality(labels: torch.Tensor, vocab: VocabLayout) -> torch.Tensor:
    """Modality code of each label id; ignored labels (-100) get PAD."""
    out = torch.full_like(labels, int(Modality.SPECIAL))
    out[labels < vocab.bos] = int(Modality.AUDIO)
    out[labels < vocab.speech_offset] = int(Modality.TEXT)
    out[labels == IGNORE_INDEX] = int(Modality.PAD)
    return out


def lm_loss(logits: torch.Tensor, labels: torch.Tensor, vocab: VocabLayout) -> LossParts:
    """Cross-entropy of `logits` [B, L, V] against `labels` [B, L].

    Labels already carry -100 wherever the loader masked the loss (`loss_on`), so positions
    whose target is masked contribute neither loss nor gradient.
    """
    per_token = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1),
        ignore_index=IGNORE_INDEX, reduction="none",
    )
    counted = labels.reshape(-1) != IGNORE_INDEX
    loss = per_token.sum() / counted.sum().clamp(min=1)
    modality = target_modality(labels.reshape(-1), vocab)
    detached = per_token.detach().double()
    sums = torch.stack([detached[modality == int(m)].sum() for m in LOSS_MODALITIES])
    counts = torch.stack([(modality == int(m)).sum().double() for m in LOSS_MODALITIES])
    return LossParts(loss, sums, counts)


def modality_losses(sums: torch.Tensor, counts: torch.Tensor) -> Dict[str, float]:
    """`{"loss_text": ..., "loss_audio": ..., "loss_special": ...}`; None where no target."""
    return {
        f"loss_{m.name.lower()}": (float(s / c) if c > 0 else None)
        for m, s, c in zip(LOSS_MODALITIES, sums.tolist(), counts.tolist())
    }
