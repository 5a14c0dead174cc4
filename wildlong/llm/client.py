"""The one implementation of :class:`~wildlong.llm.interface.LLM` over ``openai.AsyncOpenAI``.

:class:`LLMClient` composes four layers, each in its own module, outermost first:

- ``caching``: the persistent reply cache and sharing of identical calls in flight;
- ``budget``: the ``max_cost`` reservation before a call is sent, settled when it returns;
- ``attempts``: retries (backoff with jitter, ``Retry-After``) through the adaptive concurrency limiter;
- ``transport``: one ``AsyncOpenAI`` per endpoint, the least busy one per POST, the total timeout.

On top it owns the request shape: the settings' default parameters, structured output (``response_format``
modes, remembered once the server refuses one, and one repair quoting the validation error) and the
dry-run's estimate. A reply still unparseable after the repair is taken out of the cache (a later run asks
again); a reply cut off at ``max_tokens`` is final (``truncated``, cached, no repair). A bad record comes
back as ``LLMResult(ok=False, reason=...)``; only what stops every
record raises: :class:`BudgetExceeded`, and :class:`LLMError` for a wrong key/model/URL or a dead endpoint.

    client = LLMClient(resolve_settings(LLMSettings(...)))
    result = await client.structured(template.render(text=t), MySchema, stage="extract", template=template)
    results = client.run([LLMRequest(...), ...])        # sync, in input order, with a progress bar
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

import wildlong.llm.structured as so
from wildlong.errors import ConfigError, LLMError
from wildlong.llm.accounting import Accounting, PriceTable
from wildlong.llm.attempts import Attempts
from wildlong.llm.batch import run_batch
from wildlong.llm.budget import Budget
from wildlong.llm.cache import ResponseCache
from wildlong.llm.caching import CachedCalls
from wildlong.llm.calls import LLMRequest, LLMResult
from wildlong.llm.concurrency import AdaptiveLimiter
from wildlong.llm.prompts import ChatMessage, PromptTemplate
from wildlong.llm.replies import Fetched, structured_result, text_result
from wildlong.llm.settings import LLMSettings
from wildlong.llm.tokens import Estimate, count_messages, count_text
from wildlong.llm.transport import Transport

if TYPE_CHECKING:
    from wildlong.llm.interface import LLM

M = TypeVar("M", bound=BaseModel)
# Replies that get the one repair; a reply cut off at max_tokens ("truncated") is final: cached, rejected.
REPAIRABLE = frozenset({"invalid_json", "schema_mismatch", "empty"})
# one structured call as the cache layer takes it: stage, messages, parameters, response_format, versions
_Call = tuple[str, list[ChatMessage], dict[str, Any], dict[str, Any] | None, list[str]]


class LLMClient:
    """Chat completions against one OpenAI-compatible endpoint and model (see the module docstring)."""

    def __init__(
        self, settings: LLMSettings, *, prices: PriceTable | None = None, rng: random.Random | None = None
    ) -> None:
        self.settings = settings
        self.model = settings.model or ""
        self.accounting = Accounting(
            prices or PriceTable.load(settings.prices_path), max_cost=settings.max_cost
        )
        if settings.max_cost is not None and self.accounting.prices.price_for(self.model) is None:
            raise ConfigError(
                f"--max-cost needs a price for model {self.model!r}", hint="add it with --prices FILE"
            )
        cache_path = settings.resolved_cache_path()
        self.cache = ResponseCache(cache_path) if cache_path is not None else None
        self.limiter = AdaptiveLimiter(settings.max_concurrency, adaptive=settings.adaptive)
        self.budget_exceeded = False
        self._transport = Transport(settings, self.model)
        attempts = Attempts(self._transport, self.limiter, self.accounting, settings, rng or random.Random())
        self._calls = CachedCalls(Budget(attempts, self.accounting, settings), self.cache, self.accounting)
        self._mode = 0  # index into structured.MODES; moves on when the server refuses a response_format
        self._repair = PromptTemplate.from_package("wildlong.llm", "repair")
        self._instructions = PromptTemplate.from_package("wildlong.llm", "json_instructions")

    # --- single calls ---------------------------------------------------------------------------------------
    async def complete(
        self,
        messages: list[ChatMessage],
        *,
        stage: str = "default",
        template: PromptTemplate | None = None,
        **params: Any,
    ) -> LLMResult[str]:
        """A plain chat completion; ``value`` is the reply text."""
        versions = [template.version] if template else []
        fetched = await self._calls.fetch(stage, messages, self._params(params), None, versions)
        result: LLMResult[str] = text_result(fetched)
        self.accounting.record_outcome(stage, self.model, result.reason)
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
        """A reply validated against ``schema``; invalid: one repair quoting the error, then a failure."""
        merged = self._params(params)
        base_versions = [template.version] if template else []
        while True:
            mode = so.MODES[self._mode]
            first, response_format, versions = self._prepare(messages, schema, mode, base_versions)
            fetched = await self._calls.fetch(stage, first, merged, response_format, versions)
            if fetched.failure and so.format_unsupported(fetched.failure) and mode != so.MODES[-1]:
                self._mode = max(self._mode, so.MODES.index(mode) + 1)
                continue
            break
        result: LLMResult[M] = structured_result(fetched, schema)
        if fetched.reply is not None and not result.ok and result.reason in REPAIRABLE:
            call = (stage, first, merged, response_format, versions)
            result = await self._repaired(call, schema, fetched, result)
        self.accounting.record_outcome(stage, self.model, result.reason)
        return result

    async def submit(self, request: LLMRequest) -> LLMResult[Any]:
        """``structured`` when the request has a schema, else ``complete``."""
        if request.schema is not None:
            return await self.structured(
                request.messages,
                request.schema,
                stage=request.stage,
                template=request.template,
                **request.params,
            )
        return await self.complete(
            request.messages, stage=request.stage, template=request.template, **request.params
        )

    # --- batches, estimates, closing ------------------------------------------------------------------------
    def run(
        self, requests: Sequence[LLMRequest], *, progress: bool | None = None, desc: str = "LLM"
    ) -> list[LLMResult[Any]]:
        """Run a batch from synchronous code; results in input order (see :func:`batch.run_batch`)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise LLMError(
                "LLMClient.run() was called inside an event loop", hint="await batch.run_batch() there"
            )

        async def main() -> list[LLMResult[Any]]:
            try:
                return await run_batch(self, requests, progress=progress, desc=desc)
            finally:
                await self.aclose()

        return asyncio.run(main())

    def estimate(self, requests: Sequence[LLMRequest]) -> Estimate:
        """The dry-run: calls to send (cached ones are free), input tokens counted exactly, output guessed."""
        estimate = Estimate()
        for request in requests:
            self._estimate_one(estimate, request)
        return estimate

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop's client."""
        await self._transport.aclose()

    def close(self) -> None:
        """Close the cache (call once the client is no longer used)."""
        self._calls.close()

    # --- helpers --------------------------------------------------------------------------------------------
    async def _repaired(
        self, call: _Call, schema: type[M], fetched: Fetched, result: LLMResult[M]
    ) -> LLMResult[M]:
        """The one repair: the invalid reply and its error go back to the model, the totals add up."""
        assert fetched.reply is not None
        stage, first, params, response_format, versions = call
        repair = [
            *first,
            {"role": "assistant", "content": fetched.reply.content},
            *self._repair.render(error=result.detail),
        ]
        again = await self._calls.fetch(
            stage, repair, params, response_format, [*versions, self._repair.version]
        )
        second: LLMResult[M] = structured_result(again, schema)
        if second.reason in REPAIRABLE:  # unusable after the repair: neither reply is served again
            self._calls.reject(self._calls.key(first, params, response_format, versions), str(second.reason))
            repair_versions = [*versions, self._repair.version]
            self._calls.reject(self._calls.key(repair, params, response_format, repair_versions), "repair")
        second.attempts += result.attempts
        second.input_tokens += result.input_tokens
        second.output_tokens += result.output_tokens
        second.cached = second.cached and result.cached
        if not second.ok and again.failure is None:
            second.detail = f"after one repair: {second.detail}"
        return second

    def _estimate_one(self, estimate: Estimate, request: LLMRequest) -> None:
        params = self._params(dict(request.params))
        row = estimate.row(request.stage, self.model)
        versions = [request.template.version] if request.template else []
        messages, response_format = request.messages, None
        if request.schema is not None:
            mode = so.MODES[self._mode]
            messages, response_format, versions = self._prepare(messages, request.schema, mode, versions)
        if self._calls.has(self._calls.key(messages, params, response_format, versions)):
            row.cached += 1
            return
        row.calls += 1
        tokens_in = count_messages(messages, self.model)
        if request.schema is not None and (response_format or {}).get("type") == "json_schema":
            tokens_in += count_text(so.schema_text(request.schema), self.model)
        output_each = self.settings.expected_output_tokens
        tokens_out = output_each if output_each is not None else int(params.get("max_tokens") or 512)
        row.input_tokens += tokens_in
        row.output_tokens += tokens_out
        cost = self.accounting.prices.cost(self.model, tokens_in, tokens_out)
        row.cost_usd = None if cost is None or row.cost_usd is None else row.cost_usd + cost

    def _params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        params.update(overrides)
        return {key: value for key, value in params.items() if value is not None}

    def _prepare(
        self, messages: list[ChatMessage], schema: type[BaseModel], mode: str, versions: list[str]
    ) -> tuple[list[ChatMessage], dict[str, Any] | None, list[str]]:
        """The messages, response_format and template versions of a structured call in ``mode``."""
        if mode == "json_schema":
            return list(messages), so.response_format(schema, mode), versions
        instruction = self._instructions.render(schema=so.schema_text(schema))[0]["content"]
        prepared = [dict(message) for message in messages]
        if prepared and prepared[0].get("role") == "system":
            prepared[0]["content"] = f"{prepared[0]['content']}\n\n{instruction}"
        else:
            prepared.insert(0, {"role": "system", "content": instruction})
        return prepared, so.response_format(schema, mode), [*versions, self._instructions.version]


if TYPE_CHECKING:  # mypy checks here that the class implements the one interface
    _implements: type[LLM] = LLMClient
