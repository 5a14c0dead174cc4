"""TEST DOUBLE: deterministic replies for the synthesis stages, served by the scripted OpenAI server.

Not a model. It reads each request the way the stage's prompt is written and answers with text derived
from the request only (so a rerun gets the same reply): extraction JSON from the query's words, an
instruction listing the walk's aspects, a rewrite that keeps the request, answers quoting the documents.
Markers in the text steer rejections: SKIPME (rewrite says skip), REFUSEME (answer refuses),
SHORTME (answer too short), OFFTOPICME (answer not grounded), EMPTYME (empty answer).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from tests.doubles.scripted_content import default_content, schema_instance

WORDS = re.compile(r"[A-Za-z]{4,}")


def _all_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))


def _pick(words: list[str], salt: str, k: int) -> list[str]:
    if not words:
        return []
    ranked = sorted(set(words), key=lambda w: hashlib.sha1(f"{salt}:{w}".encode()).hexdigest())
    return ranked[:k]


def _structured(body: dict[str, Any], text: str) -> str:
    schema = body["response_format"]["json_schema"]["schema"]
    props = schema.get("properties", {})
    if "skip" in props:
        if "SKIPME" in text:
            return json.dumps({"skip": True, "instruction": ""})
        match = re.search(r"Original request: (.*)", text)
        original = match.group(1).strip() if match else "Summarize the document."
        return json.dumps({"skip": False, "instruction": f"{original} Focus on what the document says."})
    value = schema_instance(schema, schema.get("$defs", {}))
    words = [w.lower() for w in WORDS.findall(text.split("\n", 2)[-1])][:400]
    if isinstance(value, dict):
        for name, spec in props.items():
            if (spec.get("type") == "array" or "items" in spec) and isinstance(value.get(name), list):
                # two values per field from a small vocabulary, so that values repeat across queries
                vocab = _pick(words, name, 6)
                value[name] = [f"{name.split('_')[0]} {w}" for w in vocab[:2]]
    return json.dumps(value)


def synth_responder(body: dict[str, Any]) -> str:
    """The reply for one chat request (plugged into ``ScriptedOpenAIServer(responder=...)``)."""
    text = _all_text(body)
    if (body.get("response_format") or {}).get("type") == "json_schema":
        return _structured(body, text)
    if "Their request combines all of these aspects" in text:
        aspects = re.findall(r"^- (.*)$", text, re.MULTILINE)
        return "Using the document, " + "; ".join(aspects) + "."
    if "Write short notes with the facts" in text:
        chunk = text.split(":\n\n", 1)[-1]
        return " ".join(chunk.split()[:30])
    if "Notes taken from the documents" in text:
        notes = text.split("part by part:", 1)[-1]
        return "From the notes: " + " ".join(notes.split()[:40])
    if "=== Document" in text:
        if "EMPTYME" in text:
            return ""
        if "REFUSEME" in text:
            return "I'm sorry, but I cannot help with that request."
        if "SHORTME" in text:
            return "Yes."
        if "OFFTOPICME" in text:
            return "Quantum chromodynamics predicts gluon confinement in hadronic matter beyond doubt."
        body_text = text.split("===\n", 1)[-1]
        return "According to the document: " + " ".join(body_text.split()[:40])
    return default_content(body)
