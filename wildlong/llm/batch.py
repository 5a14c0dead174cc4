"""Run many requests through one client: results in input order, a progress bar, a clean budget stop.

The client is any :class:`~wildlong.llm.interface.LLM` (only ``submit``, ``settings.max_concurrency`` and
``budget_exceeded`` are used). A fixed pool of workers pulls requests in order (memory stays flat for a
million requests); the client's limiter decides how many are on the wire. When ``--max-cost`` is reached
no new request is sent, the ones in flight finish (and are cached), and every request not sent comes back
as ``LLMResult(ok=False, reason="budget_exceeded")``; ``client.budget_exceeded`` is then True. An
:class:`LLMError` (wrong key, dead endpoint) cancels the batch and propagates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from wildlong.errors import BudgetExceeded
from wildlong.llm.calls import LLMRequest, LLMResult
from wildlong.llm.interface import LLM


async def run_batch(
    client: LLM, requests: Sequence[LLMRequest], *, progress: bool | None = None, desc: str = "LLM"
) -> list[LLMResult[Any]]:
    """Submit every request; ``progress=None`` shows a bar only on a terminal."""
    results: list[LLMResult[Any] | None] = [None] * len(requests)
    indices = iter(range(len(requests)))
    bar = tqdm(
        total=len(requests), desc=desc, unit="call", disable=(not progress) if progress is not None else None
    )

    async def worker() -> None:
        for index in indices:
            if client.budget_exceeded:
                results[index] = LLMResult.failed("budget_exceeded", "not sent: --max-cost reached")
                bar.update(1)
                continue
            try:
                results[index] = await client.submit(requests[index])
            except BudgetExceeded as exc:
                client.budget_exceeded = True
                results[index] = LLMResult.failed("budget_exceeded", exc.one_line())
            bar.update(1)

    workers = [
        asyncio.create_task(worker()) for _ in range(min(len(requests), 2 * client.settings.max_concurrency))
    ]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    finally:
        bar.close()
    return [result if result is not None else LLMResult.failed("budget_exceeded") for result in results]
