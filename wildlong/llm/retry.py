"""What an error from the endpoint means: retry it, slow down, count the record as failed, or stop the run."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

import openai

MAX_RETRY_AFTER_S = 600.0


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified."""

    reason: str  # one of calls.FAILURE_REASONS
    retryable: bool
    overload: bool = False  # tells the limiter to slow down
    fatal: bool = False  # no record can succeed (wrong key, unknown model): stop the run
    retry_after: float | None = None
    status: int | None = None
    detail: str = ""


def classify(exc: BaseException) -> Failure:
    """Map an exception raised by a chat-completion call to a :class:`Failure`."""
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError, openai.APITimeoutError)):
        return Failure("timeout", retryable=True, overload=True, detail="request timed out")
    if isinstance(exc, openai.APIStatusError):
        return _classify_status(exc)
    if isinstance(exc, openai.APIConnectionError):
        return Failure("connection", retryable=True, detail=_detail(exc))
    if isinstance(exc, (openai.APIResponseValidationError, ValueError)):  # JSONDecodeError is a ValueError
        return Failure(
            "server_error", retryable=True, overload=False, detail=f"malformed reply: {_detail(exc)}"
        )
    return Failure("connection", retryable=True, detail=f"{type(exc).__name__}: {_detail(exc)}")


def _classify_status(exc: openai.APIStatusError) -> Failure:
    status = exc.status_code
    detail = f"HTTP {status}: {_detail(exc)}"
    retry_after = parse_retry_after(exc.response.headers)
    if status == 429:
        if getattr(exc, "code", None) == "insufficient_quota":
            return Failure("rate_limited", retryable=False, fatal=True, status=status, detail=detail)
        return Failure(
            "rate_limited", True, overload=True, retry_after=retry_after, status=status, detail=detail
        )
    if status >= 500 or status in (408, 409):
        reason = "timeout" if status == 408 else "server_error"
        return Failure(reason, True, overload=True, retry_after=retry_after, status=status, detail=detail)
    if status in (401, 403, 404):
        return Failure("bad_request", retryable=False, fatal=True, status=status, detail=detail)
    return Failure("bad_request", retryable=False, status=status, detail=detail)


def _detail(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms``, or ``Retry-After`` (seconds or an HTTP date); None if absent/bad."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return _clamp(float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return _clamp(float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return _clamp(moment.timestamp() - time.time())


def _clamp(seconds: float) -> float | None:
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def backoff_delay(attempt: int, *, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half of ``base * 2**attempt`` fixed, half random."""
    ceiling = min(cap_s, base_s * (2**attempt))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def retry_delay(failure: Failure, attempt: int, *, base_s: float, cap_s: float, rng: random.Random) -> float:
    """``Retry-After`` when the server sent one (plus up to 10% jitter, never less), else the backoff."""
    if failure.retry_after is not None:
        return failure.retry_after * (1 + rng.uniform(0, 0.1))
    return backoff_delay(attempt, base_s=base_s, cap_s=cap_s, rng=rng)
