"""Which attention kernel runs a packed batch, so that no token attends across samples.

- ``flash_attention_2`` (the flash-attn package, GPU): transformers reads the packed ``cu_seq_lens_*``
  (or the restarting ``position_ids``) and calls the variable-length kernel.
- ``varlen`` (GPU, no extra package): PyTorch's own ``torch.nn.attention.varlen.varlen_attn`` (Flash/cuDNN
  kernels inside PyTorch), registered with transformers under :data:`VARLEN`.
- ``split`` (any device): plain causal SDPA on each sample's slice of the row, registered under
  :data:`SPLIT`; no (T x T) mask is built. On a CPU it beats the block-diagonal mask (~1.6x on the tiny
  model); on an H100 it is slower than ``varlen`` (a host sync per layer: 24K against 39-53K tokens/s).
- ``sdpa`` / ``eager`` (CPU, or any device): transformers sees the restarting ``position_ids`` with no
  attention mask and builds a block-diagonal causal mask.

``auto`` picks the first that is available, in that order; padded batches always use ``sdpa``.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import itertools
from typing import Any

import torch

from wildlong.errors import ConfigError

VARLEN = "wildlong_varlen"
SPLIT = "wildlong_split"


def varlen_available() -> bool:
    if not torch.cuda.is_available():
        return False
    try:
        from torch.nn.attention import varlen  # noqa: F401
    except ImportError:
        return False
    return True


def flash_attn_available() -> bool:
    return torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None


def choose(requested: str, *, packing: bool) -> str:
    """The transformers ``attn_implementation`` name for ``requested`` (``auto`` resolved)."""
    if not packing:
        return "sdpa" if requested in ("auto", "varlen", "split") else requested
    if requested == "auto":
        if flash_attn_available():
            return "flash_attention_2"
        requested = "varlen" if varlen_available() else "sdpa"
    if requested == "flash_attention_2" and not flash_attn_available():
        raise ConfigError("attention: flash_attention_2 needs a GPU and the flash-attn package",
                          hint="use attention: auto")  # fmt: skip
    if requested == "varlen":
        if not varlen_available():
            raise ConfigError("attention: varlen needs a GPU and torch.nn.attention.varlen",
                              hint="use attention: auto")  # fmt: skip
        register_varlen()
        return VARLEN
    if requested == "split":
        register_split()
        return SPLIT
    return requested


@functools.cache
def register_split() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(SPLIT, split_attention_forward)


@torch.compiler.disable  # one graph per pack layout otherwise; the rest of the layer still compiles
def split_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """Causal SDPA per sample of one packed row; (1, H, T, D) in, (1, T, H, D) out."""
    cu = kwargs.get("cu_seq_lens_q")
    if cu is None or query.shape[0] != 1:
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    bounds = cu.tolist()
    gqa = key.shape[1] != query.shape[1]
    parts = [
        torch.nn.functional.scaled_dot_product_attention(
            query[:, :, a:b], key[:, :, a:b], value[:, :, a:b], is_causal=True, scale=scaling, enable_gqa=gqa
        )
        for a, b in itertools.pairwise(bounds)
    ]
    return torch.cat(parts, dim=2).transpose(1, 2).contiguous(), None


# The keyword arguments this PyTorch's varlen_attn takes (2.11: window_size; later: enable_gqa...), read
# once at registration: a plain global keeps the compiled decoder layer free of graph breaks.
_VARLEN_PARAMS: frozenset[str] = frozenset()


@functools.cache
def register_varlen() -> None:
    global _VARLEN_PARAMS
    from torch.nn.attention.varlen import varlen_attn
    from transformers import AttentionInterface

    _VARLEN_PARAMS = frozenset(inspect.signature(varlen_attn).parameters)
    AttentionInterface.register(VARLEN, varlen_attention_forward)


def varlen_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """Causal attention over the samples of one packed row; (1, H, T, D) in, (1, T, H, D) out."""
    from torch.nn.attention.varlen import varlen_attn

    cu = kwargs.get("cu_seq_lens_q")
    if cu is None or query.shape[0] != 1:  # not a packed batch (generation, say): plain SDPA
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    dtype = query.dtype
    half = dtype if dtype in (torch.float16, torch.bfloat16) else torch.bfloat16  # the kernels' types
    q, k, v = (t[0].transpose(0, 1).to(half) for t in (query, key, value))  # (T, H, D)
    params = _VARLEN_PARAMS
    options: dict[str, Any] = {}
    if "scale" in params and scaling is not None:
        options["scale"] = scaling
    if "is_causal" in params:
        options["is_causal"] = True
    else:
        options["window_size"] = (-1, 0)
    if k.shape[1] != q.shape[1]:
        if "enable_gqa" in params:
            options["enable_gqa"] = True
        else:
            groups = q.shape[1] // k.shape[1]
            k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    longest = int(kwargs.get("max_length_q") or int((cu[1:] - cu[:-1]).max()))
    out = varlen_attn(q, k, v, cu, cu, longest, longest, **options)
    assert isinstance(out, torch.Tensor)
    return out.unsqueeze(0).to(dtype), None
