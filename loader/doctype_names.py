"""Which ``document_type`` values may name a doc type, and which member of a cluster names it.

A value is *junk* when it is not a kind of document a person would name: a field or schema word
(``document_type``, ``document type``, ``domain_type``, any field of ``fields.yaml`` with ``_`` or spaces),
an identifier or a placeholder by the same rules as every value (:func:`wildlong.loader.junk.is_identifier`,
:func:`~wildlong.loader.junk.is_placeholder`; ``other`` too) or a numbered heading (``1. introduction``).
:func:`junk_reason` says why (None = a usable phrase); the doc types stage leaves junk out of the
clustering (counted) and never names a cluster after it.

A cluster is named by its most representative member: the highest ``cosine to the centroid +
FREQUENCY_BONUS * ln(queries)`` among its usable members (the member closest to the centroid, tipped
towards the phrases users wrote most).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from wildlong.errors import StageIncomplete
from wildlong.loader.junk import is_identifier, is_placeholder

if TYPE_CHECKING:
    from wildlong.llm import LLMRequest

Namer = Callable[[list[list[str]]], list[str | None]]

# Reserved: the documents stage files documents far from every centroid under this name.
OTHER = "other"
FREQUENCY_BONUS = 0.05
# Words that name the schema or a slot, not a kind of document.
SCHEMA_WORDS = frozenset(
    {
        "document", "documents", "doc", "docs", "type", "types", "kind", "kinds", "category", "categories",
        "class", "label", "field", "fields", "value", "values", "name", "key", "id", "item", "string",
        "object", "title", "info", "format", "example", "examples", "placeholder", "sample", "misc",
        "miscellaneous", "various", "general", "others", "etc", "tbd", "todo", "unknown type",
    }
)  # fmt: skip
_SEPARATORS = re.compile(r"[\s_\-./]+")
_HEADING = re.compile(r"^\d+[.)]\s")


@functools.cache
def field_words() -> frozenset[str]:
    """The shipped schema's field names, with spaces (``document type``, ``task type``...)."""
    from wildlong.loader.schema import FieldSchema

    return frozenset(_words(n) for n in (*FieldSchema.load().names, "document_type", "doc_type"))


def junk_reason(value: str, extra_fields: Sequence[str] = ()) -> str | None:
    """Why ``value`` cannot name a doc type (``field_name``, ``schema_word``, ``identifier``,
    ``placeholder``, ``heading``), or None when it is a usable phrase."""
    text = value.strip()
    words = _words(text)
    if not words or is_placeholder(text) or words == OTHER:
        return "placeholder"
    if words in field_words() or words in {_words(f) for f in extra_fields}:
        return "field_name"
    if is_identifier(text):
        return "identifier"
    parts = words.split()
    if words in SCHEMA_WORDS or all(p in SCHEMA_WORDS for p in parts):
        return "schema_word"
    if len(parts) <= 3 and parts[-1] in {"type", "types"}:  # "text type", "domain type", "file type"
        return "schema_word"
    if any(_words(text).startswith(f + " ") and parts[-1].isdigit() for f in field_words()):
        return "field_name"  # "document type 1"
    if _HEADING.match(text):
        return "heading"
    return None


def _words(text: str) -> str:
    return " ".join(_SEPARATORS.sub(" ", text.lower()).split())


def usable_name(name: str | None, extra_fields: Sequence[str] = ()) -> str | None:
    """``name`` cleaned (one line, lower case, at most 60 characters) if it may name a doc type, else None."""
    if name is None:
        return None
    clean = " ".join(name.split()).strip().strip("\"'.").lower()[:60]
    return clean if clean and junk_reason(clean, extra_fields) is None else None


def representative(
    members: Sequence[int],
    values: Sequence[str],
    vectors: np.ndarray,
    centroid: np.ndarray,
    frequency: Mapping[str, int],
    extra_fields: Sequence[str] = (),
) -> str:
    """The member that names the cluster (see the module docstring); junk members are skipped (the
    closest member when every one is junk: the caller keeps junk out of clustering)."""
    unit = centroid / (float(np.linalg.norm(centroid)) or 1.0)
    sims = vectors[list(members)] @ unit
    usable = [i for i, m in enumerate(members) if junk_reason(values[m], extra_fields) is None]
    pool = usable or list(range(len(members)))
    best = max(pool, key=lambda i: (sims[i] + FREQUENCY_BONUS * math.log(frequency[values[members[i]]]), -i))
    return values[members[best]]


def cohesion(vectors: np.ndarray, centroid: np.ndarray) -> float:
    """The mean cosine of the member embeddings (unit vectors) to their centroid."""
    if len(vectors) == 0:
        return 0.0
    unit = centroid / (float(np.linalg.norm(centroid)) or 1.0)
    return float(np.mean(vectors @ unit))


class DocTypeName(BaseModel):
    """The reply of a naming call."""

    name: str


def name_requests(tops: list[list[str]]) -> list[LLMRequest]:
    """One naming request per cluster (``doctype_name.tmpl``) from its top members; a dry run prices them."""
    from wildlong.llm import LLMRequest, load_template

    template = load_template("doctype_name", package="wildlong.loader")
    return [
        LLMRequest(
            template.render(members="\n".join(f"- {m}" for m in top)),
            stage="doctypes",
            template=template,
            schema=DocTypeName,
            params={"temperature": 0.0, "max_tokens": 32},
        )
        for top in tops
    ]


def llm_namer(client: Any) -> Namer:
    """Names clusters with the LLM (``doctype_name.tmpl``); the caller keeps the representative member's
    name where the reply is empty or unusable."""

    def name(tops: list[list[str]]) -> list[str | None]:
        results = client.run(name_requests(tops), progress=False, desc="name doc types")
        missed = [r for r in results if r.unanswered]
        if missed:  # a fallback name now would differ from the name a later run gets
            raise StageIncomplete(
                f"doctypes: {len(missed)} of {len(results)} naming requests got no answer "
                f"({missed[0].reason}: {missed[0].detail[:120]})",
                hint="the stage is not complete; run the same command again once the LLM answers",
            )
        return [
            r.value.name if r.ok and r.value is not None and r.value.name.strip() else None for r in results
        ]

    return name
