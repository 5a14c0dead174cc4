"""Build the tokenizer and the model a config asks for: RoPE applied, attention chosen, LoRA or full."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from wildlong.errors import ConfigError
from wildlong.train import attention
from wildlong.train.rope import apply_rope, resolve_rope, rope_record

if TYPE_CHECKING:
    from wildlong.train.config import SFTConfig


@dataclass
class Built:
    tokenizer: Any
    model: Any  # a transformers causal LM, or a peft model around one
    attn_implementation: str
    rope: dict[str, Any]  # what rope.json records


def load_tokenizer(cfg: SFTConfig) -> Any:
    if cfg.model == "tiny":
        from wildlong.train.tiny import byte_tokenizer

        return byte_tokenizer()
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(cfg.model)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the tokenizer of {cfg.model}: {exc}".splitlines()[0]) from None
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError(f"{cfg.model} has no chat template", hint="use an instruct/chat model")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def build(cfg: SFTConfig) -> Built:
    """Tokenizer and model in float32 (mixed precision autocasts), ready for the recipe to prepare."""
    tokenizer = load_tokenizer(cfg)
    implementation = attention.choose(cfg.attention, packing=cfg.packing)
    requested = {
        "rope_theta": cfg.rope_theta,
        "rope_scaling": cfg.rope_scaling,
        "max_seq_len": cfg.max_seq_len,
    }
    if cfg.model == "tiny":
        from transformers import LlamaConfig

        from wildlong.train.tiny import tiny_llama

        probe = LlamaConfig(max_position_embeddings=cfg.tiny.max_position_embeddings)
        probe.rope_parameters = {"rope_type": "default", "rope_theta": cfg.tiny.rope_theta}
        rope = resolve_rope(probe, cfg.rope_theta, cfg.rope_scaling, cfg.max_seq_len)
        model = tiny_llama(tokenizer, cfg.tiny, rope=rope, seed=cfg.seed)
        if cfg.max_seq_len > model.config.max_position_embeddings:
            model.config.max_position_embeddings = cfg.max_seq_len
    else:
        model = _pretrained(cfg, implementation)
    model.set_attn_implementation(implementation)
    record = rope_record(model.config, requested)
    model.config.use_cache = False
    if cfg.gradient_checkpointing:
        enable_checkpointing(model)
    if cfg.compile:
        compile_layers(model)
    if cfg.finetune == "lora":
        model = _with_lora(cfg, model)
    return Built(tokenizer, model, implementation, record)


def _pretrained(cfg: SFTConfig, implementation: str) -> Any:
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        config = AutoConfig.from_pretrained(cfg.model)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the config of {cfg.model}: {exc}".splitlines()[0]) from None
    rope = resolve_rope(config, cfg.rope_theta, cfg.rope_scaling, cfg.max_seq_len)
    apply_rope(config, rope, cfg.max_seq_len)
    return AutoModelForCausalLM.from_pretrained(
        cfg.model,
        config=config,
        dtype=torch.bfloat16 if cfg.finetune == "lora" and cfg.mixed_precision == "bf16" else torch.float32,
        attn_implementation="sdpa" if implementation == attention.VARLEN else implementation,
    )


def _with_lora(cfg: SFTConfig, model: Any) -> Any:
    from peft import LoraConfig, get_peft_model

    if cfg.gradient_checkpointing:
        model.enable_input_require_grads()
    lora = LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=cfg.lora.target_modules,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def enable_checkpointing(model: Any) -> None:
    """Activation (gradient) checkpointing per decoder layer, under either of transformers' names."""
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:  # transformers < 5.2x
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def compile_layers(model: Any) -> None:
    """``torch.compile`` every decoder layer: one graph for all of them, sizes dynamic (packs vary)."""
    decoder = model.get_decoder()
    for layer in decoder.layers:
        layer.compile(dynamic=True)


def count_parameters(model: Any) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total
