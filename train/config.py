"""The one configuration model of ``wildlong train sft``: every knob visible in one place.

A run reads one YAML file (see ``configs/train/``), CLI flags override single fields, and the resolved
config is written next to the outputs (``<output_dir>/config.resolved.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from wildlong.config import Layer, set_layer, validate, yaml_layer

ROPE_TYPES = ("linear", "dynamic", "yarn", "llama3")


class TinyModel(BaseModel):
    """A randomly initialised Llama-architecture model with a byte-level tokenizer (``model: tiny``)."""

    model_config = ConfigDict(extra="forbid")

    hidden_size: int = Field(64, ge=8, description="width of the residual stream")
    intermediate_size: int = Field(128, ge=8, description="width of the MLP")
    num_hidden_layers: int = Field(2, ge=1, description="decoder layers")
    num_attention_heads: int = Field(4, ge=1, description="query heads")
    num_key_value_heads: int = Field(2, ge=1, description="key/value heads (grouped-query attention)")
    max_position_embeddings: int = Field(4096, ge=16, description="the model's native context, in tokens")
    rope_theta: float = Field(10000.0, gt=0, description="RoPE base of the tiny model")


class LoraSettings(BaseModel):
    """LoRA adapters (``finetune: lora``), through peft."""

    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1, description="rank of the adapters")
    alpha: int = Field(32, ge=1, description="scaling numerator (the update is scaled by alpha / r)")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout on the adapters' input")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        description="linear layers that get adapters (by module name)",
    )


class SFTConfig(BaseModel):
    """Supervised fine-tuning on WildLong's dataset files. Unset values take the defaults shown."""

    model_config = ConfigDict(extra="forbid")

    # --- what to train on
    model: str = Field(..., description="HF model id or local folder; 'tiny' = random tiny Llama (tests)")
    tiny: TinyModel = Field(default_factory=TinyModel, description="sizes of the 'tiny' model")
    data: list[Path] = Field(..., min_length=1, description="dataset files (.jsonl or .parquet) from synth")
    output_dir: Path = Field(Path("runs/sft"), description="checkpoints, metrics, final model")

    # --- sequence and RoPE
    max_seq_len: int = Field(32768, ge=16, description="longest sample, and the capacity of one pack")
    overlong: Literal["drop", "truncate"] = Field("drop", description="samples longer than max_seq_len")
    rope_theta: float | None = Field(None, gt=0, description="override the RoPE base; None = the model's")
    rope_scaling: dict[str, Any] | Literal["none"] | None = Field(
        None, description="{rope_type: linear|dynamic|yarn|llama3, factor: ...}; 'none' removes; None keeps"
    )

    # --- how
    packing: bool = Field(True, description="pack samples (no cross-sample attention) instead of padding")
    attention: Literal["auto", "flash_attention_2", "varlen", "split", "sdpa", "eager"] = Field(
        "auto", description="auto: flash-attn, else torch varlen on GPU, else SDPA with a block-diagonal mask"
    )
    finetune: Literal["full", "lora"] = Field("full", description="full fine-tuning, or LoRA adapters")
    lora: LoraSettings = Field(default_factory=LoraSettings, description="LoRA settings (finetune: lora)")
    mixed_precision: Literal["bf16", "no"] = Field("bf16", description="'no' = float32 (CPU tests)")
    gradient_checkpointing: bool = Field(True, description="recompute activations in the backward pass")
    compile: bool = Field(False, description="torch.compile each decoder layer (GPU; ~1.3x on H100)")
    micro_batch_size: int = Field(1, ge=1, description="packs (packing) or samples (padding) per micro-batch")
    grad_accum: int = Field(8, ge=1, description="micro-batches per optimizer step (per process)")
    loss_chunk_tokens: int = Field(4096, ge=1, description="LM head + loss in chunks of this many tokens")

    # --- optimisation
    learning_rate: float = Field(2e-5, gt=0, description="peak learning rate (after warm-up)")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    adam_betas: tuple[float, float] = Field((0.9, 0.95), description="AdamW betas")
    max_grad_norm: float = Field(1.0, ge=0, description="0 = no clipping")
    warmup_ratio: float = Field(0.03, ge=0, le=1, description="share of the steps spent warming up")
    min_lr_ratio: float = Field(0.0, ge=0, le=1, description="the cosine ends at learning_rate * this")
    epochs: int = Field(1, ge=1, description="passes over the data (when max_steps is -1)")
    max_steps: int = Field(-1, description="-1 = as many steps as `epochs` need")
    seed: int = Field(42, description="seed of the data order and the initialisation")

    # --- checkpoints and logs
    save_every: int = Field(500, ge=1, description="optimizer steps between checkpoints")
    keep_checkpoints: int = Field(2, ge=1, description="newest checkpoints kept")
    resume: bool = Field(True, description="continue from the newest checkpoint in output_dir")
    steps_this_run: int = Field(-1, description="-1 = to the end; N = stop (and save) after N steps")
    log_every: int = Field(1, ge=1, description="optimizer steps between log lines")
    num_proc: int = Field(1, ge=1, description="processes that tokenize the dataset")

    @field_validator("rope_scaling")
    @classmethod
    def _check_scaling(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        kind = value.get("rope_type", value.get("type"))
        if kind not in ROPE_TYPES:
            raise ValueError(f"rope_scaling.rope_type must be one of {', '.join(ROPE_TYPES)}, not {kind!r}")
        if "factor" not in value:
            raise ValueError(f"rope_scaling ({kind}) needs a factor")
        return value

    def public_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def load_config(
    path: Path | None, overrides: dict[str, Any] | None = None, sets: list[str] | tuple[str, ...] = ()
) -> SFTConfig:
    """A training config: the YAML, then ``--set KEY=VALUE``, then the flags (``None`` values are ignored).

    One loader for every config (:mod:`wildlong.config`): unknown keys and bad values are each reported as
    ``file:line: key: what; did you mean ...?`` and exit 2.
    """
    layers = []
    if path is not None:
        layer = yaml_layer(Path(path))
        if "data" in layer.data:
            base = Path(path).resolve().parent
            layer.data["data"] = [_relative(base, p) for p in _as_list(layer.data.get("data"))]
        layers.append(layer)
    layers.append(set_layer(list(sets)))
    flags = Layer("flags")
    for key, value in (overrides or {}).items():
        if value is not None:
            flags.set(key, value, f"--{key.replace('_', '-')}")
    layers.append(flags)
    return validate(
        SFTConfig, layers, hint="`wildlong config keys train` lists every key; see configs/train/"
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _relative(base: Path, value: Any) -> Any:
    """Data paths in a YAML file are relative to the current folder, else to the file's folder."""
    path = Path(str(value)).expanduser()
    if path.is_absolute() or path.exists():
        return path
    candidate = base / path
    return candidate if candidate.exists() else path


def write_resolved(config: SFTConfig, output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / "config.resolved.yaml"
    target.write_text(yaml.safe_dump(config.public_dict(), sort_keys=False), encoding="utf-8")
    return target
