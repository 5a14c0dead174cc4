"""What a stage hands the client (``LLMRequest``) and what it gets back (``LLMResult``).

A result is never an exception: a record that failed (invalid JSON after the repair, retries exhausted,
a timeout...) comes back with ``ok=False`` and a ``reason`` from :data:`FAILURE_REASONS`. Stages count a
reply that failed a gate as a drop, and a request that never got an answer (:data:`UNANSWERED`,
``result.unanswered``) as unanswered: the stage is then not complete and resume sends it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from wildlong.llm.prompts import ChatMessage, PromptTemplate

T = TypeVar("T")

# Why a record failed (the keys of the accounting's failures).
FAILURE_REASONS = (
    "invalid_json",  # the reply (after one repair) is not JSON
    "schema_mismatch",  # JSON, but not valid for the schema
    "truncated",  # the reply hit max_tokens (finish_reason=length) and did not parse
    "empty",  # no content in the reply
    "content_filter",  # the server refused the content
    "timeout",  # every attempt ran past request_timeout_s
    "rate_limited",  # 429 on every attempt
    "server_error",  # 5xx on every attempt
    "connection",  # the endpoint could not be reached on every attempt
    "bad_request",  # 400/422: this request is wrong (too long for the context...)
    "budget_exceeded",  # not sent: --max-cost reached (not counted as a failure)
)
# The reasons that mean "no answer came" (the request is sent again on resume), not "the answer was bad".
UNANSWERED = frozenset({"timeout", "rate_limited", "server_error", "connection", "budget_exceeded"})


@dataclass(frozen=True)
class LLMRequest:
    """One chat completion to make.

    ``stage`` names the accounting bucket; ``template`` (whose content version joins the cache key) is the
    prompt the messages were rendered from; ``schema`` asks for structured output; ``params`` override the
    settings' ``temperature``/``max_tokens`` and may add others (``seed``, ``top_p``...).
    """

    messages: list[ChatMessage]
    stage: str = "default"
    template: PromptTemplate | None = None
    schema: type[BaseModel] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class LLMResult(Generic[T]):
    """One request's outcome: ``value`` is the text (``complete``) or the validated model (``structured``)."""

    ok: bool
    value: T | None = None
    text: str = ""
    reason: str | None = None
    detail: str = ""
    cached: bool = False
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 0  # HTTP requests sent for this record (0 when everything came from the cache)

    @property
    def unanswered(self) -> bool:
        """True when the request never got an answer (outage, rate limit, timeout, budget): not a drop."""
        return not self.ok and self.reason in UNANSWERED

    @classmethod
    def failed(cls, reason: str, detail: str = "", **extra: Any) -> LLMResult[T]:
        assert reason in FAILURE_REASONS, reason
        return cls(ok=False, reason=reason, detail=detail[:500], **extra)


@dataclass(frozen=True)
class RawReply:
    """A server reply as stored in the cache: enough to rebuild a result, nothing more."""

    content: str
    finish_reason: str | None
    input_tokens: int
    output_tokens: int
    model: str

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "finish_reason": self.finish_reason,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "model": self.model,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RawReply:
        return cls(
            content=str(data.get("content") or ""),
            finish_reason=data.get("finish_reason"),
            input_tokens=int(data.get("input_tokens") or 0),
            output_tokens=int(data.get("output_tokens") or 0),
            model=str(data.get("model") or ""),
        )
