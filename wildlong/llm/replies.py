"""From a server reply (fresh, cached or shared) to an :class:`LLMResult`: text, validated model or reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

import wildlong.llm.structured as so
from wildlong.llm.calls import LLMResult, RawReply
from wildlong.llm.prompts import ChatMessage
from wildlong.llm.retry import Failure
from wildlong.llm.tokens import count_messages, count_text

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Fetched:
    """One logical call's outcome: a reply (fresh or cached) or the last failure."""

    reply: RawReply | None
    failure: Failure | None
    cached: bool
    attempts: int


def raw_reply(response: Mapping[str, Any], model: str, messages: list[ChatMessage]) -> RawReply:
    """What we keep of a chat completion (JSON); tokens are counted offline if the server sent no usage."""
    choices = response.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    content = (choice.get("message") or {}).get("content") or ""
    usage = response.get("usage") or {}
    input_tokens = usage.get("prompt_tokens")
    output_tokens = usage.get("completion_tokens")
    return RawReply(
        content=str(content),
        finish_reason=choice.get("finish_reason"),
        input_tokens=int(input_tokens) if input_tokens is not None else count_messages(messages, model),
        output_tokens=int(output_tokens) if output_tokens is not None else count_text(content, model),
        model=model,
    )


def text_result(fetched: Fetched) -> LLMResult[str]:
    if fetched.reply is None:
        assert fetched.failure is not None
        return LLMResult.failed(fetched.failure.reason, fetched.failure.detail, attempts=fetched.attempts)
    reply = fetched.reply
    common = _common(fetched)
    if reply.finish_reason == "content_filter":
        return LLMResult.failed("content_filter", "the server filtered the reply", **common)
    if not reply.content.strip():
        return LLMResult.failed("empty", "the reply was empty", **common)
    if reply.finish_reason == "length":  # a real reply, cut off at max_tokens: the stage rejects it
        return LLMResult.failed("truncated", "the reply hit max_tokens (finish_reason: length)", **common)
    return LLMResult(ok=True, value=reply.content, **common)


def structured_result(fetched: Fetched, schema: type[M]) -> LLMResult[M]:
    if fetched.reply is None:
        assert fetched.failure is not None
        return LLMResult.failed(fetched.failure.reason, fetched.failure.detail, attempts=fetched.attempts)
    common = _common(fetched)
    if fetched.reply.finish_reason == "content_filter":
        return LLMResult.failed("content_filter", "the server filtered the reply", **common)
    value, reason, error = so.parse_reply(fetched.reply.content, fetched.reply.finish_reason, schema)
    if reason is not None:
        return LLMResult.failed(reason, error, **common)
    return LLMResult(ok=True, value=value, **common)


def _common(fetched: Fetched) -> dict[str, Any]:
    assert fetched.reply is not None
    return {
        "text": fetched.reply.content,
        "cached": fetched.cached,
        "finish_reason": fetched.reply.finish_reason,
        "input_tokens": fetched.reply.input_tokens,
        "output_tokens": fetched.reply.output_tokens,
        "attempts": fetched.attempts,
    }


def failure_hint(failure: Failure) -> str:
    """What the user can do about a failure that stops the run."""
    if failure.status in (401, 403):
        return "check the API key (--api-key / OPENAI_API_KEY)"
    if failure.status == 404:
        return "check --base-url and --model (`wildlong llm chat` tries one call)"
    if failure.reason == "connection":
        return "check --base-url, or start the embedded server with `wildlong llm start`"
    return "see the endpoint's documentation"
