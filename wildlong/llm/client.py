"""The one LLM interface: every stage's calls go through :class:`LLMClient` over ``openai.AsyncOpenAI``.

One place owns bounded/adaptive concurrency, retries (backoff with jitter, ``Retry-After``), the per-request
timeout (slot waits excluded), structured output with one repair, the persistent cache, accounting and the
``max_cost`` budget. A bad record comes back as ``LLMResult(ok=False, reason=...)``; only what stops every
record raises: :class:`BudgetExceeded`, and :class:`LLMError` for a wrong key/model/URL or a dead endpoint.

    client = LLMClient(resolve_settings(LLMSettings(...)))
    result = await client.structured(template.render(text=t), MySchema, stage="extract", template=template)
    results = client.run([LLMRequest(...), ...])        # sync, in input order, with a progress bar
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

import openai
from pydantic import BaseModel

from wildlong.errors import ConfigError, LLMError
from wildlong.llm import structured as so
from wildlong.llm.accounting import Accounting, PriceTable
from wildlong.llm.cache import ResponseCache, cache_key
from wildlong.llm.calls import LLMRequest, LLMResult, RawReply
from wildlong.llm.concurrency import AdaptiveLimiter
from wildlong.llm.prompts import ChatMessage, PromptTemplate
from wildlong.llm.replies import Fetched, failure_hint, raw_reply, structured_result, text_result
from wildlong.llm.retry import Failure, classify, retry_delay
from wildlong.llm.settings import LLMSettings
from wildlong.llm.tokens import Estimate, count_messages, count_text

M = TypeVar("M", bound=BaseModel)
DEAD_ENDPOINT_RECORDS = 3  # records failed for "connection" in a row before the run stops
PREFILL_SPEEDUP = 50  # an input token costs about 1/50 of an output token's time (for the latency signal)


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
        self._mode = 0  # index into structured.MODES; moves on when the server refuses a response_format
        self._rng = rng or random.Random()
        self._repair = PromptTemplate.from_package("wildlong.llm", "repair")
        self._instructions = PromptTemplate.from_package("wildlong.llm", "json_instructions")
        self._openai: tuple[asyncio.AbstractEventLoop, list[openai.AsyncOpenAI]] | None = None
        self._inflight: list[int] = []
        self._turn = 0
        self._dead_records = 0
        self._successes = 0
        self._pending: dict[str, asyncio.Future[Fetched | None]] = {}

    # --- public API -----------------------------------------------------------------------------------------
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
        fetched = await self._fetch(stage, messages, self._params(params), None, versions)
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
            fetched = await self._fetch(stage, first, merged, response_format, versions)
            if fetched.failure and so.format_unsupported(fetched.failure) and mode != so.MODES[-1]:
                self._mode = max(self._mode, so.MODES.index(mode) + 1)
                continue
            break
        result: LLMResult[M] = structured_result(fetched, schema)
        if fetched.reply is not None and not result.ok:
            repair = [
                *first,
                {"role": "assistant", "content": fetched.reply.content},
                *self._repair.render(error=result.detail),
            ]
            again = await self._fetch(
                stage, repair, merged, response_format, [*versions, self._repair.version]
            )
            second: LLMResult[M] = structured_result(again, schema)
            second.attempts += result.attempts
            second.input_tokens += result.input_tokens
            second.output_tokens += result.output_tokens
            second.cached = second.cached and result.cached
            if not second.ok and again.failure is None:
                second.detail = f"after one repair: {second.detail}"
            result = second
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

    def run(
        self, requests: Sequence[LLMRequest], *, progress: bool | None = None, desc: str = "LLM"
    ) -> list[LLMResult[Any]]:
        """Run a batch from synchronous code; results in input order (see :func:`batch.run_batch`)."""
        from wildlong.llm.batch import run_batch

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
        output_each = self.settings.expected_output_tokens
        for request in requests:
            params = self._params(dict(request.params))
            row = estimate.row(request.stage, self.model)
            versions = [request.template.version] if request.template else []
            messages, response_format = request.messages, None
            if request.schema is not None:
                mode = so.MODES[self._mode]
                messages, response_format, versions = self._prepare(messages, request.schema, mode, versions)
            if (
                self.cache is not None
                and self._key(messages, params, response_format, versions) in self.cache
            ):
                row.cached += 1
                continue
            row.calls += 1
            tokens_in = count_messages(messages, self.model)
            if response_format is not None and response_format.get("type") == "json_schema":
                tokens_in += count_text(so.schema_text(request.schema), self.model)  # type: ignore[arg-type]
            tokens_out = output_each if output_each is not None else int(params.get("max_tokens") or 512)
            row.input_tokens += tokens_in
            row.output_tokens += tokens_out
            cost = self.accounting.prices.cost(self.model, tokens_in, tokens_out)
            row.cost_usd = None if cost is None or row.cost_usd is None else row.cost_usd + cost
        return estimate

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop's client."""
        if self._openai is not None:
            _, clients = self._openai
            self._openai = None
            for client in clients:
                await client.close()

    def close(self) -> None:
        """Close the cache (call once the client is no longer used)."""
        if self.cache is not None:
            self.cache.close()

    # --- one logical call: cache, budget, attempts ----------------------------------------------------------
    async def _fetch(
        self,
        stage: str,
        messages: list[ChatMessage],
        params: dict[str, Any],
        response_format: dict[str, Any] | None,
        versions: list[str],
    ) -> Fetched:
        key = self._key(messages, params, response_format, versions)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.accounting.stats(stage, self.model).cache_hits += 1
                return Fetched(hit, None, True, 0)
        pending = self._pending.get(key)
        if pending is not None:  # the same call is in flight: share its reply instead of paying twice
            shared = await asyncio.shield(pending)
            if shared is None:  # it raised (budget, fatal error): try on our own
                return await self._fetch(stage, messages, params, response_format, versions)
            self.accounting.stats(stage, self.model).cache_hits += 1
            return Fetched(shared.reply, shared.failure, True, 0)
        self._pending[key] = future = asyncio.get_running_loop().create_future()
        fetched: Fetched | None = None
        try:
            fetched = await self._send(stage, key, messages, params, response_format, versions)
            return fetched
        finally:
            del self._pending[key]
            future.set_result(fetched)

    async def _send(
        self,
        stage: str,
        key: str,
        messages: list[ChatMessage],
        params: dict[str, Any],
        response_format: dict[str, Any] | None,
        versions: list[str],
    ) -> Fetched:
        reserved = 0.0
        if self.settings.max_cost is not None:
            worst_out = int(params.get("max_tokens") or self.settings.expected_output_tokens or 1024)
            reserved = self.accounting.reserve(self.model, count_messages(messages, self.model), worst_out)
        try:
            reply, failure, attempts = await self._attempts(stage, messages, params, response_format)
        finally:
            self.accounting.settle(reserved)
        if reply is not None:
            self.accounting.record_response(stage, self.model, reply.input_tokens, reply.output_tokens)
            if self.cache is not None:
                self.cache.put(key, reply, stage=stage, templates=versions)
        return Fetched(reply, failure, False, attempts)

    async def _attempts(
        self,
        stage: str,
        messages: list[ChatMessage],
        params: dict[str, Any],
        response_format: dict[str, Any] | None,
    ) -> tuple[RawReply | None, Failure | None, int]:
        stats = self.accounting.stats(stage, self.model)
        self._clients()  # a configuration error surfaces here, not as a failed attempt
        failure: Failure | None = None
        attempt = 0
        for attempt in range(1, self.settings.max_retries + 2):
            await self.limiter.acquire()
            stats.requests += 1
            started = time.monotonic()
            try:
                response = await self._create(messages, params, response_format)
                reply = raw_reply(response, self.model, messages)
                work = 1 + reply.output_tokens + reply.input_tokens / PREFILL_SPEEDUP
                self.limiter.on_success(time.monotonic() - started, work)
                self._successes += 1
                self._dead_records = 0
                return reply, None, attempt
            except Exception as exc:  # classified below; CancelledError is a BaseException and passes
                failure = classify(exc)
                if failure.overload:
                    self.limiter.on_overload()
                if failure.retry_after is not None:
                    self.limiter.pause(failure.retry_after)
            finally:
                self.limiter.release()
            if failure.fatal:
                raise LLMError(
                    f"{self.settings.base_url} refused the request: {failure.detail}",
                    hint=failure_hint(failure),
                )
            if not failure.retryable or attempt > self.settings.max_retries:
                break
            stats.retries[failure.reason] += 1
            s = self.settings
            await asyncio.sleep(
                retry_delay(
                    failure, attempt - 1, base_s=s.backoff_base_s, cap_s=s.backoff_cap_s, rng=self._rng
                )
            )
        if failure is not None and failure.reason == "connection":
            self._dead_records += 1
            if self._successes == 0 or self._dead_records >= DEAD_ENDPOINT_RECORDS:
                raise LLMError(
                    f"cannot reach the LLM at {self.settings.base_url}: {failure.detail}",
                    hint=failure_hint(failure),
                )
        return None, failure, attempt

    async def _create(
        self, messages: list[ChatMessage], params: dict[str, Any], response_format: dict[str, Any] | None
    ) -> dict[str, Any]:
        """POST /chat/completions through the OpenAI client (its transport, auth, errors) with a body built
        here: the typed ``chat.completions.create`` re-validates every parameter, a third of our CPU per call.
        Parameters the server may not know (``top_k``, ``min_p``...) go into the body as they are."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, **params}
        if response_format is not None:
            body["response_format"] = response_format
        timeout = self.settings.request_timeout_s
        clients = self._clients()
        # Several replicas: the one with the fewest requests in flight (ties go round the ring).
        self._turn += 1
        pick = min(range(len(clients)), key=lambda i: (self._inflight[i], (i - self._turn) % len(clients)))
        self._inflight[pick] += 1
        try:
            async with asyncio.timeout(timeout):  # a total deadline: httpx's read timeout is per chunk
                reply = await clients[pick].post(
                    "/chat/completions", cast_to=cast(Any, dict), body=body, options={"timeout": timeout}
                )
        finally:
            self._inflight[pick] -= 1
        if not isinstance(reply, dict):
            raise ValueError(f"the reply is not a JSON object: {str(reply)[:100]}")
        return reply

    def _clients(self) -> list[openai.AsyncOpenAI]:
        """One OpenAI client per endpoint (``base_url`` then ``replicas``), made for the running loop."""
        loop = asyncio.get_running_loop()
        if self._openai is None or self._openai[0] is not loop:
            if not self.settings.base_url or self.settings.is_embedded:
                raise ConfigError(
                    "the LLM endpoint is not resolved", hint="pass the settings through resolve_settings()"
                )
            clients = [
                openai.AsyncOpenAI(
                    base_url=url,
                    api_key=self.settings.key() or "EMPTY",
                    max_retries=0,  # retries are ours: they honour Retry-After and feed the limiter
                    timeout=self.settings.request_timeout_s,
                )
                for url in self.settings.endpoints()
            ]
            self._openai = (loop, clients)
            self._inflight = [0] * len(clients)
        return self._openai[1]

    # --- helpers --------------------------------------------------------------------------------------------
    def _params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        params.update(overrides)
        return {key: value for key, value in params.items() if value is not None}

    def _key(
        self,
        messages: list[ChatMessage],
        params: Mapping[str, Any],
        response_format: Mapping[str, Any] | None,
        versions: list[str],
    ) -> str:
        return cache_key(
            model=self.model,
            messages=messages,
            params=params,
            response_format=response_format,
            template_versions=versions,
        )

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
