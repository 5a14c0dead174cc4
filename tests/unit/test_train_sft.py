"""SFT on a CPU with a tiny random Llama and a byte-level tokenizer built on the spot (nothing downloaded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("accelerate")
pytest.importorskip("datasets")

from wildlong.train.config import SFTConfig, TinyModel  # noqa: E402
from wildlong.train.loss import CausalLMWithLoss  # noqa: E402
from wildlong.train.packing import collate_packed, collate_padded  # noqa: E402
from wildlong.train.sft_data import IGNORE, encode, encode_record  # noqa: E402
from wildlong.train.tiny import byte_tokenizer, tiny_llama  # noqa: E402

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Summarise: the whale is white."},
    {"role": "assistant", "content": "A white whale. Ça va?"},
    {"role": "user", "content": "And its name?"},
    {"role": "assistant", "content": "Moby Dick."},
]
GENERATION_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['role'] == 'assistant' %}{% generation %}"
    "{{ message['content'] + '<|im_end|>\n' }}{% endgeneration %}"
    "{% else %}{{ message['content'] + '<|im_end|>\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _expected(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
    """Token ids and labels built piece by piece: header unlabelled, assistant body + end marker labelled."""
    ids: list[int] = []
    labels: list[int] = []
    for m in messages:
        head = tokenizer.encode(f"<|im_start|>{m['role']}\n", add_special_tokens=False)
        body = tokenizer.encode(m["content"] + "<|im_end|>\n", add_special_tokens=False)
        ids += head + body
        labels += [IGNORE] * len(head) + (body if m["role"] == "assistant" else [IGNORE] * len(body))
    return ids, labels


@pytest.mark.parametrize("template", ["prefix", "generation"])
def test_label_mask_matches_the_assistant_spans_exactly(template: str) -> None:
    tokenizer = byte_tokenizer() if template == "prefix" else byte_tokenizer(GENERATION_TEMPLATE)
    sample = encode(tokenizer, CONVERSATION)
    ids, labels = _expected(tokenizer, CONVERSATION)
    assert sample.input_ids == ids
    assert sample.labels == labels
    taught = tokenizer.decode([t for t in sample.labels if t != IGNORE])
    assert taught == "A white whale. Ça va?<|im_end|>\nMoby Dick.<|im_end|>\n"


def test_bad_records_are_counted_not_fatal() -> None:
    tokenizer = byte_tokenizer()
    assert encode_record(tokenizer, None, 100, "drop") == (None, "malformed")
    assert encode_record(tokenizer, {"messages": []}, 100, "drop") == (None, "no_messages")
    assert encode_record(tokenizer, {"messages": [{"role": "user", "content": "x"}]}, 100, "drop")[1] == (
        "no_assistant"
    )
    assert encode_record(tokenizer, {"messages": CONVERSATION}, 10, "drop") == (None, "too_long")
    kept, _ = encode_record(tokenizer, {"messages": CONVERSATION[:3]}, 90, "truncate")
    assert kept is not None and len(kept) == 90


def _samples(tokenizer: Any) -> list[dict[str, Any]]:
    texts = [("hi", "hello there"), ("what is two and two?", "four"), ("tell a story", "once upon a time.")]
    out = []
    for question, answer in texts:
        s = encode(
            tokenizer, [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        )
        out.append({"input_ids": s.input_ids, "labels": s.labels})
    return out


@pytest.mark.parametrize("implementation", ["sdpa", "eager", "split"])
def test_packed_loss_is_the_token_weighted_mean_of_unpacked_losses(implementation: str) -> None:
    from wildlong.train.attention import choose

    tokenizer = byte_tokenizer()
    model = tiny_llama(tokenizer, TinyModel(hidden_size=32, intermediate_size=64), seed=3)
    model.eval()
    samples = _samples(tokenizer)
    means, counts = [], []
    with torch.no_grad():
        for s in samples:  # reference: transformers' own loss on one unpadded sample
            out = model(input_ids=torch.tensor([s["input_ids"]]), labels=torch.tensor([s["labels"]]))
            means.append(float(out.loss))
            counts.append(sum(1 for t in s["labels"][1:] if t != IGNORE))
        reference = sum(m * n for m, n in zip(means, counts, strict=True)) / sum(counts)
        wrapped = CausalLMWithLoss(model, chunk_tokens=7)
        batch = collate_packed(samples)
        model.set_attn_implementation(choose(implementation, packing=True))
        loss_sum, n = wrapped(batch["input_ids"], batch["position_ids"], batch["targets"],
                              attn_kwargs=batch["attn_kwargs"])  # fmt: skip
        model.set_attn_implementation(choose(implementation, packing=False))
        padded = collate_padded(samples, tokenizer.pad_token_id)
        pad_sum, pad_n = wrapped(padded["input_ids"], padded["position_ids"], padded["targets"],
                                 attention_mask=padded["attention_mask"])  # fmt: skip
    assert int(n) == sum(counts) == int(pad_n)
    assert abs(float(loss_sum) / int(n) - reference) < 1e-5
    assert abs(float(pad_sum) / int(pad_n) - reference) < 1e-5
    assert batch["position_ids"][0].tolist() == [p for s in samples for p in range(len(s["input_ids"]))]


def _config(tmp_path: Path, data: Path, **overrides: Any) -> SFTConfig:
    settings: dict[str, Any] = {
        "model": "tiny",
        "tiny": {"hidden_size": 32, "intermediate_size": 64, "max_position_embeddings": 512},
        "data": [data],
        "output_dir": tmp_path / "run",
        "max_seq_len": 512,
        "mixed_precision": "no",
        "gradient_checkpointing": False,
        "grad_accum": 2,
        "learning_rate": 1e-3,
        "warmup_ratio": 0.25,
        "max_steps": 4,
        "save_every": 2,
        "seed": 11,
    }
    settings.update(overrides)
    return SFTConfig.model_validate(settings)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    rows = []
    for i in range(24):
        user = f"Question {i}: what follows {i * 7}? " + "context " * (i % 5 * 9)
        rows.append({"messages": [{"role": "user", "content": user},
                                  {"role": "assistant", "content": f"{i * 7 + 1}, then {i * 7 + 2}."}],
                     "provenance": {"i": i}})  # fmt: skip
    rows.append({"broken": True})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n", encoding="utf-8")
    return path


def test_rope_override_reaches_the_model_config_and_the_checkpoint(tmp_path: Path, dataset: Path) -> None:
    from wildlong.train.model import build
    from wildlong.train.sft import run_sft

    scaling = {"rope_type": "linear", "factor": 2.0}
    cfg = _config(tmp_path, dataset, rope_theta=1.0e6, rope_scaling=scaling, max_steps=1, grad_accum=1)
    built = build(cfg)
    rope = built.model.config.rope_parameters
    assert rope["rope_theta"] == 1.0e6 and rope["rope_type"] == "linear" and rope["factor"] == 2.0
    head_dim = 32 // 4
    inv_freq = 1.0 / (1.0e6 ** (torch.arange(0, head_dim, 2).float() / head_dim)) / 2.0
    assert torch.allclose(built.model.model.rotary_emb.inv_freq, inv_freq)
    lines: list[str] = []
    final = run_sft(cfg, echo=lines.append)
    assert final is not None
    saved = json.loads((final / "config.json").read_text())
    assert saved["rope_parameters"]["rope_theta"] == 1.0e6
    record = json.loads((final / "rope.json").read_text())
    assert record["resolved"]["rope_type"] == "linear" and record["requested"]["rope_theta"] == 1.0e6
    assert any("2 dropped (malformed=1, no_messages=1)" in line for line in lines), lines


def test_two_steps_then_resume_equals_four_steps(tmp_path: Path, dataset: Path) -> None:
    from wildlong.train.metrics import MetricsLog
    from wildlong.train.sft import SFTRecipe, run_sft

    straight = _config(tmp_path / "a", dataset)
    run_sft(straight, echo=lambda _: None)
    interrupted = _config(tmp_path / "b", dataset, steps_this_run=2)
    first = SFTRecipe(interrupted, echo=lambda _: None)
    first.setup()
    first.train()
    assert first.cleanup() is None  # not finished: no final model yet
    again = SFTRecipe(interrupted.model_copy(update={"steps_this_run": -1}), echo=lambda _: None)
    again.setup()
    assert again.step == 2
    again.train()
    assert again.cleanup() is not None
    a = MetricsLog(straight.output_dir / "metrics.jsonl").rows()
    b = MetricsLog(interrupted.output_dir / "metrics.jsonl").rows()
    assert [r["step"] for r in a] == [r["step"] for r in b] == [1, 2, 3, 4]
    for x, y in zip(a, b, strict=True):
        assert abs(x["loss"] - y["loss"]) < 1e-5
        assert x["lr"] == pytest.approx(y["lr"])
    assert (straight.output_dir / "loss.png").stat().st_size > 0


def test_the_cli_trains_the_tiny_config_and_flags_override_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from wildlong.cli.train_cmd import train

    config = Path(__file__).resolve().parents[2] / "configs" / "train" / "tiny_cpu.yaml"
    out = tmp_path / "run"
    args = ["sft", str(config), "-o", str(out), "--max-steps", "2", "--rope-theta", "20000", "--no-resume"]
    result = CliRunner().invoke(train, args)
    assert result.exit_code == 0, result.output
    assert "step 2/2" in result.output and "final model in" in result.output
    assert json.loads((out / "final" / "rope.json").read_text())["resolved"]["rope_theta"] == 20000.0
    assert (out / "loss.png").exists() and len((out / "metrics.jsonl").read_text().splitlines()) == 2
