"""The client against the scripted OpenAI server: retries, Retry-After, timeouts, concurrency, failures."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests.doubles.llm_helpers import client_for, scripted, user
from tests.doubles.scripted_openai_server import Reply, ScriptedOpenAIServer
from wildlong.errors import LLMError
from wildlong.llm import LLMRequest

__all__ = ["scripted"]


def test_a_plain_completion_returns_the_text_and_the_server_usage(
    scripted: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    client = client_for(scripted, tmp_path, temperature=0.2, max_tokens=50)
    [result] = client.run([LLMRequest(user("hello there"), stage="greet", params={"seed": 7, "top_k": 5})])
    assert (result.ok, result.value, result.cached, result.attempts) == (True, "echo: hello there", False, 1)
    assert (result.input_tokens, result.output_tokens) == (2, 3)
    [body] = scripted.bodies()
    assert body["model"] == "scripted-model" and body["messages"] == user("hello there")
    assert (body["temperature"], body["max_tokens"], body["seed"], body["top_k"]) == (0.2, 50, 7, 5)
    assert scripted.chat_requests[0].headers["authorization"] == "Bearer test-key"


def test_retry_after_is_honoured(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    scripted.script(Reply.rate_limit(retry_after=1), Reply.rate_limit(retry_after=0.5, status=503))
    client = client_for(scripted, tmp_path, max_concurrency=1)
    [result] = client.run([LLMRequest(user("q"), stage="s")])
    first, second, third = scripted.arrivals()
    assert 1.0 <= second - first < 2.0  # Retry-After plus at most 10% jitter, plus scheduling slack
    assert 0.5 <= third - second < 1.5
    assert result.ok and result.attempts == 3
    stats = client.accounting.stats("s", "scripted-model")
    assert (stats.requests, stats.responses) == (3, 1)
    assert stats.retries == {"rate_limited": 1, "server_error": 1}


def test_retry_after_pauses_every_request_not_only_the_refused_one(
    scripted: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    scripted.script(Reply.rate_limit(retry_after=0.6))
    client = client_for(scripted, tmp_path, max_concurrency=1)
    client.run([LLMRequest(user(f"q{i}")) for i in range(3)])
    arrivals = scripted.arrivals()
    assert len(arrivals) == 4
    assert all(later - arrivals[0] >= 0.6 for later in arrivals[1:])


@pytest.mark.parametrize("adaptive", [False, True])
def test_the_concurrency_cap_is_never_exceeded(tmp_path: Path, adaptive: bool) -> None:
    with ScriptedOpenAIServer(latency_s=0.05) as server:
        client = client_for(server, tmp_path, max_concurrency=8, adaptive=adaptive)
        results = client.run([LLMRequest(user(f"item {i}")) for i in range(80)])
        assert all(r.ok for r in results)
        assert server.chat_count == 80
        if adaptive:
            assert server.max_in_flight <= 8 and client.limiter.max_in_flight_seen <= 8
        else:
            assert server.max_in_flight == 8 == client.limiter.max_in_flight_seen


def test_the_timeout_does_not_count_the_wait_for_a_slot(tmp_path: Path) -> None:
    with ScriptedOpenAIServer(latency_s=0.3) as server:
        client = client_for(server, tmp_path, max_concurrency=1, request_timeout_s=1.0)
        results = client.run([LLMRequest(user(f"item {i}")) for i in range(5)])  # the last waits 1.2 s
        assert [r.ok for r in results] == [True] * 5
        assert server.chat_count == 5
        assert dict(client.accounting.stats("default", "scripted-model").retries) == {}


def test_a_hang_past_the_timeout_is_retried(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    scripted.script(Reply.hang(5))
    client = client_for(scripted, tmp_path, request_timeout_s=0.4)
    [result] = client.run([LLMRequest(user("slow"), stage="s")])
    assert result.ok and result.attempts == 2 and scripted.chat_count == 2
    assert dict(client.accounting.stats("s", "scripted-model").retries) == {"timeout": 1}


def test_retries_exhausted_make_a_counted_failure_and_the_run_goes_on(
    scripted: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    scripted.on("doomed", Reply.error(500), Reply.error(502), Reply.error(503))
    client = client_for(scripted, tmp_path, max_retries=2)
    results = client.run([LLMRequest(user(text), stage="s") for text in ("a", "doomed", "b")])
    assert [r.ok for r in results] == [True, False, True]
    assert (results[1].reason, results[1].attempts) == ("server_error", 3)
    assert "HTTP 503" in results[1].detail
    stats = client.accounting.stats("s", "scripted-model")
    assert stats.ok == 2 and stats.failures == {"server_error": 1} and stats.retries == {"server_error": 2}


def test_a_bad_request_is_not_retried(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    scripted.script(Reply.error(400, "context length exceeded"))
    client = client_for(scripted, tmp_path)
    [result] = client.run([LLMRequest(user("too long"))])
    assert (result.ok, result.reason, result.attempts, scripted.chat_count) == (False, "bad_request", 1, 1)


def test_a_wrong_key_stops_the_run_in_one_line(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    scripted.script(Reply.error(401, "invalid api key"))
    client = client_for(scripted, tmp_path)
    with pytest.raises(LLMError, match="invalid api key") as caught:
        client.run([LLMRequest(user(f"q{i}")) for i in range(20)])
    assert "API key" in caught.value.one_line()


def test_an_unreachable_endpoint_stops_the_run(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    server = ScriptedOpenAIServer(port=port)  # not started: only lends its URL
    client = client_for(server, tmp_path, max_retries=1)
    with pytest.raises(LLMError, match="cannot reach the LLM"):
        client.run([LLMRequest(user("q"))])


def test_complete_is_usable_from_async_code(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    client = client_for(scripted, tmp_path)

    async def main() -> list[str | None]:
        try:
            results = await asyncio.gather(*(client.complete(user(f"n{i}"), stage="a") for i in range(4)))
            return [r.value for r in results]
        finally:
            await client.aclose()

    assert asyncio.run(main()) == ["echo: n0", "echo: n1", "echo: n2", "echo: n3"]
    with pytest.raises(LLMError, match="inside an event loop"):

        async def nested() -> None:
            client.run([LLMRequest(user("x"))])

        asyncio.run(nested())


def test_adaptive_concurrency_backs_off_from_a_server_that_only_gets_slower(tmp_path: Path) -> None:
    with ScriptedOpenAIServer(latency_s=0.02, capacity=4) as server:  # never a 429: requests queue
        client = client_for(server, tmp_path, max_concurrency=32, adaptive=True)
        results = client.run([LLMRequest(user(f"q{i}")) for i in range(400)])
        assert all(r.ok for r in results)
        assert client.limiter.decreases >= 1
        assert client.limiter.limit <= 16  # converges near the capacity, far under the cap
        assert dict(client.accounting.stats("default", "scripted-model").retries) == {}


def test_long_replies_are_not_mistaken_for_congestion(scripted: ScriptedOpenAIServer, tmp_path: Path) -> None:
    for i in range(120):  # latency proportional to the reply's length, like an LLM's
        words = 10 + (i * 7) % 50
        scripted.on(f"<{i}>", Reply.ok("w " * words, delay_s=0.002 * words))
    client = client_for(scripted, tmp_path, max_concurrency=16, adaptive=True)
    results = client.run([LLMRequest(user(f"<{i}>")) for i in range(120)])
    assert all(r.ok for r in results)
    assert client.limiter.decreases == 0 and client.limiter.limit == 16


def test_replicas_share_the_requests_by_what_each_has_in_flight(tmp_path: Path) -> None:
    slow = ScriptedOpenAIServer(latency_s=0.3)
    fast = ScriptedOpenAIServer(latency_s=0.02)
    with slow, fast:
        client = client_for(slow, tmp_path, max_concurrency=4, replicas=[fast.base_url], cache=False)
        assert client.settings.endpoints() == [slow.base_url, fast.base_url]
        results = client.run([LLMRequest(user(f"q{i}"), stage="s") for i in range(40)])
        assert all(r.ok for r in results) and [r.value for r in results][:2] == ["echo: q0", "echo: q1"]
        assert slow.chat_count + fast.chat_count == 40
        # the least-busy pick sends most of the work to the replica that answers 15x faster
        assert slow.chat_count >= 2 and fast.chat_count >= 3 * slow.chat_count
