# The training model: per-document attention, speech-row init, and the per-modality loss.
import math

import numpy as np
import pytest
import torch

from spelangy import IGNORE_INDEX, Modality, VocabLayout
from spelangy.train.config import ModelConfig
from spelangy.train.loss import lm_loss, target_modality
from spelangy.train.model import SpeechTextLM, document_causal_mask

VOCAB = VocabLayout(text_vocab_size=40, speech_vocab_size=24)


def random_position_ids(rng, batch, length):
    """Rows cut into random pieces, positions restarting at 0 in each piece."""
    rows = []
    for _ in range(batch):
        row = []
        while len(row) < length:
            row.extend(range(int(rng.integers(1, length + 1))))
        rows.append(row[:length])
    return torch.tensor(rows)


def test_mask_is_causal_within_pieces_only(rng):
    pos = random_position_ids(rng, 3, 17)
    mask = document_causal_mask(pos)
    assert mask.shape == (3, 1, 17, 17)
    for b in range(3):
        piece = np.cumsum(pos[b].numpy() == 0)
        for q in range(17):
            for k in range(17):
                assert bool(mask[b, 0, q, k]) == (k <= q and piece[k] == piece[q])


def test_packed_row_equals_documents_run_alone(rng):
    torch.manual_seed(int(rng.integers(1 << 30)))
    model = SpeechTextLM(ModelConfig(dim=32, n_layers=2, n_heads=4), VOCAB).eval()
    lengths = [5, 1, 9, 3]
    tokens = torch.tensor(rng.integers(0, VOCAB.vocab_size, sum(lengths)))[None]
    pos = torch.cat([torch.arange(n) for n in lengths])[None]
    with torch.no_grad():
        packed = model(tokens, pos)[0]
        start = 0
        for n in lengths:
            alone = model(tokens[:, start:start + n], torch.arange(n)[None])[0]
            torch.testing.assert_close(packed[start:start + n], alone, rtol=1e-5, atol=1e-5)
            start += n
        # Without the boundaries the later pieces would see earlier ones: the test can fail.
        whole = model(tokens, torch.arange(sum(lengths))[None])[0]
        assert not torch.allclose(whole[5:], packed[5:], atol=1e-3)


def test_speech_rows_are_xavier_normal_and_text_rows_are_not():
    vocab = VocabLayout(text_vocab_size=2000, speech_vocab_size=1024)
    cfg = ModelConfig(dim=64, n_layers=1, n_heads=4)
    emb = SpeechTextLM(cfg, vocab).embed.weight.detach()
    speech = emb[vocab.speech_offset:vocab.bos]
    text = emb[:vocab.speech_offset]
    xavier = math.sqrt(2.0 / (cfg.dim + vocab.speech_vocab_size))
    assert speech.std().item() == pytest.approx(xavier, rel=0.03)
    assert text.std().item() == pytest.approx(cfg.init_std, rel=0.03)
    assert abs(speech.mean().item()) < 5 * xavier / math.sqrt(speech.numel())


def test_target_modality_and_loss_split_add_up(rng):
    # Padding is never a target (its labels are -100), so labels stop below the pad id.
    labels = torch.tensor(rng.integers(0, VOCAB.pad, (2, 30)))
    labels[labels % 7 == 0] = IGNORE_INDEX
    logits = torch.randn(2, 30, VOCAB.vocab_size, generator=torch.Generator().manual_seed(
        int(rng.integers(1 << 30))))
    mod = target_modality(labels, VOCAB)
    for value, m in zip(labels.flatten().tolist(), mod.flatten().tolist()):
        expected = Modality.PAD if value == IGNORE_INDEX else VOCAB.modality_of(value)
        assert m == int(expected)
    parts = lm_loss(logits, labels, VOCAB)
    reference = torch.nn.functional.cross_entropy(
        logits.reshape(-1, VOCAB.vocab_size), labels.reshape(-1), ignore_index=IGNORE_INDEX)
    torch.testing.assert_close(parts.loss, reference)
    assert parts.counts.sum().item() == (labels != IGNORE_INDEX).sum().item()
    assert parts.sums.sum().item() == pytest.approx(reference.item() * parts.counts.sum().item())


def test_masked_targets_give_no_gradient(rng):
    # Labels set to -100 (as loss_on masks them) must contribute zero gradient to the logits.
    labels = torch.tensor(rng.integers(0, VOCAB.vocab_size, (1, 40)))
    audio = target_modality(labels, VOCAB) == int(Modality.AUDIO)
    assert audio.any() and (~audio).any()
    masked = labels.masked_fill(audio, IGNORE_INDEX)
    logits = torch.randn(1, 40, VOCAB.vocab_size, requires_grad=True)
    lm_loss(logits, masked, VOCAB).loss.backward()
    grad_norm = logits.grad.abs().sum(-1)
    assert (grad_norm[audio] == 0).all()
    assert (grad_norm[~audio] > 0).all()


@pytest.mark.cuda
def test_varlen_attention_on_gpu_matches_the_masked_cpu_path(rng):
    # On a GPU in bf16 with cu_seqlens the model runs flash varlen attention; the SDPA mask
    # path on the CPU in fp32 is the reference.
    torch.manual_seed(int(rng.integers(1 << 30)))
    model = SpeechTextLM(ModelConfig(dim=64, n_layers=2, n_heads=4), VOCAB).eval()
    pos = random_position_ids(rng, 2, 64)
    tokens = torch.tensor(rng.integers(0, VOCAB.vocab_size, (2, 64)))
    flat = pos.flatten()
    starts = torch.nonzero(flat == 0).flatten()
    cu_seqlens = torch.cat([starts, torch.tensor([flat.numel()])]).to(torch.int32)
    max_seqlen = int((cu_seqlens[1:] - cu_seqlens[:-1]).max())
    with torch.no_grad():
        reference = model(tokens, pos)
        gpu = model.cuda().to(torch.bfloat16)
        out = gpu(tokens.cuda(), pos.cuda(), cu_seqlens.cuda(), max_seqlen).cpu()
    assert out.shape == reference.shape
    torch.testing.assert_close(out, reference, rtol=0.05, atol=0.05)
