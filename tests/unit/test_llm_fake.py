"""The FakeLLM test double: scripted replies become results, failures are counted by reason."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from tests.doubles.fake_llm import Failed, FakeLLM
from wildlong.errors import LLMError
from wildlong.llm import LLM, LLMRequest


class Need(BaseModel):
    task: str
    urgency: int = 0


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def script(request: LLMRequest) -> str | BaseModel | Failed:
    text = request.messages[-1]["content"]
    if text == "slow":
        return Failed("timeout", "scripted timeout")
    if text == "garbled":
        return "not json at all"
    if text == "model":
        return Need(task="from a model", urgency=2)
    return '{"task": "sum up"}' if request.schema is not None else f"answer to {text}"


def test_structured_requests_and_failures_are_counted_by_reason() -> None:
    llm = FakeLLM(script)
    assert isinstance(llm, LLM)
    texts = ["plain", "slow", "garbled", "model"]
    requests = [LLMRequest(user(t), stage="extract", schema=Need) for t in texts]
    requests.append(LLMRequest(user("hello"), stage="chat"))
    results = llm.run(requests, progress=False)
    assert [r.ok for r in results] == [True, False, False, True, True]
    assert results[0].value == Need(task="sum up") and results[0].text == '{"task": "sum up"}'
    assert (results[1].reason, results[1].detail) == ("timeout", "scripted timeout")
    assert results[2].reason == "invalid_json" and results[2].value is None
    assert results[3].value == Need(task="from a model", urgency=2)
    assert results[4].value == "answer to hello"
    extract = llm.accounting.stats("extract", "fake-model")
    assert (extract.requests, extract.responses, extract.ok) == (4, 3, 2)
    assert extract.failures == {"timeout": 1, "invalid_json": 1}
    assert llm.accounting.stats("chat", "fake-model").ok == 1
    assert llm.calls == {"extract": 4, "chat": 1}
    assert [r.messages[-1]["content"] for r in llm.requests] == [*texts, "hello"]


def test_single_calls_estimate_and_close() -> None:
    llm = FakeLLM(script)

    async def main() -> tuple[Need | None, str | None]:
        need = await llm.structured(user("x"), Need, stage="s")
        text = await llm.complete(user("hi"), stage="s", max_tokens=5)
        return need.value, text.value

    assert asyncio.run(main()) == (Need(task="sum up"), "answer to hi")
    assert llm.requests[1].params == {"max_tokens": 5}
    estimate = llm.estimate([LLMRequest(user("a b c"), stage="s", params={"max_tokens": 7})] * 2)
    assert (estimate.calls, estimate.output_tokens) == (2, 14)
    assert llm.calls == {"s": 2}  # an estimate sends nothing
    llm.close()
    assert llm.closed


def test_a_raised_llm_error_stops_the_batch() -> None:
    def dead(request: LLMRequest) -> str:
        raise LLMError("cannot reach the LLM at http://fake-llm.invalid/v1")

    with pytest.raises(LLMError, match="cannot reach"):
        FakeLLM(dead).run([LLMRequest(user("q"))])
