"""Every gate on one chat record: ``audit_record(messages, config)`` -> the reasons (empty = ok)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from wildlong.synth.gates.config import GateConfig
from wildlong.synth.gates.form import WORD, repetition, truncated
from wildlong.synth.gates.grounding import echo, ungrounded_numbers, verbatim_copy, wrong_language
from wildlong.synth.gates.leaks import prompt_leak, refusal

_END_OF_DOCUMENT = re.compile(r"^=== End of document(?: \d+)? ===[ \t]*$", re.MULTILINE)
_DOCUMENT_HEADER = re.compile(r"^=== Document\b.*===[ \t]*$", re.MULTILINE)


def split_user_turn(content: str) -> tuple[str, str]:
    """(documents, instruction) of a user turn.

    Ours (``render_documents``): the documents between ``=== Document … ===`` and ``=== End of document
    … ===`` lines, the instruction after the last end line. Anything else: the last paragraph is the
    instruction, the rest the documents.
    """
    ends = list(_END_OF_DOCUMENT.finditer(content))
    if ends and _DOCUMENT_HEADER.search(content):
        cut = ends[-1].end()
        documents = _DOCUMENT_HEADER.sub("", _END_OF_DOCUMENT.sub("", content[:cut]))
        return documents.strip(), content[cut:].strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", content.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return "", content.strip()
    return "\n\n".join(paragraphs[:-1]), paragraphs[-1].strip()


def turns(messages: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """(the last user turn before the last assistant turn, the last assistant turn); "" when missing."""
    user = answer = ""
    for message in messages:
        role, content = message.get("role"), message.get("content")
        text = content if isinstance(content, str) else ""
        if role == "user":
            user, answer = text, ""
        elif role == "assistant":
            answer = text
    return user, answer


def audit_record(
    messages: Sequence[Mapping[str, Any]], config: GateConfig, documents_text: str | None = None
) -> list[str]:
    """``gate: why`` for every gate the record fails, in the gates' order; empty when it passes.

    The user turn holds the documents then the instruction (see :func:`split_user_turn`);
    ``documents_text`` replaces the documents read from it. The instruction is checked for a prompt leak
    too (it was written by a model from our templates). Without documents, numbers are not judged.
    """
    user, answer = turns(messages)
    documents, instruction = split_user_turn(user)
    if documents_text is not None:
        documents = documents_text
    off = set(config.disabled)
    checks = {
        "truncated": lambda: truncated(answer, config, WORD.findall(documents)),
        "repetition": lambda: repetition(answer, config),
        "prompt_leak": lambda: (
            prompt_leak(answer, config)
            or (f"instruction {why}" if (why := prompt_leak(instruction, config)) else None)
        ),
        "refusal": lambda: refusal(answer),
        "echo": lambda: echo(answer, instruction, config),
        "verbatim_copy": lambda: verbatim_copy(answer, documents, config),
        "wrong_language": lambda: wrong_language(answer, instruction, documents, config),
        "ungrounded_numbers": lambda: (
            documents.strip() and ungrounded_numbers(answer, f"{documents}\n{instruction}", config)
        ),
    }
    if not answer.strip():
        return ["truncated: no answer"] if "truncated" not in off else []
    return [f"{name}: {why}" for name, check in checks.items() if name not in off and (why := check())]
