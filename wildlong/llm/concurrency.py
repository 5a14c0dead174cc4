"""Bounded, adaptive concurrency (AIMD) with a shared pause for ``Retry-After``.

The limiter only counts requests on the wire: time spent waiting here is not part of a request's timeout.

Adaptive mode, for servers that never answer 429 (a self-hosted vLLM or llama.cpp just gets slower):
  - slow start: from ``initial`` slots (default: 4), +1 per success (doubling per
    round trip) until the first sign of congestion;
  - additive increase: then +1/limit per success (+1 per round trip), only while the slots are in use;
  - multiplicative decrease: x0.5 on an overload error (429, 5xx, timeout), x0.9 when the smoothed latency
    per unit of work exceeds ``latency_tolerance`` times the baseline; at most one decrease per smoothed
    round trip, so one burst of errors halves the limit once.
Latency is compared per unit of *work* (the caller passes e.g. output tokens + input tokens / 50), because an
LLM's latency follows the length of its reply far more than the load: a 1,000-token answer is not a sign of
congestion. The baseline is the lowest latency per unit seen, allowed to drift up by x2 per 10 minutes so a
server that became permanently slower is not punished forever.
The limit stays within [1, max_concurrency]. Non-adaptive mode is a plain semaphore of ``max_concurrency``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

BASELINE_DOUBLING_S = 600.0


class AdaptiveLimiter:
    """Slots for requests in flight; ``pause(s)`` holds every new request back for ``s`` seconds."""

    def __init__(
        self,
        max_concurrency: int,
        *,
        adaptive: bool = True,
        initial: int | None = None,
        latency_tolerance: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.max_concurrency = max_concurrency
        self.adaptive = adaptive
        start = initial if initial is not None else min(4, max_concurrency)
        self.limit: float = float(max(1, min(start, max_concurrency))) if adaptive else float(max_concurrency)
        self.latency_tolerance = latency_tolerance
        self.in_flight = 0
        self.max_in_flight_seen = 0
        self.slow_start = adaptive
        self.decreases = 0
        self._clock = clock
        self._baseline = math.inf
        self._baseline_at = clock()
        self._smoothed: float | None = None  # latency per unit of work
        self._rtt: float | None = None  # latency
        self._next_decrease_at = 0.0
        self._pause_until = 0.0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def current(self) -> int:
        """The number of requests allowed in flight now."""
        return max(1, min(self.max_concurrency, int(self.limit)))

    # --- slots -------------------------------------------------------------------------------------------
    async def acquire(self) -> None:
        await self._wait_pause()
        if self.in_flight < self.current and not self._waiters:
            self._take()
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(future)
            try:
                await future  # the releasing request hands its slot over (``_take`` already done)
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self.release()
                else:
                    self._waiters.remove(future)
                raise
        try:
            await self._wait_pause()  # a 429 may have paused everyone while this request waited
        except asyncio.CancelledError:
            self.release()
            raise

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    def pause(self, seconds: float) -> None:
        """No request starts before ``seconds`` from now (a server's ``Retry-After``)."""
        self._pause_until = max(self._pause_until, self._clock() + seconds)

    # --- feedback ----------------------------------------------------------------------------------------
    def on_success(self, latency_s: float, work: float = 1.0) -> None:
        """A reply arrived after ``latency_s`` for ``work`` units (call it before releasing the slot)."""
        if not self.adaptive:
            return
        now = self._clock()
        per_unit = latency_s / max(work, 1e-9)
        drift = 2 ** ((now - self._baseline_at) / BASELINE_DOUBLING_S)
        self._baseline, self._baseline_at = min(self._baseline * drift, per_unit), now
        self._smoothed = per_unit if self._smoothed is None else 0.9 * self._smoothed + 0.1 * per_unit
        self._rtt = latency_s if self._rtt is None else 0.9 * self._rtt + 0.1 * latency_s
        if self._smoothed > self.latency_tolerance * self._baseline:
            self._decrease(0.9)
        elif self._waiters or self.in_flight >= self.current:  # grow only while every slot is in use
            self.limit = min(
                float(self.max_concurrency), self.limit + (1.0 if self.slow_start else 1 / self.limit)
            )
            self._wake()

    def on_overload(self) -> None:
        """An error that means "too much": 429, 5xx, a timeout."""
        if self.adaptive:
            self._decrease(0.5)

    def _decrease(self, factor: float) -> None:
        self.slow_start = False
        now = self._clock()
        if now < self._next_decrease_at:
            return
        self.limit = max(1.0, self.limit * factor)
        self.decreases += 1
        self._next_decrease_at = now + max(self._rtt or 0.0, 0.05)

    # --- internals ---------------------------------------------------------------------------------------
    def _take(self) -> None:
        self.in_flight += 1
        self.max_in_flight_seen = max(self.max_in_flight_seen, self.in_flight)

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.current:
            future = self._waiters.popleft()
            if not future.done():
                self._take()
                future.set_result(None)

    async def _wait_pause(self) -> None:
        while (delay := self._pause_until - self._clock()) > 0:
            await asyncio.sleep(delay)
