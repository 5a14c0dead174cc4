"""Extraction records -> the rows the Neo4j load writes (pure Python: no driver here).

A query's doc type is the cluster of its ``document_type`` values: the cluster most of them fall in, ties
going to the value listed first. A value the doc-type model never saw is assigned by the nearest centroid
when an embedder is given (noted ``classified_values``), else ignored (noted ``unknown_document_type``).
A query with no (known) ``document_type`` value belongs to no doc type: its (:Query) node is written
without facts and it is counted as ``no_doc_type``.

Every value of the query's fields — ``document_type`` included, so walks may put the document's kind on
a path — becomes a (:Value {doc_type, field, value}) of that doc type, keyed by
:func:`wildlong.keys.value_key` (16 hex chars of sha1 over doc type, field and value, joined by U+001F).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from wildlong.keys import value_key
from wildlong.loader.doctypes import DocTypeModel
from wildlong.loader.embed import Embedder
from wildlong.loader.normalize import apply_aliases
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts

__all__ = ["QueryRow", "ValueRow", "classify_unknown", "plan_rows", "value_key"]


@dataclass(frozen=True)
class ValueRow:
    key: str
    doc_type: str
    field: str
    value: str

    def params(self) -> dict[str, str]:
        return {"key": self.key, "doc_type": self.doc_type, "field": self.field, "value": self.value}


@dataclass(frozen=True)
class QueryRow:
    id: str
    source: str
    conversation_id: str
    language: str | None
    text: str | None
    doc_type: str | None
    values: tuple[ValueRow, ...]
    facts_hash: str

    def params(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "conversation_id": self.conversation_id,
            "language": self.language,
            "text": self.text,
            "doc_type": self.doc_type,
            "keys": [v.key for v in self.values],
            "facts_hash": self.facts_hash,
        }


def classify_unknown(
    records: Iterable[ExtractionRecord], model: DocTypeModel, embedder: Embedder | None, counts: Counts
) -> dict[str, str]:
    """Doc types for the canonical document_type values the model has not seen (nearest centroid)."""
    unknown: set[str] = set()
    for record in records:
        for value in _doc_values(record, model):
            if model.name_of(value) is None:
                unknown.add(value)
    if not unknown or embedder is None:
        return {}
    values = sorted(unknown)
    names = model.nearest(embedder.encode(values))
    counts.note("classified_values", len(values))
    return dict(zip(values, names, strict=True))


def plan_rows(
    records: Iterable[ExtractionRecord],
    model: DocTypeModel,
    counts: Counts,
    *,
    extra: dict[str, str] | None = None,
    store_text: bool = False,
) -> Iterator[QueryRow]:
    """One row per record, in order (see the module docstring)."""
    extra = extra or {}
    for record in records:
        counts.seen += 1
        fields = apply_aliases(record.fields, model.aliases)
        doc_type = _doc_type(fields.get(model.field, []), model, extra, counts)
        values: tuple[ValueRow, ...] = ()
        if doc_type is None:
            counts.note("no_doc_type")
        else:
            values = tuple(
                ValueRow(value_key(doc_type, name, value), doc_type, name, value)
                for name in sorted(fields)
                for value in fields[name]
            )
        counts.keep()
        text = record.text if store_text else None
        yield QueryRow(
            id=record.query_id,
            source=record.source,
            conversation_id=record.conversation_id,
            language=record.language,
            text=text,
            doc_type=doc_type,
            values=values,
            facts_hash=_facts_hash(record, text, doc_type, values),
        )


def _doc_values(record: ExtractionRecord, model: DocTypeModel) -> list[str]:
    return apply_aliases({model.field: record.fields.get(model.field, [])}, model.aliases)[model.field]


def _doc_type(values: list[str], model: DocTypeModel, extra: dict[str, str], counts: Counts) -> str | None:
    votes: Counter[str] = Counter()
    first: dict[str, int] = {}
    for position, value in enumerate(values):
        name = model.name_of(value) or extra.get(value)
        if name is None:
            counts.note("unknown_document_type")
            continue
        votes[name] += 1
        first.setdefault(name, position)
    if not votes:
        return None
    return min(votes, key=lambda n: (-votes[n], first[n]))


def _facts_hash(
    record: ExtractionRecord, text: str | None, doc_type: str | None, values: tuple[ValueRow, ...]
) -> str:
    payload = [
        record.source,
        record.conversation_id,
        record.language,
        text,
        doc_type,
        sorted(v.key for v in values),
    ]
    return hashlib.sha1(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]
