"""The real embedded model: SmolLM2-135M-Instruct through xllamacpp's OpenAI-compatible server.

The server is started in a temporary WILDLONG_HOME on a free port, exactly as `wildlong llm start` does, and
stopped at the end. The model is weak: these tests check structure (schema-valid JSON, a non-empty reply,
clean start/stop), not content.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, Field

from tests.support.embedded import server
from wildlong.cli.llm_cmd import llm
from wildlong.llm import LLMClient, LLMRequest, LLMSettings, embedded, resolve_settings
from wildlong.llm.embedded import EmbeddedInfo

pytestmark = pytest.mark.llm

__all__ = ["server"]


class Kind(StrEnum):
    question = "question"
    task = "task"


class Need(BaseModel):
    """A deliberately bounded schema: constrained decoding keeps a 135M model inside it."""

    kind: Kind
    topic: str = Field(min_length=1, max_length=60)
    keywords: list[str] = Field(min_length=1, max_length=3)
    pages: int = Field(ge=0, le=1000)


def _client(tmp_path: Path) -> LLMClient:
    settings = resolve_settings(LLMSettings(cache_path=tmp_path / "cache.sqlite", temperature=0.0))
    return LLMClient(settings)


def test_start_is_idempotent_and_status_sees_the_server(server: EmbeddedInfo) -> None:
    assert embedded.start() == server
    assert embedded.status() == server
    assert server.base_url.startswith("http://127.0.0.1:") and server.model == "SmolLM2-135M-Instruct"


def test_a_structured_call_returns_schema_valid_json(server: EmbeddedInfo, tmp_path: Path) -> None:
    client = _client(tmp_path)
    assert (client.settings.base_url, client.settings.max_concurrency) == (server.base_url, 2)
    prompt = "Describe this request as JSON: 'Summarize the 40-page lease and list its termination clauses.'"
    [result] = client.run(
        [LLMRequest([{"role": "user", "content": prompt}], schema=Need, params={"max_tokens": 200})]
    )
    assert result.ok, (result.reason, result.detail, result.text)
    assert isinstance(result.value, Need)
    assert Need.model_validate(json.loads(result.text)) == result.value
    stats = client.accounting.stats("default", "SmolLM2-135M-Instruct")
    assert stats.ok == 1 and stats.failures == {} and stats.output_tokens > 0
    assert client.accounting.cost_usd == 0.0


def test_a_plain_chat_completion(server: EmbeddedInfo, tmp_path: Path) -> None:
    client = _client(tmp_path)
    messages = [{"role": "user", "content": "Name one planet of the solar system."}]
    [result] = client.run([LLMRequest(messages, params={"max_tokens": 24})])
    assert result.text.strip() and 0 < result.output_tokens <= 24
    # a reply cut off at max_tokens is a real reply, but not an ok one: the stages reject it
    assert (result.ok, result.finish_reason) in ((True, "stop"), (False, "length"))
    assert result.ok or result.reason == "truncated"
    [again] = _client(tmp_path).run([LLMRequest(messages, params={"max_tokens": 24})])
    assert again.cached and again.text == result.text


def test_the_cli_uses_the_embedded_server_when_no_endpoint_is_set(server: EmbeddedInfo) -> None:
    result = CliRunner().invoke(llm, ["chat", "--max-tokens", "8", "Say hi."])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    status = CliRunner().invoke(llm, ["status"])
    assert f"running, SmolLM2-135M-Instruct at {server.base_url}" in status.output


def test_stop_is_clean(server: EmbeddedInfo) -> None:
    assert embedded.status() == server
    assert embedded.stop() is True
    assert embedded.status() is None and embedded.stop() is False
    log = Path(server.log).read_text("utf-8", errors="replace")
    assert "SIGTERM, shutting down" in log
