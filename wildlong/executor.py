"""Where a run's LLM stages execute: in this process (``local``) or as Ray Data pipelines (``ray``).

Both go through the one LLM interface. ``local`` is :class:`~wildlong.llm.LLMClient` itself; ``ray`` is
:class:`~wildlong.ray_exec.RayClient`, the same client whose ``run`` (a batch of requests) is spread over
Ray actors in shards, with a completion marker per shard so that a restarted job skips finished shards.
Single calls (naming a cluster, a dry-run's estimate) stay in this process either way. The executor never
changes what is asked: the same config, seed and cache give the same dataset with either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from wildlong.errors import ConfigError
from wildlong.llm import LLMClient, LLMSettings


class ExecutorConfig(BaseModel):
    """The ``executor:`` section of a run config."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "ray"] = Field("local", description="local | ray")
    address: str | None = Field(
        None,
        description="Ray cluster: 'auto' (the one this node belongs to), 'HOST:PORT' or 'ray://HOST:10001'; "
        "None starts a private one on this machine",
    )
    num_cpus: int | None = Field(
        None, ge=1, description="CPUs of the private Ray started when address is None"
    )
    shard_size: int = Field(64, ge=1, description="requests per shard (one map_batches call, one marker)")
    actors: int = Field(2, ge=1, description="Ray actors calling the endpoint(s), each with its own client")
    shards_per_actor: int = Field(
        4, ge=1, description="shards an actor works on at once (they share its client's concurrency)"
    )
    actor_cpus: float = Field(0.5, gt=0, description="CPUs reserved per actor (the work is waiting on HTTP)")
    object_store_mb: int | None = Field(
        256, ge=64, description="object store of the private Ray (MB); None = Ray's default share of RAM"
    )


def make_client(settings: LLMSettings, executor: ExecutorConfig, shard_root: Path) -> LLMClient:
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
