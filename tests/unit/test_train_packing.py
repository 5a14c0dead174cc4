"""Packing plans, the learning-rate schedule and the config: exact, seeded, one-line errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("torch")

from wildlong.errors import ConfigError
from wildlong.train.config import load_config
from wildlong.train.packing import collate_packed, plan_batches, plan_packs
from wildlong.train.sft import cosine_with_warmup

LENGTHS = [900, 120, 512, 1024, 33, 700, 300, 1000, 5, 480, 64, 999]


def test_packs_hold_every_sample_once_within_capacity() -> None:
    packs = plan_packs(LENGTHS, 1024, seed=1)
    assert sorted(i for p in packs for i in p) == list(range(len(LENGTHS)))
    assert all(sum(LENGTHS[i] for i in p) <= 1024 for p in packs)
    # 7 is optimal here: the six longest need a pack each, and what is left over cannot take all the rest.
    assert len(packs) == 7 == math.ceil(sum(LENGTHS) / 1024) + 1


def test_plans_are_seeded() -> None:
    assert plan_packs(LENGTHS, 1024, seed=1) == plan_packs(LENGTHS, 1024, seed=1)
    assert plan_packs(LENGTHS, 1024, seed=1, epoch=0) != plan_packs(LENGTHS, 1024, seed=1, epoch=1)
    batches = plan_batches(LENGTHS, capacity=1024, packing=False, seed=3, epoch=0, per_batch=5)
    assert [len(b) for b in batches] == [5, 5, 2]


def test_too_long_for_a_pack_is_refused() -> None:
    with pytest.raises(ValueError, match="more than the pack capacity"):
        plan_packs([10, 2000], 1024, seed=0)


def test_packed_targets_never_cross_a_sample_boundary() -> None:
    samples = [{"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}, {"input_ids": [4, 5], "labels": [4, 5]}]
    batch = collate_packed(samples)
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1]]
    assert batch["targets"].tolist() == [[2, 3, -100, 5, -100]]
    assert batch["attn_kwargs"]["cu_seq_lens_q"].tolist() == [0, 3, 5]
    assert batch["attn_kwargs"]["max_length_q"] == 3


def test_cosine_schedule_with_warmup() -> None:
    f = cosine_with_warmup(total=10, warmup=2, min_ratio=0.1)
    assert [round(f(s), 4) for s in (0, 1, 2)] == [0.5, 1.0, 1.0]
    assert f(10) == pytest.approx(0.1)
    assert f(6) == pytest.approx(0.1 + 0.9 * 0.5)


def test_config_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model: tiny\ndata: [x.jsonl]\nrope_scaling: {rope_type: ntk, factor: 2}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "rope_scaling" in info.value.one_line() and "\n" not in info.value.one_line()
    path.write_text("model: tiny\ndata: [x.jsonl]\nbogus: 1\n")
    with pytest.raises(ConfigError, match="bogus"):
        load_config(path)


def test_shipped_configs_are_valid() -> None:
    root = Path(__file__).resolve().parents[2] / "configs" / "train"
    names = sorted(p.name for p in root.glob("*.yaml") if not p.name.startswith("accelerate"))
    assert {"tiny_cpu.yaml", "mistral_7b_instruct_v02.yaml", "llama31_8b_instruct.yaml"} <= set(names)
    for name in names:
        text = (root / name).read_text()
        assert text.startswith(f"# wildlong train sft configs/train/{name}") or text.startswith(
            "# accelerate launch"
        ), name
        load_config(root / name)
