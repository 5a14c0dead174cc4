"""Values that are not real needs: schema echoes, placeholders, numbers, identifiers, overlong phrases and
prompt examples the query does not support. The canonical stage rejects them before merging (counted by
reason, :mod:`wildlong.loader.canonical`).

    junk_reason("response_code_code", "domain")         -> "identifier"
    junk_reason("document type", "document_type")       -> "field_name"
    junk_reason("json", "output_format")                -> None   (a usable value)

Reasons: ``field_name`` (a field of the schema, with ``_`` or spaces, or a schema word: ``value``,
``type``...), ``placeholder`` (``n/a``, ``none``, ``not specified``, ``<...>``, ``[...]``, ``xxx``,
``...``; :func:`is_placeholder`), ``number`` (digits, dates, versions alone), ``identifier``
(:func:`is_identifier`: snake_case of 3+ parts or with digits, camelCase, hex, a UUID, a dotted path, a
long digit run, one word of 20+ letters), ``too_long`` (over
``max_chars`` characters or ``max_words`` words) and ``prompt_example`` (one of the field's
examples in ``fields.yaml`` while none of its content words occurs in the query text; only checked when
``text`` is given: the canonical stage gives it for records that copied several examples, as abstract
values such as ``formal`` or ``summarization`` are often right without their words in the query).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from wildlong.loader.normalize import PLACEHOLDERS

REASONS = ("field_name", "placeholder", "number", "identifier", "too_long", "prompt_example")

# Words that name a slot of the schema, not a need.
SCHEMA_WORDS = frozenset(
    {
        "field", "fields", "value", "values", "type", "types", "string", "key", "label", "item", "object",
        "array", "example", "examples", "placeholder", "sample", "category", "attribute", "property",
        "meta information", "metadata", "tbd", "todo", "etc", "misc", "various", "n a",
    }
)  # fmt: skip
MORE_PLACEHOLDERS = frozenset(
    {"none specified", "nothing specified", "no specific", "not explicitly stated", "not clear", "unclear",
     "not available", "not relevant", "irrelevant", "undefined", "blank", "tba", "?", "-"}
)  # fmt: skip
_SEPARATORS = re.compile(r"[\s_\-./]+")
_WRAPPED = re.compile(r"^\s*(<[^>]*>|\[[^\]]*\]|\{[^}]*\}|\([^)]*\))\s*$")
_FILLER = re.compile(r"^(x{3,}|\.{2,}|…+|_+|-+|\?+|lorem ipsum.*)$", re.IGNORECASE)
_NOT_GIVEN = re.compile(
    r"^(none|not|no|nothing)\b.*\b(specified|mentioned|stated|provided|given|applicable|available|indicated)$"
)
_NUMBER = re.compile(r"^[\d\s.,:;/%+#x×-]+$")
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)
_HEX = re.compile(r"^(0x)?(?=[0-9a-f]*\d)[0-9a-f]{8,}$", re.IGNORECASE)
_SNAKE = re.compile(r"^[A-Za-z0-9]+(_[A-Za-z0-9]+)+$")
_CAMEL = re.compile(r"[a-z][A-Z]")
_LONG_WORD = re.compile(r"^[a-z]{20,}$", re.IGNORECASE)
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_LETTERS_THEN_DIGITS = re.compile(r"[a-z]+\W?\s*\d{6,}", re.IGNORECASE)  # "order 1234567", "id_123456"
_WORD = re.compile(r"[a-z0-9]+")
_PIECES = re.compile(r"[\s\-./$,:;()']+")
STOPWORDS = frozenset(
    {
        "a", "an", "the", "of", "for", "to", "in", "on", "and", "or", "with", "by", "at", "from", "as", "is",
        "be", "it", "its", "into", "about", "more", "one", "some", "very",
    }
)  # fmt: skip


def words(text: str) -> str:
    """Lower-case words joined by single spaces (``Document_Type`` -> ``document type``)."""
    return " ".join(_SEPARATORS.split(text.strip().lower())).strip()


def junk_reason(
    value: str,
    field: str,
    *,
    field_names: Iterable[str] = (),
    examples: Iterable[str] = (),
    text: str | None = None,
    max_chars: int = 60,
    max_words: int = 10,
) -> str | None:
    """Why ``value`` of ``field`` is junk (one of :data:`REASONS`), or None when it is a usable value."""
    raw = value.strip()
    plain = words(raw)
    if is_placeholder(raw):
        return "placeholder"
    names, tails = _names(tuple(field_names), field)
    if plain in names or plain in SCHEMA_WORDS or all(p in SCHEMA_WORDS for p in plain.split()):
        return "field_name"
    if any(plain.startswith(n + " ") and plain[len(n) + 1 :] in tails for n in names):
        return "field_name"  # "document type value", "task type type"
    if _NUMBER.match(raw):
        return "number"
    if is_identifier(raw):
        return "identifier"
    if len(raw) > max_chars or len(raw.split()) > max_words:
        return "too_long"
    if text is not None and raw in set(examples) and not supported(raw, text):
        return "prompt_example"
    return None


@functools.lru_cache(maxsize=64)
def _names(field_names: tuple[str, ...], field: str) -> tuple[frozenset[str], frozenset[str]]:
    """The schema's field names as words, and the words that may follow one in an echo (computed once)."""
    extra = (field, "document_type", "doc_type", "meta_information")
    names = frozenset(words(n) for n in (*field_names, *extra))
    return names, SCHEMA_WORDS | names


def supported(value: str, text: str) -> bool:
    """Whether a content word of ``value`` (or its singular) occurs in ``text``."""
    haystack = text.lower()
    content = [w for w in _WORD.findall(value.lower()) if w not in STOPWORDS and len(w) >= 3]
    if not content:
        return True
    return any(w in haystack or (w.endswith("s") and w[:-1] in haystack) for w in content)


def is_placeholder(value: str) -> bool:
    """``n/a``, ``none``, ``not specified``, ``<...>``, ``[...]``, ``xxx``, ``...``, an empty phrase."""
    raw = value.strip()
    plain = words(raw)
    if not plain or _WRAPPED.match(raw) or _FILLER.match(raw) or _FILLER.match(plain):
        return True
    lower = raw.lower()
    listed = lower in PLACEHOLDERS or plain in PLACEHOLDERS or lower in MORE_PLACEHOLDERS
    return bool(listed or _NOT_GIVEN.match(plain))


def is_identifier(text: str) -> bool:
    """A name a program would use, not a phrase a person would: a UUID, hex, camelCase, snake_case (one
    word per part is a phrase written with underscores: ``python_script``; three or more parts, a digit or
    a repeated part make it an identifier), a dotted path, a run of 6+ digits after letters, a token of 7+
    characters mixing letters and 4+ digits, one word of 20+ letters."""
    text = text.strip()
    if _UUID.search(text) or _HEX.match(text) or _CAMEL.search(text) or _DOTTED.match(text):
        return True
    if _SNAKE.match(text):
        parts = text.lower().split("_")
        return len(parts) >= 3 or any(c.isdigit() for c in text) or len(set(parts)) < len(parts)
    if _LETTERS_THEN_DIGITS.search(text):
        return True
    for token in _PIECES.split(text):
        digits = sum(c.isdigit() for c in token)
        if _LONG_WORD.match(token) or (len(token) >= 7 and digits >= 4 and digits < len(token)):
            return True
    return False
