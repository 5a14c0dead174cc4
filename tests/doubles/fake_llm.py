"""TEST DOUBLE: :class:`FakeLLM`, an in-process :class:`wildlong.llm.LLM` (no HTTP, no cache, no retries).

For unit tests of stages that only need *an* LLM: a script function answers each request, the fake
records every request it was given and counts calls, tokens and failures per stage in a real
:class:`~wildlong.llm.Accounting`, exactly where the stages and the run report read them.

    def script(request: LLMRequest) -> Reply:
        if "broken" in request.messages[-1]["content"]:
            return Failed("timeout", "scripted")        # a counted failure, reason from FAILURE_REASONS
        return Needs(task="sum up")                     # or a str: parsed like a server's reply

    llm = FakeLLM(script)
    results = llm.run([LLMRequest(user("q"), stage="extract", schema=Needs)])
    assert llm.accounting.stats("extract", llm.model).ok == 1 and llm.requests[0].stage == "extract"

A reply is a ``str`` (for a request with a schema it is parsed and validated as a server's reply would be,
so ``"not json"`` gives ``invalid_json``; no repair is attempted), a pydantic model (the value; its JSON
is the text), :class:`Cut` (a reply cut off at ``max_tokens``) or :class:`Failed` (a record failed for
``reason``). A script may also *raise*: an
``LLMError`` stops the batch as a dead endpoint would, a ``BudgetExceeded`` marks the record
``budget_exceeded`` and sets ``budget_exceeded``. Without a script, every request gets ``echo: <last
message>`` or, with a schema, the schema's defaults validated from ``{}``.

Not for tests of the client itself: those use the real ``LLMClient`` against
``tests.doubles.scripted_openai_server``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from wildlong.llm import LLM, LLMRequest, LLMResult, LLMSettings, PriceTable, run_batch
from wildlong.llm.accounting import Accounting
from wildlong.llm.calls import FAILURE_REASONS
from wildlong.llm.prompts import ChatMessage, PromptTemplate
from wildlong.llm.structured import parse_reply
from wildlong.llm.tokens import Estimate, count_messages, count_text

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Failed:
    """A scripted failure of one record: ``reason`` is one of ``wildlong.llm.FAILURE_REASONS``."""

    reason: str
    detail: str = "scripted failure"

    def __post_init__(self) -> None:
        assert self.reason in FAILURE_REASONS, self.reason


@dataclass(frozen=True)
class Cut:
    """A reply cut off at ``max_tokens`` (``finish_reason: length``), treated as the real client does."""

    text: str


Reply = str | BaseModel | Failed | Cut
Script = Callable[[LLMRequest], Reply]


def default_reply(request: LLMRequest) -> Reply:
    """``echo: <last message>``, or the schema's defaults (``{}`` validated) for a structured request."""
    if request.schema is not None:
        return "{}"
    return f"echo: {request.messages[-1]['content'] if request.messages else ''}"


class FakeLLM:
    """An in-process :class:`~wildlong.llm.LLM` answered by ``script`` (see the module docstring)."""

    def __init__(
        self,
        script: Script = default_reply,
        *,
        model: str = "fake-model",
        settings: LLMSettings | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        self.settings = settings or LLMSettings(base_url="http://fake-llm.invalid/v1", model=model)
        self.model = self.settings.model or model
        self.accounting = Accounting(prices or PriceTable.load(), max_cost=self.settings.max_cost)
        self.budget_exceeded = False
        self.requests: list[LLMRequest] = []  # every request submitted, in order
        self.calls: Counter[str] = Counter()  # requests submitted per stage
        self.closed = False
        self._script = script

    # --- the LLM interface ----------------------------------------------------------------------------------
    def run(
        self, requests: Sequence[LLMRequest], *, progress: bool | None = None, desc: str = "LLM"
    ) -> list[LLMResult[Any]]:
        return asyncio.run(run_batch(self, requests, progress=progress, desc=desc))

    async def submit(self, request: LLMRequest) -> LLMResult[Any]:
        self.requests.append(request)
        self.calls[request.stage] += 1
        result = self._answer(request)
        self.accounting.record_outcome(request.stage, self.model, result.reason)
        return result

    async def structured(
        self,
        messages: list[ChatMessage],
        schema: type[M],
        *,
        stage: str = "default",
        template: PromptTemplate | None = None,
        **params: Any,
    ) -> LLMResult[M]:
        request = LLMRequest(messages, stage=stage, template=template, schema=schema, params=params)
        return await self.submit(request)

    async def complete(
        self,
        messages: list[ChatMessage],
        *,
        stage: str = "default",
        template: PromptTemplate | None = None,
        **params: Any,
    ) -> LLMResult[str]:
        return await self.submit(LLMRequest(messages, stage=stage, template=template, params=params))

    def estimate(self, requests: Sequence[LLMRequest]) -> Estimate:
        """Every request counted as a call: input tokens offline, output ``max_tokens`` (or 512)."""
        estimate = Estimate()
        for request in requests:
            row = estimate.row(request.stage, self.model)
            tokens_in = count_messages(request.messages, self.model)
            tokens_out = int(request.params.get("max_tokens") or self.settings.max_tokens or 512)
            row.calls += 1
            row.input_tokens += tokens_in
            row.output_tokens += tokens_out
            cost = self.accounting.prices.cost(self.model, tokens_in, tokens_out)
            row.cost_usd = None if cost is None or row.cost_usd is None else row.cost_usd + cost
        return estimate

    async def aclose(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    # --- helpers --------------------------------------------------------------------------------------------
    def _answer(self, request: LLMRequest) -> LLMResult[Any]:
        reply = self._script(request)
        stats = self.accounting.stats(request.stage, self.model)
        stats.requests += 1
        if isinstance(reply, Failed):
            return LLMResult.failed(reply.reason, reply.detail, attempts=1)
        finish = "length" if isinstance(reply, Cut) else "stop"
        if isinstance(reply, Cut):
            reply = reply.text
        text = reply.model_dump_json() if isinstance(reply, BaseModel) else reply
        tokens_in = count_messages(request.messages, self.model)
        tokens_out = count_text(text, self.model)
        self.accounting.record_response(request.stage, self.model, tokens_in, tokens_out)
        common: dict[str, Any] = {
            "text": text,
            "finish_reason": finish,
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "attempts": 1,
        }
        if request.schema is None:
            if not text.strip():
                return LLMResult.failed("empty", "the reply was empty", **common)
            if finish == "length":
                return LLMResult.failed("truncated", "the reply hit max_tokens", **common)
            return LLMResult(ok=True, value=text, **common)
        if isinstance(reply, request.schema):
            return LLMResult(ok=True, value=reply, **common)
        value, reason, error = parse_reply(text, finish, request.schema)
        if reason is not None:
            return LLMResult.failed(reason, error, **common)
        return LLMResult(ok=True, value=value, **common)


if TYPE_CHECKING:  # mypy checks here that the double implements the one interface
    _implements: type[LLM] = FakeLLM
