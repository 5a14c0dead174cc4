"""The three conversation formats, read into one shape. Unknown keys are ignored.

- ``wildchat``: WildChat-1M rows — ``conversation_hash, model, turn, language, toxic, redacted,
  conversation: [{role, content, ...}]``.
- ``sharegpt``: ``{id, conversations: [{from: human|gpt|system, value}]}``.
- ``openai``: ``{id?, messages: [{role, content}]}``; ``language``, ``toxic``, ``redacted`` and ``model``
  are also taken from the record or its ``metadata`` object when present (WildChat converted to messages).

A record that does not fit its format raises :class:`FormatProblem` with what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FORMATS = ("wildchat", "sharegpt", "openai")
_KEYS = {"wildchat": "conversation", "sharegpt": "conversations", "openai": "messages"}
_ROLES = {
    "user": "user",
    "human": "user",
    "prompter": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
    "system": "system",
    "developer": "system",
    "tool": "tool",
    "function": "tool",
}


class FormatProblem(ValueError):
    """What is wrong with one record (becomes ``file:line: <message>``)."""


@dataclass(frozen=True)
class Conversation:
    conversation_id: str | None
    turns: tuple[tuple[str, str], ...]  # (user|assistant|system|tool, text)
    language: str | None = None  # as the source labels it ("English", "en"...)
    toxic: bool | None = None
    redacted: bool | None = None
    model: str | None = None

    def first_user_text(self) -> str | None:
        for role, text in self.turns:
            if role == "user":
                return text
        return None

    def user_turns(self) -> int:
        return sum(1 for role, _ in self.turns if role == "user")


def detect_format(data: Any) -> str | None:
    """The format whose list key the record has (None when none does)."""
    if isinstance(data, dict):
        for name, key in _KEYS.items():
            if isinstance(data.get(key), list):
                return name
    return None


def parse(data: Any, fmt: str) -> Conversation:
    """One record of format ``fmt`` as a :class:`Conversation`."""
    if not isinstance(data, dict):
        raise FormatProblem(f"expected a JSON object, got {type(data).__name__}")
    key = _KEYS[fmt]
    items = data.get(key)
    if not isinstance(items, list):
        found = detect_format(data)
        also = f" (it looks like {found}; pass --format {found} or split the file)" if found else ""
        raise FormatProblem(f"no '{key}' list for format {fmt}{also}")
    if fmt == "sharegpt":
        turns = tuple(_turn(item, i, "from", "value") for i, item in enumerate(items))
        return Conversation(_id(data, "id"), turns)
    turns = tuple(_turn(item, i, "role", "content") for i, item in enumerate(items))
    if fmt == "wildchat":
        return Conversation(
            _id(data, "conversation_hash") or _id(data, "id"),
            turns,
            language=_str(data.get("language")),
            toxic=_flag(data.get("toxic"), "toxic"),
            redacted=_flag(data.get("redacted"), "redacted"),
            model=_str(data.get("model")),
        )
    meta_value = data.get("metadata")
    meta: dict[str, Any] = meta_value if isinstance(meta_value, dict) else {}

    def pick(name: str) -> Any:
        return data.get(name, meta.get(name))

    return Conversation(
        _id(data, "id") or _id(data, "conversation_hash"),
        turns,
        language=_str(pick("language")),
        toxic=_flag(pick("toxic"), "toxic"),
        redacted=_flag(pick("redacted"), "redacted"),
        model=_str(pick("model")),
    )


def _turn(item: Any, index: int, role_key: str, text_key: str) -> tuple[str, str]:
    if not isinstance(item, dict):
        raise FormatProblem(f"turn {index}: expected an object, got {type(item).__name__}")
    role = item.get(role_key)
    if not isinstance(role, str):
        raise FormatProblem(f"turn {index}: no '{role_key}'")
    return _ROLES.get(role.strip().lower(), role.strip().lower()), _text(item.get(text_key), index, text_key)


def _text(value: Any, index: int, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # OpenAI content parts
        parts = [p.get("text") for p in value if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(p for p in parts if isinstance(p, str))
    raise FormatProblem(f"turn {index}: '{key}' is a {type(value).__name__}, not text")


def _id(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return None
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _flag(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise FormatProblem(f"'{name}' must be true or false, got {value!r}")
