"""EMBEDDED LLM (marker ``llm``): 10 real conversations -> extraction -> doc types -> Neo4j, end to end.

The real SmolLM2-135M-Instruct server (xllamacpp) runs in a temporary WILDLONG_HOME; the model is weak, so
the test checks structure and exact graph arithmetic derived from whatever it extracted, not content.
A rerun must send zero LLM calls (everything comes from the reply cache).
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from tests.support.embedded import server
from wildlong.graph import Graph
from wildlong.llm import LLMClient, LLMSettings, resolve_settings
from wildlong.llm.embedded import EmbeddedInfo
from wildlong.loader.config import DocTypeConfig, ExtractConfig, LoadConfig, ReadConfig
from wildlong.loader.doctypes import build_doctypes
from wildlong.loader.embed import Embedder
from wildlong.loader.extract import extract_file
from wildlong.loader.graph_load import load_extractions, summary
from wildlong.loader.graph_rows import plan_rows
from wildlong.loader.normalize import apply_aliases
from wildlong.loader.read import read_queries
from wildlong.loader.records import ExtractionRecord
from wildlong.loader.schema import FieldSchema
from wildlong.records import Counts, read_jsonl

pytestmark = [pytest.mark.llm, pytest.mark.graph]

SHARED = Path(__file__).parents[2] / ".." / "shared" / "data" / "conversations"
CONFIG = ExtractConfig(max_query_chars=800, max_tokens=512, keep_text=True)

__all__ = ["server"]


def _client(server: EmbeddedInfo, cache: Path) -> LLMClient:
    settings = LLMSettings(
        base_url=server.base_url, model=server.model, api_key=server.api_key, cache_path=cache
    )
    return LLMClient(resolve_settings(settings))


def _ten_queries(tmp_path: Path) -> Path:
    """Ten real ShareGPT first turns (the shortest ones of 40+ characters: fast on 2 cores)."""
    queries = list(read_queries(ReadConfig(sources=[str(SHARED / "sharegpt_sample.jsonl")]), Counts("r")))
    chosen = sorted((q for q in queries if len(q.text) >= 40), key=lambda q: (len(q.text), q.query_id))[:10]
    path = tmp_path / "queries.jsonl"
    path.write_text("".join(q.model_dump_json() + "\n" for q in chosen))
    return path


def test_ten_real_conversations_end_to_end(server: EmbeddedInfo, graph: Graph, tmp_path: Path) -> None:
    queries = _ten_queries(tmp_path)
    out = tmp_path / "extractions.jsonl"
    client = _client(server, tmp_path / "cache.sqlite")
    first = extract_file(queries, out, client, CONFIG, progress=False)
    client.close()
    counts = first.counts
    assert counts.seen == 10 and counts.kept + sum(counts.dropped.values()) == 10
    assert counts.kept >= 5, counts.format()  # constrained decoding keeps most replies valid

    names = set(FieldSchema.load().names)
    records = list(read_jsonl(out, ExtractionRecord, strict=True))  # every record validates
    assert len(records) == counts.kept
    for record in records:
        assert set(record.fields) == names and record.model == "SmolLM2-135M-Instruct"
        for values in record.fields.values():
            assert len(values) <= 3
            assert all(v == v.lower().strip() and 0 < len(v) <= 80 for v in values)

    # a rerun into a fresh file sends nothing: every call is in the reply cache
    again = _client(server, tmp_path / "cache.sqlite")
    rerun = extract_file(queries, tmp_path / "again.jsonl", again, CONFIG, progress=False)
    again.close()
    assert sum(s.requests for s in again.accounting.stages.values()) == 0
    assert rerun.counts.kept == counts.kept
    assert (tmp_path / "again.jsonl").read_text() == out.read_text()

    with_types = [r for r in records if r.fields["document_type"]]
    assert with_types, "the model left every document_type empty: nothing to cluster"
    model = build_doctypes(records, DocTypeConfig(min_queries=1, k=3), Embedder(), Counts("doctypes"))
    model.save(tmp_path / "doctypes.json")
    # every document_type value is clustered or left out as junk, with its reason
    merged = [apply_aliases({"document_type": r.fields["document_type"]}, model.aliases) for r in with_types]
    usable = [v for m in merged for v in m["document_type"] if v not in model.junk]
    assert sum(c.queries for c in model.clusters) == len(usable)
    assert all(model.junk.values())

    load_counts = Counts("load")
    load_extractions(graph.driver, graph.database, [out], model, LoadConfig(), load_counts, progress=False)
    rows = list(plan_rows(records, model, Counts("plan")))
    facts = sum(len(r.values) for r in rows)
    pairs: Counter[tuple[str, str]] = Counter()
    for row in rows:
        pairs.update(itertools.combinations(sorted(v.key for v in row.values), 2))
    assert summary(graph.driver, graph.database) | {"doc_types": 0} == {
        "queries": len(records),
        "values": len({v.key for r in rows for v in r.values}),
        "doc_types": 0,
        "has": facts,
        "of_type": sum(1 for r in rows if r.doc_type),
        "in_type": len({v.key for r in rows for v in r.values}),
        "co_occurs": len(pairs),
    }
    edges, _, _ = graph.driver.execute_query(
        "MATCH (a:Value)-[r:CO_OCCURS]->(b:Value) RETURN a.key AS a, b.key AS b, r.count AS c",
        database_=graph.database,
    )
    assert {(e["a"], e["b"]): e["c"] for e in edges} == dict(pairs)
