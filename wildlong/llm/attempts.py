"""The attempts layer: one logical call as up to ``max_retries + 1`` POSTs through the limiter's slots.

Each attempt waits for a slot of the :class:`~wildlong.llm.concurrency.AdaptiveLimiter` (the wait is not
part of the request's timeout), feeds it the latency per unit of work or the overload, and holds every new
request back for a server's ``Retry-After``. A failure is classified (:func:`~wildlong.llm.retry.classify`):
retried with backoff and jitter, returned as the record's failure, or raised as :class:`LLMError` when no
record can succeed (a wrong key, an unknown model, an endpoint that cannot be reached).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from wildlong.errors import LLMError
from wildlong.llm.accounting import Accounting, StageStats
from wildlong.llm.calls import RawReply
from wildlong.llm.concurrency import AdaptiveLimiter
from wildlong.llm.prompts import ChatMessage
from wildlong.llm.replies import failure_hint, raw_reply
from wildlong.llm.retry import Failure, classify, retry_delay
from wildlong.llm.settings import LLMSettings
from wildlong.llm.transport import Transport

DEAD_ENDPOINT_RECORDS = 3  # records failed for "connection" in a row before the run stops
PREFILL_SPEEDUP = 50  # an input token costs about 1/50 of an output token's time (for the latency signal)

Attempted = tuple[RawReply | None, Failure | None, int]  # the reply or the last failure, and the attempts


class Attempts:
    """Retries, backoff and ``Retry-After`` over a :class:`Transport`, bounded by an AdaptiveLimiter."""

    def __init__(
        self,
        transport: Transport,
        limiter: AdaptiveLimiter,
        accounting: Accounting,
        settings: LLMSettings,
        rng: random.Random,
    ) -> None:
        self.transport = transport
        self.limiter = limiter
        self.accounting = accounting
        self.settings = settings
        self.model = transport.model
        self._rng = rng
        self._dead_records = 0
        self._successes = 0

    async def send(
        self,
        stage: str,
        messages: list[ChatMessage],
        params: dict[str, Any],
        response_format: dict[str, Any] | None,
    ) -> Attempted:
        """Attempt until a reply, a failure that is not retried, or the retries are spent."""
        stats = self.accounting.stats(stage, self.model)
        self.transport.clients()  # a configuration error surfaces here, not as a failed attempt
        failure: Failure | None = None
        attempt = 0
        for attempt in range(1, self.settings.max_retries + 2):
            reply, failure = await self._attempt(stats, messages, params, response_format)
            if reply is not None:
                return reply, None, attempt
            assert failure is not None
            if failure.fatal:
                raise LLMError(
                    f"{self.settings.base_url} refused the request: {failure.detail}",
                    hint=failure_hint(failure),
                )
            if not failure.retryable or attempt > self.settings.max_retries:
                break
            stats.retries[failure.reason] += 1
            await asyncio.sleep(self._delay(failure, attempt))
        if failure is not None and failure.reason == "connection":
            self._dead_records += 1
            if self._successes == 0 or self._dead_records >= DEAD_ENDPOINT_RECORDS:
                raise LLMError(
                    f"cannot reach the LLM at {self.settings.base_url}: {failure.detail}",
                    hint=failure_hint(failure),
                )
        return None, failure, attempt

    async def _attempt(
        self,
        stats: StageStats,
        messages: list[ChatMessage],
        params: dict[str, Any],
        response_format: dict[str, Any] | None,
    ) -> tuple[RawReply | None, Failure | None]:
        """One POST in one slot of the limiter, which learns from its latency or its failure."""
        await self.limiter.acquire()
        stats.requests += 1
        started = time.monotonic()
        try:
            response = await self.transport.post(messages, params, response_format)
            reply = raw_reply(response, self.model, messages)
            work = 1 + reply.output_tokens + reply.input_tokens / PREFILL_SPEEDUP
            self.limiter.on_success(time.monotonic() - started, work)
            self._successes += 1
            self._dead_records = 0
            return reply, None
        except Exception as exc:  # classified here; CancelledError is a BaseException and passes
            failure = classify(exc)
            if failure.overload:
                self.limiter.on_overload()
            if failure.retry_after is not None:
                self.limiter.pause(failure.retry_after)
            return None, failure
        finally:
            self.limiter.release()

    def _delay(self, failure: Failure, attempt: int) -> float:
        s = self.settings
        return retry_delay(
            failure, attempt - 1, base_s=s.backoff_base_s, cap_s=s.backoff_cap_s, rng=self._rng
        )
