"""The ``ray`` executor: a batch of LLM requests as a Ray Data pipeline, in shards that survive a restart.

    client = RayClient(resolve_settings(settings), ExecutorConfig(kind="ray"), run_dir / "shards")
    results = client.run(requests, desc="answer")   # same results, same order as LLMClient.run
    isinstance(client, wildlong.llm.LLM)            # True: it implements the one interface

A batch is cut into shards of ``shard_size`` requests. A shard is named by the content of its requests
(messages, parameters, prompt version, schema), so a restarted job finds the shards it finished
(``<stage>/<digest>.jsonl`` next to a ``.done`` marker) and sends only the rest; a changed prompt makes new
names, never a stale hit. Pending shards become rows of a Ray dataset; ``map_batches`` hands each to an
actor that holds its own :class:`LLMClient` (same settings, same reply cache file, replicas balanced by the
client) and returns the results as JSON, which the driver writes as the shard file, then the marker.

``RayClient`` does not subclass :class:`LLMClient`: it holds one (``local``) for single calls, the
dry-run's estimate and the accounting (the actors' counters are merged into it), and implements the
:class:`~wildlong.llm.LLM` Protocol itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from pydantic import BaseModel
from tqdm import tqdm

from wildlong.errors import ConfigError, LLMError, WildLongError
from wildlong.executor_config import ExecutorConfig
from wildlong.llm.accounting import Accounting
from wildlong.llm.batch import run_batch
from wildlong.llm.calls import LLMRequest, LLMResult
from wildlong.llm.client import LLMClient
from wildlong.llm.prompts import ChatMessage, PromptTemplate
from wildlong.llm.settings import LLMSettings
from wildlong.llm.tokens import Estimate

if TYPE_CHECKING:
    from wildlong.llm.interface import LLM

M = TypeVar("M", bound=BaseModel)


def request_digest(request: LLMRequest) -> str:
    """What makes a request's reply: messages, parameters, stage, prompt version and reply schema."""
    schema = request.schema.model_json_schema() if request.schema is not None else None
    body = {
        "messages": request.messages,
        "params": dict(request.params),
        "stage": request.stage,
        "template": request.template.version if request.template is not None else None,
        "schema": schema,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def result_to_json(result: LLMResult[Any]) -> dict[str, Any]:
    value = result.value
    return {
        "ok": result.ok,
        "value": value.model_dump(mode="json") if isinstance(value, BaseModel) else value,
        "text": result.text,
        "reason": result.reason,
        "detail": result.detail,
        "cached": result.cached,
        "finish_reason": result.finish_reason,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "attempts": result.attempts,
    }


def result_from_json(data: dict[str, Any], request: LLMRequest) -> LLMResult[Any]:
    value = data["value"]
    if request.schema is not None and data["ok"] and value is not None:
        value = request.schema.model_validate(value)
    return LLMResult(**{**data, "value": value})


class ShardCaller:
    """The Ray Data UDF: one actor, one client. Async, so that an actor works on several shards at once
    through its client's one concurrency limiter (no drain at the end of each shard)."""

    def __init__(self, settings: LLMSettings) -> None:
        self.client = LLMClient(settings)
        self.actor_id = uuid.uuid4().hex
        self.finished = 0  # shards this actor finished: orders its accounting snapshots

    async def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from ray import cloudpickle

        out: dict[str, list[Any]] = {
            "shard": [],
            "results": [],
            "accounting": [],
            "actor": [],
            "seq": [],
            "fatal": [],
        }
        for shard, payload in zip(batch["shard"], batch["payload"], strict=True):
            requests: list[LLMRequest] = cloudpickle.loads(payload)
            fatal = ""
            try:
                results = await run_batch(self.client, requests, progress=False)
            except WildLongError as exc:  # a dead endpoint or a wrong key stops the job, in the driver
                fatal, results = exc.one_line(), []
            out["shard"].append(str(shard))
            out["results"].append(json.dumps([result_to_json(r) for r in results]))
            # this actor's counters so far: the driver keeps the latest per actor and adds them up
            out["accounting"].append(json.dumps(self.client.accounting.to_dict()))
            self.finished += 1
            out["actor"].append(self.actor_id)
            out["seq"].append(self.finished)
            out["fatal"].append(fatal)
        return {key: np.array(values, dtype=object) for key, values in out.items()}


class RayClient:
    """An :class:`~wildlong.llm.LLM` whose batches (``run``) execute on Ray in shards; single calls, the
    estimate and the accounting belong to the :class:`LLMClient` it holds (``local``), in this process."""

    def __init__(self, settings: LLMSettings, executor: ExecutorConfig, shard_root: Path) -> None:
        self.local = LLMClient(settings)
        self.executor = executor
        self.shard_root = shard_root

    @property
    def settings(self) -> LLMSettings:
        return self.local.settings

    @property
    def model(self) -> str:
        return self.local.model

    @property
    def accounting(self) -> Accounting:
        """The driver's counters: its own single calls plus what every actor reported."""
        return self.local.accounting

    @property
    def budget_exceeded(self) -> bool:
        return self.local.budget_exceeded

    @budget_exceeded.setter
    def budget_exceeded(self, value: bool) -> None:
        self.local.budget_exceeded = value

    async def submit(self, request: LLMRequest) -> LLMResult[Any]:
        return await self.local.submit(request)

    async def structured(
        self,
        messages: list[ChatMessage],
        schema: type[M],
        *,
        stage: str = "default",
        template: PromptTemplate | None = None,
        **params: Any,
    ) -> LLMResult[M]:
        return await self.local.structured(messages, schema, stage=stage, template=template, **params)

    async def complete(
        self,
        messages: list[ChatMessage],
        *,
        stage: str = "default",
        template: PromptTemplate | None = None,
        **params: Any,
    ) -> LLMResult[str]:
        return await self.local.complete(messages, stage=stage, template=template, **params)

    def estimate(self, requests: Sequence[LLMRequest]) -> Estimate:
        return self.local.estimate(requests)

    async def aclose(self) -> None:
        await self.local.aclose()

    def close(self) -> None:
        self.local.close()

    def run(
        self, requests: Sequence[LLMRequest], *, progress: bool | None = None, desc: str = "LLM"
    ) -> list[LLMResult[Any]]:
        """The batch as a Ray Data pipeline: finished shards are read back, the rest go to the actors."""
        if not requests:
            return []
        size = self.executor.shard_size
        shards = [list(requests[i : i + size]) for i in range(0, len(requests), size)]
        names = [_shard_name(shard) for shard in shards]
        folder = self.shard_root / _slug(requests[0].stage)
        folder.mkdir(parents=True, exist_ok=True)
        done: dict[str, list[dict[str, Any]]] = {}
        for name in names:
            if (folder / f"{name}.done").exists():
                lines = (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
                done[name] = [json.loads(line) for line in lines]
        pending = {name: shard for name, shard in zip(names, shards, strict=True) if name not in done}
        bar = tqdm(
            total=len(requests),
            initial=sum(len(v) for v in done.values()),
            desc=f"{desc} (ray)",
            unit="call",
            disable=(not progress) if progress is not None else None,
        )
        try:
            for name, results in self._execute(pending):
                _write_shard(folder, name, results)
                done[name] = results
                bar.update(len(results))
        finally:
            bar.close()
        flat = [r for name in names for r in done[name]]
        return [result_from_json(data, req) for data, req in zip(flat, requests, strict=True)]

    def _execute(self, pending: dict[str, list[LLMRequest]]) -> Any:
        """Yield ``(shard name, results as JSON)`` as the actors finish shards."""
        if not pending:
            return
        ray = _ensure_ray(self.executor)
        from ray import cloudpickle

        items = [{"shard": name, "payload": cloudpickle.dumps(shard)} for name, shard in pending.items()]
        ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            ShardCaller,
            fn_constructor_kwargs={"settings": self.settings},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(
                size=min(self.executor.actors, len(items)),
                max_tasks_in_flight_per_actor=self.executor.shards_per_actor,
            ),
            num_cpus=self.executor.actor_cpus,
        )
        # Each row carries its actor's counters so far; rows may arrive out of order, so the one with the
        # highest sequence number (taken when the actor's last shard finished) holds all of its work.
        latest: dict[str, tuple[int, dict[str, Any]]] = {}
        try:
            for row in ds.iter_rows():
                if row["fatal"]:
                    raise LLMError(f"a Ray actor stopped: {row['fatal']}")
                actor, seq = str(row["actor"]), int(row["seq"])
                if actor not in latest or seq > latest[actor][0]:
                    latest[actor] = (seq, json.loads(row["accounting"]))
                yield str(row["shard"]), json.loads(row["results"])
        finally:
            for _, counters in latest.values():
                self.accounting.merge(counters)


def _shard_name(shard: list[LLMRequest]) -> str:
    h = hashlib.sha256()
    for request in shard:
        h.update(request_digest(request).encode())
    return h.hexdigest()[:24]


def _slug(stage: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in stage) or "llm"


def _write_shard(folder: Path, name: str, results: list[dict[str, Any]]) -> None:
    """The shard file first (atomically), then its marker: a marker always has a whole file behind it."""
    tmp = folder / f"{name}.jsonl.tmp"
    tmp.write_text("".join(json.dumps(r) + "\n" for r in results), encoding="utf-8")
    tmp.replace(folder / f"{name}.jsonl")
    (folder / f"{name}.done").write_text(f"{len(results)}\n", encoding="utf-8")


def _ensure_ray(executor: ExecutorConfig) -> Any:
    token = Path.home() / ".ray" / "auth_token"
    if executor.address is not None and "RAY_AUTH_MODE" not in os.environ and token.exists():
        # `ray start` turns token authentication on when this file exists; a driver does not by itself
        # (read when Ray is first imported).
        os.environ["RAY_AUTH_MODE"] = "token"
    import ray

    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if executor.address is None:
            kwargs["num_cpus"] = executor.num_cpus
            if executor.object_store_mb is not None:
                kwargs["object_store_memory"] = executor.object_store_mb * 1024 * 1024
        try:
            ray.init(address=executor.address, **kwargs)
        except ConnectionError as exc:
            raise ConfigError(
                f"cannot reach the Ray cluster at {executor.address}: {exc}",
                hint="start it with `ray start --head`, or leave executor.address unset for a private one",
            ) from None
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    return ray


if TYPE_CHECKING:  # mypy checks here that the class implements the one interface
    _implements: type[LLM] = RayClient
