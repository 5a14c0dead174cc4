"""Gates on what an answer must not say: our prompts (``prompt_leak``) or a refusal (``refusal``)."""

from __future__ import annotations

import functools
import re
from importlib import resources

from wildlong.synth.gates.config import GateConfig

TEMPLATES = ("instruct", "rewrite", "answer", "map_notes", "reduce_answer")
_WORD = re.compile(r"[\w'’]+")
_PLACEHOLDER = re.compile(r"\$\{?\w+\}?")
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n\s*\n")

# "I'm sorry, but I can't ...", "I cannot help with ...", "Unfortunately I am unable to ...", "As an AI ...".
_REFUSALS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bas an ai\b",
        r"\bi(?:'m| am) (?:an? )?(?:ai|language model|large language model)\b",
        r"\b(?:i(?:'m| am)|we(?:'re| are)) sorry,? (?:but )?(?:i|we) (?:can(?:no|')t|cannot"
        r"|am unable|'m unable|won't|will not|am not able|'m not able)",
        r"\bi (?:can(?:no|')t|cannot|won't|will not|am unable to|'m unable to|am not able to|'m not able to)"
        r" (?:help|assist|comply|fulfil|fulfill|provide|answer|do|complete|support|engage|create|write)"
        r"(?: you)?(?: with\b| (?:that|this|your|such|the request|it|(?:legal|medical|financial) advice)\b)",
        r"\bunfortunately,? i (?:am|'m) (?:unable|not able|not allowed|not permitted)\b",
        r"\bi must (?:respectfully )?decline\b",
        r"\bit(?:'s| is) not appropriate for me to\b",
        r"\bi(?:'m| am) not (?:able|allowed|permitted) to (?:help|assist|provide|answer|share|discuss)\b",
    )
]
# A sentence that says the documents lack something is a grounded answer, not a refusal.
_SOURCE = re.compile(
    r"\b(?:documents?|text|passages?|excerpts?|report|minutes|transcript|article|sources?|material|"
    r"contract|agreement|opinion|speech|paper|notes|provided|attached|given)\b",
    re.IGNORECASE,
)
_LACKS = re.compile(
    r"\b(?:(?:does|do|did)(?: not|n't)|can(?:no|')t find|cannot find|unable to find|not able to find"
    r"|no (?:mention|information|record|details?)|not (?:mentioned|stated|specified|given|included))\b",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """Lower case, curly quotes straight, one space between words."""
    return " ".join(text.lower().replace("’", "'").replace("“", '"').replace("”", '"').split())


@functools.cache
def template_sentences() -> tuple[str, ...]:
    """The sentences of the project's prompt templates (header lines and placeholders removed)."""
    out: list[str] = []
    for name in TEMPLATES:
        raw = resources.files("wildlong.synth").joinpath(f"{name}.tmpl").read_text(encoding="utf-8")
        body = "\n".join(line for line in raw.splitlines() if not line.startswith("#"))
        for part in _SENTENCE_END.split(_PLACEHOLDER.sub("\n\n", body)):
            sentence = normalise(part)
            if len(_WORD.findall(sentence)) >= 4:
                out.append(sentence)
    return tuple(out)


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(normalise(text))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def prompt_leak(text: str, config: GateConfig, sentences: tuple[str, ...] | None = None) -> str | None:
    """The leaked template sentence or meta-instruction in ``text`` (shortened), or None.

    A leak is a meta phrase of ``config.leak_phrases``, a whole template sentence, or a run of
    ``config.leak_shingle_words`` words of one, compared in lower case with whitespace normalised.
    """
    flat = normalise(text)
    for phrase in config.leak_phrases:
        if normalise(phrase) in flat:
            return f"says {phrase!r}"
    n = config.leak_shingle_words
    ours = _shingles(text, n)
    for sentence in sentences if sentences is not None else template_sentences():
        if sentence in flat or (ours & _shingles(sentence, n)):
            return f"repeats the prompt {_short(sentence)!r}"
    return None


def refusal(text: str) -> str | None:
    """The refusal sentence of ``text`` (shortened), or None; "The document does not say X" passes."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        for pattern in _REFUSALS:
            plain = sentence.replace("’", "'")
            grounded = _SOURCE.search(plain) and _LACKS.search(plain)
            if pattern.search(plain) and not (pattern is not _REFUSALS[0] and grounded):
                return f"refuses: {_short(sentence.strip())!r}"
    return None


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
