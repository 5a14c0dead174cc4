"""The training forward: decoder, then LM head and cross-entropy only where there is a target, in chunks.

Long-context SFT has long prompts and short answers: projecting every position onto the vocabulary would
cost a (tokens x vocab) logits tensor (32K x 128K floats = 16 GB) for nothing. Here the hidden states of the
target positions are gathered first, then projected and scored chunk by chunk, each chunk recomputed in
the backward pass instead of kept. The result is a *sum* of token losses and the number of tokens; the
recipe divides by the token count of the whole optimizer step (all micro-batches, all processes), so the
loss is a per-token mean whatever the packing.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

IGNORE = -100


def _chunk_loss(hidden: torch.Tensor, head: nn.Module, targets: torch.Tensor) -> torch.Tensor:
    logits = head(hidden).float()
    return F.cross_entropy(logits, targets, ignore_index=IGNORE, reduction="sum")


def chunked_loss_sum(
    hidden: torch.Tensor, head: nn.Module, targets: torch.Tensor, chunk: int
) -> torch.Tensor:
    """Sum of cross-entropies over positions with a target; ``hidden`` (B, T, D), ``targets`` (B, T)."""
    keep = targets != IGNORE
    picked = hidden[keep]
    wanted = targets[keep]
    if picked.shape[0] == 0:
        return hidden.sum() * 0.0  # keeps the graph (and FSDP's collectives) alive
    total = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, picked.shape[0], chunk):
        h, t = picked[start : start + chunk], wanted[start : start + chunk]
        if torch.is_grad_enabled():
            total = total + checkpoint(_chunk_loss, h, head, t, use_reentrant=False)
        else:
            total = total + _chunk_loss(h, head, t)
    return total


class CausalLMWithLoss(nn.Module):
    """Wraps a causal LM so that the module accelerate/FSDP prepares returns (loss sum, target tokens)."""

    def __init__(self, lm: nn.Module, chunk_tokens: int = 4096) -> None:
        super().__init__()
        self.lm = lm
        self.chunk_tokens = chunk_tokens
        # FSDP's transformer-based wrapping reads this from the module it is given.
        self._no_split_modules = getattr(lm, "_no_split_modules", None)

    def forward(
        self,
        input_ids: torch.Tensor,
        position_ids: torch.Tensor,
        targets: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        attn_kwargs: dict[str, Any] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        decoder: Any = self.lm.get_decoder()  # type: ignore[operator]
        out = decoder(
            input_ids=input_ids,
            position_ids=position_ids,
            attention_mask=attention_mask,
            use_cache=False,
            **(attn_kwargs or {}),
        )
        head: Any = self.lm.get_output_embeddings()  # type: ignore[operator]
        loss_sum = chunked_loss_sum(out.last_hidden_state, head, targets, self.chunk_tokens)
        return loss_sum, (targets != IGNORE).sum()
