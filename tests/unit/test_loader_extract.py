"""Extraction through the real LLM client against the scripted OpenAI server (a test double)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.llm_helpers import client_for
from tests.doubles.scripted_openai_server import Reply, ScriptedOpenAIServer
from wildlong.errors import ConfigError
from wildlong.loader.config import ExtractConfig, NormalizeConfig
from wildlong.loader.extract import Extractor, clip, estimate, extract_file
from wildlong.loader.normalize import apply_aliases, normalise_fields, normalise_phrase
from wildlong.loader.records import ExtractionFailure, ExtractionRecord, QueryRecord
from wildlong.loader.schema import FieldSchema
from wildlong.records import Counts, read_jsonl

FIELDS = FieldSchema.load().names


def responder(body: dict[str, Any]) -> str:
    """Fields derived from the request's text: deterministic, with the mess real models produce."""
    text = body["messages"][-1]["content"]
    values: dict[str, list[str]] = {name: [] for name in FIELDS}
    if "invoice" in text:
        values["document_type"] = ["  Invoice Email. ", "invoice email", "“Reminder”"]
        values["task_type"] = ["Rewriting", "N/A", "tone", "length", "extra"]
        values["output_format"] = ["x" * 200]
    elif "contract" in text:
        values["document_type"] = ["Legal Contract"]
        values["reasoning_type"] = ["comparison"]
    return json.dumps(values)


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer(responder=responder) as s:
        yield s


