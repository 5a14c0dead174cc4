"""The ``executor:`` section of a run config: where a run's LLM stages execute (``local`` or ``ray``).

Its own module so that :mod:`wildlong.executor` (which picks the client) and :mod:`wildlong.ray_exec`
(which runs batches on Ray) both import it without importing each other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
