"""The transport layer: one ``openai.AsyncOpenAI`` per endpoint, one POST per attempt, a total deadline.

``base_url`` and the ``replicas`` are each an endpoint; a request goes to the one with the fewest requests in
flight (ties go round the ring). The clients belong to the event loop that made them: a new loop (the next
``LLMClient.run``) gets new ones. The OpenAI client brings the connection pool, auth and typed errors; its
own retries are off (the attempts layer retries, honouring ``Retry-After`` and feeding the limiter).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import openai

from wildlong.errors import ConfigError
from wildlong.llm.prompts import ChatMessage
from wildlong.llm.settings import LLMSettings


class Transport:
    """POST ``/chat/completions`` to the least busy endpoint of ``settings``."""

    def __init__(self, settings: LLMSettings, model: str) -> None:
        self.settings = settings
        self.model = model
        self._openai: tuple[asyncio.AbstractEventLoop, list[openai.AsyncOpenAI]] | None = None
        self._inflight: list[int] = []
        self._turn = 0

    async def post(
        self, messages: list[ChatMessage], params: dict[str, Any], response_format: dict[str, Any] | None
    ) -> dict[str, Any]:
        """POST /chat/completions through the OpenAI client (its transport, auth, errors) with a body built
        here: the typed ``chat.completions.create`` re-validates every parameter, a third of our CPU per call.
        Parameters the server may not know (``top_k``, ``min_p``...) go into the body as they are."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, **params}
        if response_format is not None:
            body["response_format"] = response_format
        timeout = self.settings.request_timeout_s
        clients = self.clients()
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

    def clients(self) -> list[openai.AsyncOpenAI]:
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

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop's clients."""
        if self._openai is not None:
            _, clients = self._openai
            self._openai = None
            for client in clients:
                await client.close()
