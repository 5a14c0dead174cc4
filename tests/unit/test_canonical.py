"""Canonical values: junk rejected by reason, lexical and embedding merges (real all-MiniLM-L6-v2), the
most frequent form naming its group, opposites kept apart, the stage's records and report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from wildlong.loader.canonical import CanonicalConfig, canonicalise
from wildlong.loader.embed import Embedder
from wildlong.loader.junk import junk_reason
from wildlong.loader.merge import conflict, group_forms, lexical_key, tokens
from wildlong.loader.records import ExtractionRecord
from wildlong.loader.schema import FieldSchema
from wildlong.records import Counts

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "graph" / "realistic_extractions.jsonl"
NAMES = FieldSchema.load().names
EXAMPLES = {f.name: f.examples for f in FieldSchema.load().fields}


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield Embedder()


def _record(i: int, fields: dict[str, list[str]], text: str | None = None) -> ExtractionRecord:
    return ExtractionRecord(
        query_id=f"s:{i}", source="s", conversation_id=str(i), model="m", prompt_name="extract",
        prompt_version="v", fields=fields, text=text,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ("document_type", "document_type", "field_name"),
        ("document type", "output_format", "field_name"),
        ("task_type", "domain", "field_name"),
        ("output format", "output_format", "field_name"),
        ("value", "domain", "field_name"),
        ("response_code_code", "domain", "identifier"),
        ("fittedmodelwalkforward_123456789", "context", "identifier"),
        ("fittedModelWalkForward", "context", "identifier"),
        ("3f2a9c1d7e", "context", "identifier"),
        ("123e4567-e89b-12d3-a456-426614174000", "context", "identifier"),
        ("n/a", "domain", "placeholder"),
        ("none", "domain", "placeholder"),
        ("unknown", "domain", "placeholder"),
        ("not specified", "domain", "placeholder"),
        ("null", "domain", "placeholder"),
        ("none explicitly mentioned", "domain", "placeholder"),
        ("<document type>", "domain", "placeholder"),
        ("[insert value]", "domain", "placeholder"),
        ("xxx", "domain", "placeholder"),
        ("...", "domain", "placeholder"),
        ("42", "domain", "number"),
        ("2023-01-05", "domain", "number"),
        ("a very long phrase that goes on and on about many things at once", "context", "too_long"),
    ],
)
def test_junk_is_rejected_with_its_reason(value: str, field: str, reason: str) -> None:
    assert junk_reason(value, field, field_names=NAMES) == reason


@pytest.mark.parametrize(
    "value",
    ["json", "sql query", "python 3 code", "under 200 words", "eip-1559", "write a 600-word seo blog",
     "netherlands-russia trade 2011-2022", "bullet list", "formal tone", "type 2 diabetes"],
)  # fmt: skip
def test_good_values_are_kept(value: str) -> None:
    assert junk_reason(value, "output_format", field_names=NAMES) is None


def test_a_prompt_example_needs_support_in_the_query_text() -> None:
    kw = {"field_names": NAMES, "examples": EXAMPLES["document_type"]}
    assert junk_reason("job posting", "document_type", text="Fix my Python loop", **kw) == "prompt_example"
    assert junk_reason("job posting", "document_type", text="Here is our job ad: ...", **kw) is None
    assert junk_reason("job posting", "document_type", text=None, **kw) is None  # nothing to check


def test_records_that_copy_the_prompt_lose_the_copies_only() -> None:
    copied = {name: [spec[0]] for name, spec in EXAMPLES.items()}  # every field's first example
    records = [
        _record(0, copied, text="What is the capital of France?"),
        _record(1, {"document_type": ["email"], "task_type": ["summarization"]}, text="tl;dr this: ..."),
    ]
    counts = Counts("canonical")
    result = canonicalise(records, CanonicalConfig(threshold=None), None, counts, field_names=NAMES,
                          examples=EXAMPLES)  # fmt: skip
    assert all(not v for v in result.records[0].fields.values())
    assert result.records[1].fields == {"document_type": ["email"], "task_type": ["summarization"]}
    assert counts.notes["junk_prompt_example"] == len(EXAMPLES)
    assert result.report["fields"]["domain"]["junk"] == {"prompt_example": 1}


def test_lexical_keys() -> None:
    assert lexical_key("Bullet-point lists") == lexical_key("the bullet point list") == "bulletpointlist"
    assert lexical_key("e-mail") == lexical_key("Emails") == "email"
    assert lexical_key("summarisation") == lexical_key("summarization")
    assert lexical_key("categories") == lexical_key("category")
    assert lexical_key("python") != lexical_key("java")
    assert tokens("A Step-by-Step Guide") == ["step", "by", "step", "guide"]


def test_lexical_merge_keeps_the_most_frequent_form() -> None:
    counts = {"bullet points": 2, "Bullet-Points": 1, "bullet point": 5, "table": 3}
    grouping = group_forms(counts, None, None)
    assert grouping.canonical == {
        "bullet point": "bullet point", "bullet points": "bullet point", "Bullet-Points": "bullet point",
        "table": "table",
    }  # fmt: skip
    assert grouping.lexical_merges == 2 and grouping.embedding_merges == 0


def test_embedding_merges_near_forms(embedder: Embedder) -> None:
    counts = {"bullet list": 4, "bulleted list": 2, "bullet-point list": 1, "text summarization": 1,
              "summarization": 3, "python": 5, "java": 4, "numbered list": 2}  # fmt: skip
    canonical = group_forms(counts, embedder, 0.85, short_threshold=0.85).canonical
    assert canonical["bulleted list"] == canonical["bullet-point list"] == "bullet list"
    assert canonical["text summarization"] == "summarization"
    assert canonical["python"] == "python" and canonical["java"] == "java"
    assert canonical["numbered list"] == "numbered list"


def test_opposites_do_not_merge(embedder: Embedder) -> None:
    counts = {"formal tone": 3, "informal tone": 2, "positive tone": 2, "negative tone": 1,
              "under 200 words": 2, "under 300 words": 1, "short paragraph": 2, "long paragraph": 1,
              "with code": 1, "without code": 1}  # fmt: skip
    canonical = group_forms(counts, embedder, 0.8).canonical
    assert all(form == value for form, value in canonical.items())
    assert conflict(tokens("formal tone"), tokens("informal tone"))
    assert conflict(tokens("python 3 code"), tokens("python code"))
    assert not conflict(tokens("bullet list"), tokens("bulleted list"))


def test_no_chaining_through_members(embedder: Embedder) -> None:
    # each step is close to the next, but the far end is not close to the canonical value
    counts = {"email": 5, "email draft": 3, "draft": 2, "rough draft": 1}
    canonical = group_forms(counts, embedder, 0.7, short_threshold=0.7).canonical
    for form, value in canonical.items():
        if value != form:
            vectors = embedder.encode([form, value])
            assert float(vectors[0] @ vectors[1]) >= 0.7


def test_the_stage_keeps_forms_counts_and_reports(embedder: Embedder) -> None:
    records = [
        _record(0, {"output_format": ["bullet list", "json"], "domain": ["document_type"]}),
        _record(1, {"output_format": ["bulleted list"], "domain": ["marketing"]}),
        _record(2, {"output_format": ["Bullet lists", "bullet list"], "domain": ["n/a"]}),
        _record(3, {"output_format": ["bullet list"], "domain": []}),
    ]
    counts = Counts("canonical")
    result = canonicalise(records, CanonicalConfig(), embedder, counts, field_names=NAMES)
    assert [r.fields["output_format"] for r in result.records] == [
        ["bullet list", "json"], ["bullet list"], ["bullet list"], ["bullet list"],
    ]  # fmt: skip
    assert [r.fields["domain"] for r in result.records] == [[], ["marketing"], [], []]
    assert result.forms["output_format"]["bullet list"] == {"bullet list": 3, "Bullet lists": 1,
                                                            "bulleted list": 1}  # fmt: skip
    row = result.report["fields"]["output_format"]
    assert (row["forms"], row["values"]) == (4, 2) and row["lexical_merges"] == 1
    assert result.report["fields"]["domain"]["junk"] == {"field_name": 1, "placeholder": 1}
    assert counts.notes["junk_field_name"] == counts.notes["junk_placeholder"] == 1
    assert counts.notes["merged_forms"] == 2 and counts.kept == 4
    assert result.report["groups"]["output_format"] == {
        "bullet list": result.forms["output_format"]["bullet list"]
    }


def test_disabled_copies_records_unchanged() -> None:
    records = [_record(0, {"domain": ["document_type", "Marketing"]})]
    result = canonicalise(records, CanonicalConfig(enabled=False), None, Counts("c"))
    assert result.records == records and result.report["enabled"] is False


def test_realistic_fixture_tuning_half(embedder: Embedder) -> None:
    """The tuned part of the fixture (lines not held out): a few dozen merges, nothing junk but one."""
    lines = FIXTURE.read_text().splitlines()
    records = [ExtractionRecord.model_validate_json(ln) for i, ln in enumerate(lines) if i % 3 != 2]
    counts = Counts("canonical")
    result = canonicalise(records, CanonicalConfig(), embedder, counts, field_names=NAMES, examples=EXAMPLES)
    report = result.report
    assert report["junk"] <= 2
    assert 10 <= report["forms"] - report["values"] <= 60
    junk = Counter(k for k in counts.notes if k.startswith("junk_"))
    assert "junk_prompt_example" not in junk
