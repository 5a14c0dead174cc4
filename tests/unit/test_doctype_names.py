"""Doc types are named by real member phrases: never field names, schema words, identifiers, placeholders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from wildlong.loader.config import DocTypeConfig
from wildlong.loader.doctype_names import junk_reason, usable_name
from wildlong.loader.doctypes import DocTypeModel, build_doctypes
from wildlong.loader.embed import Embedder
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts

REAL = {
    "email": 4, "business email": 2, "json": 3, "json file": 1, "legal contract": 3, "lease agreement": 2,
    "research paper": 3, "scientific article": 1,
}  # fmt: skip
JUNK = {
    "document_type": "field_name", "Document Type": "field_name", "task_type": "field_name",
    "output format": "field_name", "fittedmodelwalkforward_123456789": "identifier",
    "fittedModelWalkForward": "identifier", "fittedmodelwalkforwards": "identifier",
    "document_type_name_short_key_1": "identifier", "document.title": "identifier",
    "order 1234567": "identifier", "3f2a9c1e77b0": "identifier",
    "123e4567-e89b-12d3-a456-426614174000": "identifier", "n/a": "placeholder", "unknown": "placeholder",
    "none": "placeholder", "other": "placeholder", "document": "schema_word", "text-type": "schema_word",
    "domain_type": "schema_word", "1. introduction": "heading",
}  # fmt: skip


def _record(query_id: str, values: list[str]) -> ExtractionRecord:
    return ExtractionRecord(
        query_id=query_id,
        source="t",
        conversation_id=query_id,
        model="m",
        prompt_name="extract",
        prompt_version="v",
        fields={"document_type": values},
    )


def _records() -> list[ExtractionRecord]:
    records = [_record(f"{v}-{i}", [v]) for v, n in REAL.items() for i in range(n)]
    records += [_record(f"junk-{i}", [v]) for i, v in enumerate(JUNK)]  # only junk: dropped
    records += [_record(f"mixed-{i}", ["document_type", v]) for i, v in enumerate(["email", "json"])]
    return records


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield Embedder()


@pytest.mark.parametrize(("value", "reason"), JUNK.items())
def test_junk_values_are_recognised(value: str, reason: str) -> None:
    assert junk_reason(value) == reason


@pytest.mark.parametrize(
    "value",
    ["email", "json", "python_script", "legal contract", "job posting", "json-ld", "source code", "c++ code"],
)
def test_real_phrases_are_usable(value: str) -> None:
    assert junk_reason(value) is None


def test_names_are_real_member_phrases(embedder: Embedder, tmp_path: Path) -> None:
    counts = Counts("doctypes")
    model = build_doctypes(_records(), DocTypeConfig(min_queries=1, k=4), embedder, counts)
    assert model.names == ["email", "json", "legal contract", "research paper"]
    for cluster in model.clusters:
        assert cluster.name in cluster.top and junk_reason(cluster.name) is None
        assert set(cluster.top) <= set(REAL)  # junk never clustered
        assert cluster.cohesion is not None and 0.5 < cluster.cohesion <= 1.0
    assert [c.queries for c in model.clusters] == [7, 5, 5, 4]
    assert set(model.junk) == {*JUNK} and model.junk["fittedmodelwalkforward_123456789"] == "identifier"
    assert model.name_of("document_type") is None  # the load classifies it by the nearest centroid
    assert counts.notes["junk_value"] == len(JUNK) + 2
    assert counts.dropped["junk_document_type"] == len(JUNK) and counts.kept == sum(REAL.values()) + 2
    path = tmp_path / "doctypes.json"
    model.save(path)
    body = json.loads(path.read_text())
    assert [c["cohesion"] for c in body["clusters"]] == [c.cohesion for c in model.clusters]
    assert DocTypeModel.load(path).junk == model.junk


def test_junk_kept_with_drop_junk_off_but_never_a_name(embedder: Embedder) -> None:
    records = [_record(f"d{i}", ["document_type"]) for i in range(9)] + [_record("e", ["email"])]
    records += [_record(f"f{i}", ["fittedmodelwalkforward_123456789"]) for i in range(9)]
    model = build_doctypes(records, DocTypeConfig(min_queries=1, k=1, drop_junk=False), embedder, Counts("d"))
    assert model.names == ["email"] and not model.junk


def test_llm_names_that_are_junk_fall_back(embedder: Embedder) -> None:
    replies = iter(["document_type", "JSON data", "n/a", "fittedModel_2"])
    model = build_doctypes(
        _records(), DocTypeConfig(min_queries=1, k=4, naming="llm"), embedder, Counts("d"),
        namer=lambda tops: [next(replies) for _ in tops],
    )  # fmt: skip
    assert model.names == ["email", "json data", "legal contract", "research paper"]
    assert usable_name("  Other ") is None and usable_name("Legal Contract.") == "legal contract"
