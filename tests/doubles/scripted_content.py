"""TEST DOUBLE (part of the scripted OpenAI server): what it answers when no script says otherwise.

``echo: <last user message>`` for plain chats; for a ``response_format`` with a JSON schema, the smallest
instance of that schema; ``{}`` for ``json_object``.
"""

from __future__ import annotations

import json
from typing import Any


def last_user(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


def default_content(body: dict[str, Any]) -> str:
    """``echo: <last user message>``, or the smallest instance of the requested JSON schema."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = response_format["json_schema"]["schema"]
        return json.dumps(schema_instance(schema, schema.get("$defs", {})))
    if response_format.get("type") == "json_object":
        return "{}"
    return f"echo: {last_user(body)}"


def schema_instance(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A minimal value valid for simple JSON schemas (objects, arrays, scalars, enums, anyOf, $ref)."""
    if "$ref" in schema:
        return schema_instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "anyOf" in schema:
        return schema_instance(schema["anyOf"][0], defs)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: schema_instance(properties[name], defs) for name in schema.get("required", properties)}
    if kind == "array":
        return [schema_instance(schema["items"], defs)] * schema.get("minItems", 0)
    return {"string": "x", "integer": 0, "number": 0, "boolean": False, "null": None}.get(kind, "x")
