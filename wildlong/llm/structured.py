"""Structured output: a pydantic model becomes a ``response_format``; a reply becomes a validated model.

Three modes, tried in this order and remembered per client once the server refuses one:
``json_schema`` (the server constrains decoding to the schema), ``json_object`` (the server only guarantees
JSON; the schema goes into a system message) and ``prompt`` (no response_format at all).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from wildlong.llm.retry import Failure

MODES = ("json_schema", "json_object", "prompt")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form OpenAI's ``strict`` mode accepts.

    Every object gets ``additionalProperties: false`` and lists all its properties as required (pydantic
    still applies defaults when it validates); ``default`` keywords are dropped; a ``$ref`` with sibling
    keywords is inlined.
    """
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    return _strictify(schema, defs)


def _strictify(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strictify(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: value for key, value in node.items() if key != "default"}
    if "$ref" in node and len(node) > 1:
        target = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        node = {**copy.deepcopy(target), **{k: v for k, v in node.items() if k != "$ref"}}
    result = {key: _strictify(value, defs) for key, value in node.items()}
    if result.get("type") == "object" and "properties" in result:
        result["additionalProperties"] = False
        result["required"] = list(result["properties"])
    return result


def response_format(model: type[BaseModel], mode: str) -> dict[str, Any] | None:
    """The ``response_format`` request field for ``mode`` (None in ``prompt`` mode)."""
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": _schema_name(model), "schema": strict_schema(model), "strict": True},
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def schema_text(model: type[BaseModel]) -> str:
    """The schema as compact JSON, for the system message of the ``json_object`` and ``prompt`` modes."""
    return json.dumps(strict_schema(model), ensure_ascii=False, separators=(",", ":"))


def _schema_name(model: type[BaseModel]) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", model.__name__)[:64]


def parse_reply(text: str, finish_reason: str | None, model: type[BaseModel]) -> tuple[Any, str | None, str]:
    """``(value, None, "")`` for a valid reply, else ``(None, reason, error text for the repair prompt)``."""
    if not text.strip():
        return None, ("truncated" if finish_reason == "length" else "empty"), "the reply was empty"
    candidate = _json_candidate(text)
    try:
        data = json.loads(candidate)
    except json.JSONDecodeError as exc:
        reason = "truncated" if finish_reason == "length" else "invalid_json"
        return None, reason, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    try:
        return model.model_validate(data), None, ""
    except ValidationError as exc:
        return None, "schema_mismatch", _validation_text(exc)


def _json_candidate(text: str) -> str:
    """The JSON inside a reply: without a Markdown fence, from the first ``{`` to the last ``}``."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1)
    start, end = stripped.find("{"), stripped.rfind("}")
    if start > 0 and end > start:
        return stripped[start : end + 1]
    return stripped


def _validation_text(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors()[:10]:
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        lines.append(f"{where}: {error['msg']}")
    return "schema validation failed: " + "; ".join(lines)


def format_unsupported(failure: Failure) -> bool:
    """True when a 400/422 says the server does not support the ``response_format`` it was sent."""
    if failure.status not in (400, 422, 501):
        return False
    text = failure.detail.lower()
    return any(word in text for word in ("response_format", "json_schema", "json_object", "response format"))