def queries_file(tmp_path: Path, texts: list[str]) -> Path:
    path = tmp_path / "queries.jsonl"
    lines = [
        QueryRecord(
            query_id=f"t:{i}", source="t", conversation_id=str(i), language="en", text=t
        ).model_dump_json()
        for i, t in enumerate(texts)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_shipped_schema_has_the_13_fields() -> None:
    assert FIELDS == (
        "document_type", "domain", "user_intent", "user_profile", "task_type", "task_request", "context",
        "required_knowledge", "reasoning_type", "output_format", "output_constraints", "language_style",
        "evidence_scope",
    )  # fmt: skip
    schema = FieldSchema.load().response_model().model_json_schema()
    assert schema["properties"]["domain"]["maxItems"] == 3


def test_schema_file_is_validated(tmp_path: Path) -> None:
    bad = tmp_path / "fields.yaml"
    bad.write_text("fields:\n  - name: domain\n    description: d\n")
    with pytest.raises(ConfigError, match="no 'document_type' field"):
        FieldSchema.load(bad)
    bad.write_text("fields:\n  - name: Bad Name\n    description: d\n")
    with pytest.raises(ConfigError, match="snake_case"):
        FieldSchema.load(bad)


def test_normalisation() -> None:
    config = NormalizeConfig()
    assert normalise_phrase("  Job   Posting!! ", config) == ("job posting", None)
    assert normalise_phrase("“C++ code”", config) == ("c++ code", None)
    assert normalise_phrase("N/A", config) == (None, "placeholder")
    assert normalise_phrase(" ... ", config) == (None, "empty")
    counts = Counts("x")
    fields = normalise_fields(
        {"a": ["One", "one.", "Two", "Three", "Four"], "b": [3]}, ["a", "b", "c"], config, counts
    )
    assert fields == {"a": ["one", "two", "three"], "b": [], "c": []}
    assert dict(counts.notes) == {"value_duplicate": 1, "value_over_limit": 1, "value_not_text": 1}
    aliases = {"a": {"two": "one"}}
    assert apply_aliases(fields, aliases) == {"a": ["one", "three"], "b": [], "c": []}


def test_clip_keeps_head_and_tail() -> None:
    text = "A" * 1000 + "B" * 1000 + "QUESTION?"
    clipped = clip(text, 600)
    assert clipped.startswith("A" * 400) and clipped.endswith("B" * 191 + "QUESTION?")
    assert "[... 1409 characters omitted ...]" in clipped
    assert clip("short", 600) == "short"


def test_extract_file_records_failures_and_resume(server: ScriptedOpenAIServer, tmp_path: Path) -> None:
    queries = queries_file(
        tmp_path, ["Remind them about the invoice", "Compare the contract clauses", "broken one"]
    )
    server.on("broken one", Reply.invalid_json(), Reply.invalid_json())
    out = tmp_path / "extractions.jsonl"
    client = client_for(server, tmp_path)
    summary = extract_file(queries, out, client, ExtractConfig(keep_text=True), progress=False)
    assert summary.counts.seen == 3 and summary.counts.kept == 2
    assert dict(summary.counts.dropped) == {"invalid_json": 1}
    records = list(read_jsonl(out, ExtractionRecord))
    first = records[0]
    assert first.query_id == "t:0" and first.model == server.model and first.prompt_name == "extract"
    assert first.fields["document_type"] == ["invoice email", "reminder"]
    assert first.fields["task_type"] == ["rewriting", "tone", "length"]
    assert first.fields["output_format"] == []  # 200 characters: too long for a phrase
    assert first.raw is not None and first.raw["task_type"][1] == "N/A"
    assert first.text == "Remind them about the invoice"
    assert set(first.fields) == set(FIELDS)
    assert summary.counts.notes["value_too_long"] == 1 and summary.counts.notes["no_document_type"] == 0
    failures = list(read_jsonl(summary.failures, ExtractionFailure))
    assert [(f.query_id, f.reason) for f in failures] == [("t:2", "invalid_json")]
    summary_dict = summary.to_dict()
    assert summary_dict["counts"]["kept"] == 2 and summary_dict["prompt"]["version"] == first.prompt_version
    assert summary_dict["schema"]["version"] == first.schema_version
    client.close()

    calls = server.chat_count
    again = client_for(server, tmp_path)
    summary = extract_file(queries, out, again, ExtractConfig(keep_text=True), progress=False)
    # the unparseable replies were not cached: that one query is asked again (now answered well)
    assert server.chat_count == calls + 1
    assert summary.skipped_done == 2 and summary.counts.seen == 1 and summary.counts.kept == 1
    assert [r.query_id for r in read_jsonl(out, ExtractionRecord)] == ["t:0", "t:1", "t:2"]
    assert again.cache is not None and again.cache.rejected() == 2  # the reply and its repair, kept apart
    again.close()

    fresh = tmp_path / "fresh.jsonl"
    third = client_for(server, tmp_path)
    extract_file(queries, fresh, third, ExtractConfig(keep_text=True), progress=False)
    assert server.chat_count == calls + 1  # a new output file, same cache: nothing sent
    assert third.accounting.to_dict()["stages"][0]["requests"] == 0
    assert fresh.read_text() == out.read_text()
    third.close()


def test_output_of_another_setup_is_refused(server: ScriptedOpenAIServer, tmp_path: Path) -> None:
    queries = queries_file(tmp_path, ["Compare the contract clauses"])
    out = tmp_path / "extractions.jsonl"
    client = client_for(server, tmp_path)
    extract_file(queries, out, client, ExtractConfig(), progress=False)
    prompt = tmp_path / "mine.tmpl"
    prompt.write_text("# variables: fields, query\nFields:\n$fields\nRequest:\n$query\n")
    with pytest.raises(ConfigError, match="another setup"):
        extract_file(queries, out, client, ExtractConfig(prompt_path=prompt), progress=False)
    client.close()


def test_dry_run_estimate_sends_nothing(server: ScriptedOpenAIServer, tmp_path: Path) -> None:
    texts = ["Remind them about the invoice", "Compare the contract clauses"]
    query_records = [
        QueryRecord(query_id=str(i), source="t", conversation_id=str(i), text=t) for i, t in enumerate(texts)
    ]
    client = client_for(server, tmp_path)
    before = estimate(query_records, client, ExtractConfig())
    assert (before.calls, before.cached) == (2, 0) and before.input_tokens > 0
    assert server.chat_count == 0
    extract_file(queries_file(tmp_path, texts), tmp_path / "e.jsonl", client, ExtractConfig(), progress=False)
    after = estimate(query_records, client, ExtractConfig())
    assert (after.calls, after.cached) == (0, 2)
    client.close()


def test_the_prompt_shows_every_field_and_the_query() -> None:
    extractor = Extractor.from_config(ExtractConfig())
    request = extractor.request(
        QueryRecord(query_id="q", source="s", conversation_id="c", text="Hello there $x")
    )
    system, user = request.messages
    assert all(f"- {name}:" in system["content"] for name in FIELDS)
    assert "Hello there $x" in user["content"]
    assert request.template is not None and len(request.template.short_version) == 12
