"""Where a run's LLM stages execute: in this process (``local``) or as Ray Data pipelines (``ray``).

Both implement the one LLM interface, :class:`~wildlong.llm.LLM`. ``local`` is
:class:`~wildlong.llm.LLMClient`; ``ray`` is :class:`~wildlong.ray_exec.RayClient`, which holds an
``LLMClient`` for single calls (naming a cluster, a dry-run's estimate) and the accounting, and spreads a
batch (``run``) over Ray actors in shards, with a completion marker per shard so that a restarted job skips
finished shards. The executor never changes what is asked: the same config, seed and cache give the same
dataset with either.

Imports: this module -> :mod:`wildlong.ray_exec` (lazily: Ray is an extra) -> :mod:`wildlong.executor_config`;
nothing imports back. ``ExecutorConfig`` is re-exported here for the callers that import it from here.
"""

from __future__ import annotations

from pathlib import Path

from wildlong.errors import ConfigError
from wildlong.executor_config import ExecutorConfig
from wildlong.llm import LLM, LLMClient, LLMSettings

__all__ = ["ExecutorConfig", "make_client"]


def make_client(settings: LLMSettings, executor: ExecutorConfig, shard_root: Path) -> LLM:
    """The client a run's stages use: shards of a ``ray`` executor live under ``shard_root``."""
    if executor.kind == "local":
        return LLMClient(settings)
    if settings.max_cost is not None:
        raise ConfigError(
            "max_cost is enforced by one process; the ray executor spreads calls over many",
            hint="check the cost with `wildlong run CONFIG --dry-run`, then run without max_cost",
        )
    try:
        from wildlong.ray_exec import RayClient
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError(
            f"executor kind 'ray' needs Ray Data ({exc})", hint="pip install 'wildlong[ray]'"
        ) from None
    return RayClient(settings, executor, shard_root)
