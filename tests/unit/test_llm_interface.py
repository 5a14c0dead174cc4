"""Every implementation of the one LLM interface satisfies the Protocol (mypy checks the signatures too)."""

from __future__ import annotations

from pathlib import Path

from tests.doubles.fake_llm import FakeLLM
from wildlong.executor import ExecutorConfig, make_client
from wildlong.llm import LLM, LLMClient, LLMSettings
from wildlong.ray_exec import RayClient


def _settings(tmp_path: Path) -> LLMSettings:
    return LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", cache_path=tmp_path / "c.sqlite")


def test_the_client_the_ray_client_and_the_fake_are_all_an_llm(tmp_path: Path) -> None:
    local = make_client(_settings(tmp_path), ExecutorConfig(), tmp_path / "shards")
    ray = make_client(_settings(tmp_path), ExecutorConfig(kind="ray"), tmp_path / "shards")
    assert type(local) is LLMClient and type(ray) is RayClient
    for client in (local, ray, FakeLLM()):
        assert isinstance(client, LLM)
    assert not isinstance(object(), LLM)
    local.close()
    ray.close()


def test_the_ray_client_composes_a_local_client(tmp_path: Path) -> None:
    ray = RayClient(_settings(tmp_path), ExecutorConfig(kind="ray"), tmp_path / "shards")
    assert not isinstance(ray, LLMClient)
    assert (ray.model, ray.settings, ray.accounting) == ("m", ray.local.settings, ray.local.accounting)
    ray.budget_exceeded = True  # a batch sets it on whatever client it runs through
    assert ray.local.budget_exceeded
    estimate = ray.estimate([])
    assert estimate.calls == 0
    ray.close()
