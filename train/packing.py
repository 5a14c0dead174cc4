"""Packing without cross-sample attention, and its padded counterpart.

A pack is a list of sample indices whose lengths sum to at most ``capacity`` tokens. A packed micro-batch
is one row: the samples' tokens concatenated, ``position_ids`` restarting at 0 for every sample, and
``cu_seq_lens`` (cumulative lengths) for variable-length attention. Targets are shifted *inside* each
sample (the last token of a sample predicts nothing), so no loss term crosses a sample boundary, and the
loss is a sum over target tokens that the caller divides by the token count of the whole step.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from typing import Any

import torch

IGNORE = -100


def plan_packs(lengths: Sequence[int], capacity: int, *, seed: int, epoch: int = 0) -> list[list[int]]:
    """Best-fit decreasing bin packing; the packs come back in a seeded random order.

    Samples of equal length are taken in a seeded random order, so the plan is reproducible and differs
    between epochs.
    """
    rng = random.Random(f"{seed}:{epoch}")
    order = list(range(len(lengths)))
    rng.shuffle(order)
    order.sort(key=lambda i: -lengths[i])
    packs: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (space left, pack index), sorted
    for i in order:
        need = lengths[i]
        if need > capacity:
            raise ValueError(f"sample {i} has {need} tokens, more than the pack capacity {capacity}")
        at = bisect.bisect_left(free, (need, -1))
        if at < len(free):
            space, p = free.pop(at)
        else:
            space, p = capacity, len(packs)
            packs.append([])
        packs[p].append(i)
        if space - need > 0:
            bisect.insort(free, (space - need, p))
    rng.shuffle(packs)
    return packs


def plan_batches(lengths: Sequence[int], *, capacity: int, packing: bool, seed: int, epoch: int,
                 per_batch: int) -> list[list[int]]:  # fmt: skip
    """Micro-batches of sample indices: ``per_batch`` packs each, or ``per_batch`` samples each."""
    if packing:
        packs = plan_packs(lengths, capacity, seed=seed, epoch=epoch)
        return [[i for p in packs[k : k + per_batch] for i in p] for k in range(0, len(packs), per_batch)]
    order = list(range(len(lengths)))
    random.Random(f"{seed}:{epoch}").shuffle(order)
    return [order[i : i + per_batch] for i in range(0, len(order), per_batch)]


def shifted_targets(labels: Sequence[int]) -> list[int]:
    """``targets[t] = labels[t + 1]``; the last position has no target."""
    return [*labels[1:], IGNORE]


def collate_packed(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One row holding every sample back to back (batch size 1, no padding)."""
    ids: list[int] = []
    positions: list[int] = []
    targets: list[int] = []
    bounds = [0]
    for sample in samples:
        n = len(sample["input_ids"])
        ids.extend(sample["input_ids"])
        positions.extend(range(n))
        targets.extend(shifted_targets(sample["labels"]))
        bounds.append(bounds[-1] + n)
    cu = torch.tensor(bounds, dtype=torch.int32)
    longest = int((cu[1:] - cu[:-1]).max())
    return {
        "input_ids": torch.tensor([ids], dtype=torch.long),
        "position_ids": torch.tensor([positions], dtype=torch.long),
        "targets": torch.tensor([targets], dtype=torch.long),
        "attn_kwargs": {
            "cu_seq_lens_q": cu,
            "cu_seq_lens_k": cu,
            "max_length_q": longest,
            "max_length_k": longest,
        },
    }


def collate_padded(samples: Sequence[dict[str, Any]], pad_id: int) -> dict[str, Any]:
    """Samples padded on the right to the longest one, with an attention mask."""
    width = max(len(s["input_ids"]) for s in samples)
    ids = torch.full((len(samples), width), pad_id, dtype=torch.long)
    targets = torch.full((len(samples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(samples), width), dtype=torch.long)
    for row, sample in enumerate(samples):
        n = len(sample["input_ids"])
        ids[row, :n] = torch.tensor(sample["input_ids"])
        targets[row, :n] = torch.tensor(shifted_targets(sample["labels"]))
        mask[row, :n] = 1
    positions = torch.arange(width).unsqueeze(0).expand(len(samples), -1).contiguous()
    return {
        "input_ids": ids,
        "position_ids": positions,
        "targets": targets,
        "attention_mask": mask,
        "attn_kwargs": {},
    }


def to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    moved: dict[str, Any] = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            moved[key] = value.to(device, non_blocking=True)
        elif isinstance(value, dict):
            moved[key] = to_device(value, device)
        else:
            moved[key] = value
    return moved
