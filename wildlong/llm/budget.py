"""The budget layer: a call reserves its worst-case cost before it is sent and settles when it returns.

With ``max_cost`` set, a call books its input tokens plus ``max_tokens`` of output (or the settings'
``expected_output_tokens``, else 1,024) in the :class:`~wildlong.llm.accounting.Accounting` first; a
reservation that would break the budget raises :class:`~wildlong.errors.BudgetExceeded` and nothing is
sent. Concurrent calls therefore never overshoot together. Whatever happens, the reservation is released,
and a reply is recorded at its real cost (tokens as the server counted them). Without ``max_cost`` the
layer only records the replies.
"""

from __future__ import annotations

from typing import Any

from wildlong.llm.accounting import Accounting
from wildlong.llm.attempts import Attempted, Attempts
from wildlong.llm.prompts import ChatMessage
from wildlong.llm.settings import LLMSettings
from wildlong.llm.tokens import count_messages

DEFAULT_WORST_OUTPUT = 1024  # output tokens reserved when neither max_tokens nor a guess is set


class Budget:
    """Reserve, send through the attempts layer, settle and record."""

    def __init__(self, attempts: Attempts, accounting: Accounting, settings: LLMSettings) -> None:
        self.attempts = attempts
        self.accounting = accounting
        self.settings = settings
        self.model = attempts.model

    async def send(
        self,
        stage: str,
        messages: list[ChatMessage],
        params: dict[str, Any],
        response_format: dict[str, Any] | None,
    ) -> Attempted:
        reserved = self.reserve(messages, params)
        try:
            reply, failure, attempts = await self.attempts.send(stage, messages, params, response_format)
        finally:
            self.accounting.settle(reserved)
        if reply is not None:
            self.accounting.record_response(stage, self.model, reply.input_tokens, reply.output_tokens)
        return reply, failure, attempts

    def reserve(self, messages: list[ChatMessage], params: dict[str, Any]) -> float:
        """Book the call's worst case (0 without ``max_cost``); raises ``BudgetExceeded`` past the limit."""
        if self.settings.max_cost is None:
            return 0.0
        worst_out = int(
            params.get("max_tokens") or self.settings.expected_output_tokens or DEFAULT_WORST_OUTPUT
        )
        return self.accounting.reserve(self.model, count_messages(messages, self.model), worst_out)
