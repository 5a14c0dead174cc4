"""The AIMD limiter (driven by a fake clock: exact limits) and the retry arithmetic."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from wildlong.llm.concurrency import AdaptiveLimiter
from wildlong.llm.retry import backoff_delay, parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_slow_start_then_halving_once_per_round_trip_then_additive_increase() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(16, adaptive=True, initial=4, clock=clock)

    async def scenario() -> None:
        for _ in range(4):
            await limiter.acquire()
        limiter.on_success(0.1)  # every slot in use: slow start adds one slot per success
        assert limiter.limit == 5.0
        await limiter.acquire()
        limiter.on_success(0.1)
        assert limiter.limit == 6.0 and limiter.current == 6
        limiter.on_overload()  # x0.5, leaves slow start
        assert limiter.limit == 3.0 and not limiter.slow_start
        limiter.on_overload()  # same round trip (smoothed latency 0.1 s): no second cut
        assert limiter.limit == 3.0 and limiter.decreases == 1
        clock.now = 0.2
        limiter.on_overload()
        assert limiter.limit == 1.5 and limiter.decreases == 2
        limiter.on_success(0.1)  # additive: +1/limit
        assert limiter.limit == pytest.approx(1.5 + 1 / 1.5)

    asyncio.run(scenario())


def test_rising_latency_cuts_the_limit_by_a_tenth() -> None:
    """Here one unit of work per reply; the client passes tokens, so long replies are not congestion."""
    clock = FakeClock()
    limiter = AdaptiveLimiter(64, adaptive=True, initial=10, clock=clock)

    async def scenario() -> None:
        for _ in range(10):
            await limiter.acquire()
        limiter.on_success(0.1)  # baseline 0.1 s; the limit grows to 11, above the 10 in flight
        before, decreases = limiter.limit, limiter.decreases
        clock.now = 1.0
        limiter.on_success(
            0.5
        )  # smoothed 0.14 s, then 0.176 s: under 2x the baseline; a free slot: no growth
        limiter.on_success(0.5)
        assert limiter.decreases == decreases and limiter.limit == before
        limiter.on_success(0.5)  # smoothed 0.2084 s > 2 x 0.1 s (x 2**(1/600) of drift after 1 s)
        assert limiter.decreases == decreases + 1
        assert limiter.limit == pytest.approx(before * 0.9)

    asyncio.run(scenario())


def test_fixed_mode_is_a_plain_semaphore() -> None:
    limiter = AdaptiveLimiter(8, adaptive=False)
    limiter.on_overload()
    limiter.on_success(10.0)
    assert limiter.current == 8 and limiter.decreases == 0


def test_waiters_get_slots_in_arrival_order_and_a_cancelled_waiter_leaks_nothing() -> None:
    limiter = AdaptiveLimiter(2, adaptive=False)
    order: list[int] = []

    async def worker(index: int) -> None:
        async with limiter.slot():
            order.append(index)
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        tasks = [asyncio.create_task(worker(i)) for i in range(6)]
        await asyncio.sleep(0)
        doomed = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        doomed.cancel()
        await asyncio.gather(*tasks)
        await asyncio.gather(doomed, return_exceptions=True)
        assert limiter.in_flight == 0 and limiter.max_in_flight_seen == 2

    asyncio.run(scenario())
    assert order == [0, 1, 2, 3, 4, 5]


def test_pause_holds_back_every_new_request() -> None:
    limiter = AdaptiveLimiter(4, adaptive=False)

    async def scenario() -> float:
        limiter.pause(0.3)
        started = time.monotonic()
        async with limiter.slot():
            return time.monotonic() - started

    assert asyncio.run(scenario()) >= 0.3


def test_retry_after_is_read_in_seconds_milliseconds_or_as_a_date() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.5"}) == 0.5
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "-3"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    date = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = parse_retry_after({"retry-after": date})
    assert seconds is not None and 28 <= seconds <= 30


def test_backoff_doubles_with_equal_jitter_up_to_the_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in enumerate([1.0, 2.0, 4.0, 8.0, 10.0, 10.0]):
        delay = backoff_delay(attempt, base_s=1.0, cap_s=10.0, rng=rng)
        assert ceiling / 2 <= delay <= ceiling
