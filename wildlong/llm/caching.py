"""The cache layer: a call already answered comes from the cache; one in flight is shared, not repeated.

The key (:func:`~wildlong.llm.cache.cache_key`) covers the model, messages, parameters, response format and
the prompt versions. A hit, or a share of an identical call that is on the wire right now, counts as a
cache hit and costs nothing; a fresh reply goes through the budget layer and is stored at once (a killed
run loses only what was in flight). Failures are never stored, and a reply the client finds unusable
(unparseable after its repair) is taken out again with :meth:`CachedCalls.reject`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from wildlong.llm.accounting import Accounting
from wildlong.llm.budget import Budget
from wildlong.llm.cache import ResponseCache, cache_key
from wildlong.llm.prompts import ChatMessage
from wildlong.llm.replies import Fetched


class CachedCalls:
    """Lookup, share, else send through ``budget`` and put: one logical call as a :class:`Fetched`."""

    def __init__(self, budget: Budget, cache: ResponseCache | None, accounting: Accounting) -> None:
        self.budget = budget
        self.cache = cache
        self.accounting = accounting
        self.model = budget.model
        self._pending: dict[str, asyncio.Future[Fetched | None]] = {}

    def key(
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

    def has(self, key: str) -> bool:
        """True when the cache holds a reply for ``key`` (the dry-run counts such calls as free)."""
        return self.cache is not None and key in self.cache

    async def fetch(
        self,
        stage: str,
        messages: list[ChatMessage],
        params: dict[str, Any],
        response_format: dict[str, Any] | None,
        versions: list[str],
    ) -> Fetched:
        key = self.key(messages, params, response_format, versions)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.accounting.stats(stage, self.model).cache_hits += 1
                return Fetched(hit, None, True, 0)
        pending = self._pending.get(key)
        if pending is not None:  # the same call is in flight: share its reply instead of paying twice
            shared = await asyncio.shield(pending)
            if shared is None:  # it raised (budget, fatal error): try on our own
                return await self.fetch(stage, messages, params, response_format, versions)
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
        reply, failure, attempts = await self.budget.send(stage, messages, params, response_format)
        if reply is not None and self.cache is not None:
            self.cache.put(key, reply, stage=stage, templates=versions)
        return Fetched(reply, failure, False, attempts)

    def reject(self, key: str, reason: str) -> None:
        """Serve this key's reply no more (it proved unusable): a later call sends it again."""
        if self.cache is not None:
            self.cache.reject(key, reason)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
