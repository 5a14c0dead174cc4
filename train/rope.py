"""RoPE settings: read the model's, apply overrides (base and scaling), save what was used.

Transformers 5 keeps RoPE in ``config.rope_parameters`` (``rope_type``, ``rope_theta`` and the scaling keys);
older releases used ``rope_theta`` and ``rope_scaling``. Both are read and written here, so the rest of the
recipe only sees one flat dict: ``{"rope_type": ..., "rope_theta": ..., "factor": ..., ...}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wildlong.errors import ConfigError

# Keys each scaling type needs beyond rope_theta and factor; missing ones are filled from the model.
NEEDS_ORIGINAL = {"yarn", "llama3", "dynamic"}
LLAMA3_DEFAULTS = {"low_freq_factor": 1.0, "high_freq_factor": 4.0}


def current_rope(config: Any) -> dict[str, Any]:
    """The model config's RoPE settings as one flat dict."""
    params = getattr(config, "rope_parameters", None)
    if isinstance(params, dict) and "rope_theta" in params:
        flat = dict(params)
    else:
        flat = {"rope_type": "default", "rope_theta": float(getattr(config, "rope_theta", 10000.0))}
        scaling = getattr(config, "rope_scaling", None)
        if isinstance(scaling, dict) and scaling:
            flat.update({k: v for k, v in scaling.items() if k != "type"})
            flat["rope_type"] = scaling.get("rope_type", scaling.get("type", "default"))
    flat.setdefault("rope_type", "default")
    return flat


def resolve_rope(
    config: Any, theta: float | None, scaling: dict[str, Any] | str | None, max_seq_len: int
) -> dict[str, Any]:
    """The settings to train with: the model's, with ``theta`` and ``scaling`` applied when given.

    ``scaling`` None keeps the model's scaling, ``"none"`` removes it, a dict replaces it.
    """
    rope = current_rope(config)
    native = int(getattr(config, "max_position_embeddings", 0) or 0)
    if scaling == "none":
        rope = {"rope_type": "default", "rope_theta": rope["rope_theta"]}
    elif isinstance(scaling, dict):
        kind = scaling.get("rope_type", scaling.get("type"))
        old = rope
        rope = {"rope_type": kind, "rope_theta": old["rope_theta"]}
        rope.update({k: v for k, v in scaling.items() if k not in ("type", "rope_type")})
        rope["factor"] = float(rope["factor"])
        if kind in NEEDS_ORIGINAL:
            original = old.get("original_max_position_embeddings", native or max_seq_len)
            rope.setdefault("original_max_position_embeddings", int(original))
        if kind == "llama3":
            for key, value in LLAMA3_DEFAULTS.items():
                rope.setdefault(key, value)
    if theta is not None:
        rope["rope_theta"] = float(theta)
    return rope


def apply_rope(config: Any, rope: dict[str, Any], max_seq_len: int) -> None:
    """Write ``rope`` into the model config; the window grows to ``max_seq_len`` when that is longer."""
    if rope.get("rope_type") not in (None, "default", "linear", "dynamic", "yarn", "llama3"):
        raise ConfigError(f"unsupported rope_type {rope.get('rope_type')!r}")
    if "rope_parameters" in type(config).__annotations__ or hasattr(config, "rope_parameters"):
        config.rope_parameters = dict(rope)
    else:  # transformers 4.x
        config.rope_theta = rope["rope_theta"]
        extra = {k: v for k, v in rope.items() if k != "rope_theta"}
        config.rope_scaling = None if rope.get("rope_type", "default") == "default" else extra
    if max_seq_len > int(getattr(config, "max_position_embeddings", 0) or 0):
        config.max_position_embeddings = max_seq_len


def rope_record(config: Any, requested: dict[str, Any]) -> dict[str, Any]:
    """What goes into ``rope.json`` next to a checkpoint: the resolved settings and what was asked."""
    return {
        "resolved": current_rope(config),
        "max_position_embeddings": int(getattr(config, "max_position_embeddings", 0) or 0),
        "requested": requested,
    }


def save_rope(folder: Path, record: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rope.json"
    path.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    return path
