# The decoder-only transformer over the interleaved vocabulary, with per-document attention.
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from ..vocab import VocabLayout
from .config import ModelConfig


def document_causal_mask(position_ids: torch.Tensor) -> torch.Tensor:
    """Boolean [B, 1, L, L] mask: causal, and only within one document piece.

    A packed row's pieces restart `position_ids` at 0, so the piece index of a position is
    the running count of zeros. Padding has position 0 everywhere, so each pad token is a
    piece of its own: it attends only to itself and never produces a fully masked row.

    ```
    position_ids  0 1 2 0 1        allowed (query row, key column)
                                   1 . . . .
                                   1 1 . . .
                                   1 1 1 . .
                                   . . . 1 .
                                   . . . 1 1
    ```
    """
    seg = (position_ids == 0).cumsum(-1)
    same = seg.unsqueeze(-1) == seg.unsqueeze(-2)
    length = position_ids.shape[-1]
    causal = torch.ones(length, length, dtype=torch.bool, device=position_ids.device).tril()
    return (same & causal).unsqueeze(1)


def rope_tables(position_ids: torch.Tensor, head_dim: int, theta: float):
    inv_freq = 1.0 / theta ** (
        torch.arange(0, head_dim, 2, device=position_ids.device, dtype=torch.float32) / head_dim
    )
    angles = position_ids.to(torch.float32).unsqueeze(-1) * inv_freq  # [B, L, D/2]
    return angles.cos().unsqueeze(1), angles.sin().unsqueeze(1)  # [B, 1, L, D/2]


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.float().chunk(2, dim=-1)
    out = torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return out.to(x.dtype)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.head_dim = cfg.dim // cfg.n_heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim, bias=False)
        self.out = nn.Linear(cfg.dim, cfg.dim, bias=False)

    def forward(self, x, cos, sin, mask, cu_seqlens, max_seqlen):
        b, length, _ = x.shape
        q, k, v = self.qkv(x).view(b, length, 3, self.n_heads, self.head_dim).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, L, D]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if mask is None:
            y = _varlen(q, k, v, cu_seqlens, max_seqlen)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out(y.transpose(1, 2).reshape(b, length, -1))


def _varlen(q, k, v, cu_seqlens, max_seqlen):
    # Flash varlen attention over the flattened batch; the pieces in cu_seqlens never
    # cross a row end, so flattening [B, L] keeps each piece contiguous.
    from torch.nn.attention.varlen import varlen_attn

    b, h, length, d = q.shape
    flat = [t.transpose(1, 2).reshape(b * length, h, d) for t in (q, k, v)]
    y = varlen_attn(*flat, cu_seqlens, cu_seqlens, max_seqlen, max_seqlen, window_size=(-1, 0))
    return y.view(b, length, h, d).transpose(1, 2)


class FeedForward(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_up = nn.Linear(cfg.dim, 2 * cfg.ffn_hidden, bias=False)
        self.down = nn.Linear(cfg.ffn_hidden, cfg.dim, bias=False)

    def forward(self, x):
        gate, up = self.gate_up(x).chunk(2, dim=-1)
        return self.down(F.silu(gate) * up)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn_norm = nn.RMSNorm(cfg.dim, eps=cfg.norm_eps)
        self.attn = Attention(cfg)
        self.ffn_norm = nn.RMSNorm(cfg.dim, eps=cfg.norm_eps)
        self.ffn = FeedForward(cfg)

    def forward(self, x, cos, sin, mask, cu_seqlens, max_seqlen):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask, cu_seqlens, max_seqlen)
        return x + self.ffn(self.ffn_norm(x))


class SpeechTextLM(nn.Module):
    """Pre-norm decoder over `VocabLayout.vocab_size` ids (text, speech and special).

    `forward(tokens, position_ids)` returns float logits [B, L, V]. With `cu_seqlens` and
    `max_seqlen` on a CUDA device in half precision, attention runs as flash varlen over
    the batch's pieces; otherwise as SDPA with `document_causal_mask`. Both give each
    document piece its own causal attention.
    """

    def __init__(self, cfg: ModelConfig, vocab: VocabLayout):
        super().__init__()
        self.cfg = cfg
        self.vocab = vocab
        self.embed = nn.Embedding(vocab.vocab_size, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = nn.RMSNorm(cfg.dim, eps=cfg.norm_eps)
        self.head = nn.Linear(cfg.dim, vocab.vocab_size, bias=False)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        std = self.cfg.init_std
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=std)
        # Output projections scaled by depth (GPT-2) so the residual stream stays O(1).
        for block in self.blocks:
            for proj in (block.attn.out, block.ffn.down):
                nn.init.normal_(proj.weight, std=std / math.sqrt(2 * self.cfg.n_layers))
        # The paper added speech tokens to a text LM and initialised their rows Xavier normal.
        nn.init.xavier_normal_(self.embed.weight[self.vocab.speech_offset:self.vocab.bos])

    def forward(
        self,
        tokens: torch.Tensor,
        position_ids: torch.Tensor,
        cu_seqlens: Optional[torch.Tensor] = None,
        max_seqlen: Optional[int] = None,
    ) -> torch.Tensor:
        x = self.embed(tokens)
        cos, sin = rope_tables(position_ids, self.cfg.dim // self.cfg.n_heads, self.cfg.rope_theta)
        use_varlen = (
            cu_seqlens is not None and x.is_cuda and x.dtype in (torch.bfloat16, torch.float16)
        )
        mask = None if use_varlen else document_causal_mask(position_ids)
        for block in self.blocks:
            x = block(x, cos, sin, mask, cu_seqlens, max_seqlen)
        return self.head(self.norm(x)).float()

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
