"""Point the real :class:`LLMClient` at the scripted server (a test double), with test-speed settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from wildlong.llm import LLMClient, LLMSettings


def settings_for(server: ScriptedOpenAIServer, tmp_path: Path, **overrides: Any) -> LLMSettings:
    """Settings for the double: its URL and model, a cache in ``tmp_path``, fast backoff, fixed 8 slots."""
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "model": server.model,
        "api_key": "test-key",
        "cache_path": tmp_path / "cache.sqlite",
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.05,
        "request_timeout_s": 10.0,
        "max_concurrency": 8,
        "adaptive": False,
    }
    values.update(overrides)
    return LLMSettings.model_validate(values)


def client_for(server: ScriptedOpenAIServer, tmp_path: Path, **overrides: Any) -> LLMClient:
    return LLMClient(settings_for(server, tmp_path, **overrides))


@pytest.fixture
def scripted() -> Iterator[ScriptedOpenAIServer]:
    """A fresh scripted server per test (import this fixture into a test module to use it)."""
    with ScriptedOpenAIServer() as server:
        yield server


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]
