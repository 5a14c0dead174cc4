"""The Neo4j load against the real server: exact nodes, facts, counts and CO_OCCURS weights.

Fixture (tests/fixtures/loader/extractions_{a,b}.jsonl), doc types by hand: "email" = {email, business
email}, "code" = {python script, source code}.
  A: q1 email {email, summarization, bullet list}; q2 email {business email, summarization, rewriting};
     q3 code {python script, software, code review}; q4 no document_type.
  B: q5 email {email, rewriting, bullet list, 2 task requests with quotes, a backslash, Cypher, $rows};
     q6 code by majority (source code + python script vs email):
        {source code, email, python script, code review}.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wildlong import cypher
from wildlong.errors import ConfigError
from wildlong.graph import Graph
from wildlong.keys import value_key
from wildlong.loader.config import LoadConfig
from wildlong.loader.doctypes import DocTypeCluster, DocTypeModel
from wildlong.loader.graph_load import load_extractions, load_rows, summary
from wildlong.loader.graph_rows import plan_rows
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts, read_jsonl

pytestmark = pytest.mark.graph

FIXTURES = Path(__file__).parents[1] / "fixtures" / "loader"
A = FIXTURES / "extractions_a.jsonl"
B = FIXTURES / "extractions_b.jsonl"
TRICKY = 'it\'s "quoted" \\ MATCH (n) DETACH DELETE n //'


def fixture_model() -> DocTypeModel:
    clusters = [
        DocTypeCluster(k_index=0, name="email", values=2, queries=3, central="email", top=["email"]),
        DocTypeCluster(k_index=1, name="code", values=2, queries=2, central="python script", top=[]),
    ]
    model = DocTypeModel(
        field="document_type",
        embedding_model="none",
        k=2,
        silhouette=None,
        naming="central",
        clusters=clusters,
        assignments={"email": 0, "business email": 0, "python script": 1, "source code": 1},
    )
    model._centroids = np.eye(2, 4, dtype=np.float32)
    model.refresh_id()
    return model


def load(graph: Graph, *paths: Path, **config: Any) -> Counts:
    counts = Counts("load")
    load_extractions(
        graph.driver,
        graph.database,
        list(paths),
        fixture_model(),
        LoadConfig(**config),
        counts,
        progress=False,
    )
    return counts


def snapshot(graph: Graph) -> dict[str, Any]:
    """Every loader node and relationship with all its properties, in a canonical order."""
    run = graph.driver.execute_query
    nodes, _, _ = run(
        "MATCH (n) WHERE n:Query OR n:Value OR n:DocType "
        "RETURN labels(n)[0] AS label, properties(n) AS props",
        database_=graph.database,
    )
    rels, _, _ = run(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.key, a.id, a.name) AS a, "
        "coalesce(b.key, b.id, b.name) AS b, properties(r) AS props",
        database_=graph.database,
    )
    return {
        "nodes": sorted((r["label"], sorted(r["props"].items())) for r in nodes),
        "rels": sorted((r["type"], r["a"], r["b"], sorted(r["props"].items())) for r in rels),
    }


def edges(graph: Graph, doc_type: str) -> dict[tuple[str, str], tuple[int, float]]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (a:Value {doc_type: $d})-[r:CO_OCCURS]->(b:Value) "
        "RETURN a.key AS ak, b.key AS bk, a.value AS a, b.value AS b, r.count AS c, r.weight AS w",
        d=doc_type,
        database_=graph.database,
    )
    for r in records:
        assert r["ak"] < r["bk"], "an edge must point from the smaller key to the larger"
    return {tuple(sorted((r["a"], r["b"]))): (r["c"], r["w"]) for r in records}  # type: ignore[misc]


def value_counts(graph: Graph) -> dict[tuple[str, str, str], int]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (v:Value) RETURN v.doc_type AS d, v.field AS f, v.value AS v, v.count AS c, v.key AS k",
        database_=graph.database,
    )
    for r in records:
        assert r["k"] == value_key(r["d"], r["f"], r["v"])
    return {(r["d"], r["f"], r["v"]): r["c"] for r in records}


LN2, LN3 = math.log(2.0), math.log(3.0)


def test_load_a_gives_exact_graph(graph: Graph) -> None:
    counts = load(graph, A)
    assert summary(graph.driver, graph.database) == {
        "queries": 4, "values": 8, "doc_types": 2, "has": 9, "of_type": 3, "in_type": 8, "co_occurs": 9,
    }  # fmt: skip
    assert counts.notes["no_doc_type"] == 1
    assert value_counts(graph) == {
        ("email", "document_type", "email"): 1,
        ("email", "document_type", "business email"): 1,
        ("email", "task_type", "summarization"): 2,
        ("email", "task_type", "rewriting"): 1,
        ("email", "output_format", "bullet list"): 1,
        ("code", "document_type", "python script"): 1,
        ("code", "domain", "software"): 1,
        ("code", "task_type", "code review"): 1,
    }
    assert edges(graph, "email") == {
        ("email", "summarization"): (1, LN2),
        ("bullet list", "email"): (1, LN2),
        ("bullet list", "summarization"): (1, LN2),
        ("business email", "summarization"): (1, LN2),
        ("business email", "rewriting"): (1, LN2),
        ("rewriting", "summarization"): (1, LN2),
    }
    assert len(edges(graph, "code")) == 3
    sizes, _, _ = graph.driver.execute_query(
        "MATCH (d:DocType) RETURN d.name AS n, d.size AS s, d.k_index AS k, d.dirty AS dirty ORDER BY k",
        database_=graph.database,
    )
    assert [(r["n"], r["s"], r["k"], r["dirty"]) for r in sizes] == [
        ("email", 2, 0, None),
        ("code", 1, 1, None),
    ]
    orphan, _, _ = graph.driver.execute_query(
        "MATCH (q:Query {id: 'fixture:q4'}) RETURN COUNT { (q)--() } AS rels", database_=graph.database
    )
    assert orphan[0]["rels"] == 0


def test_a_union_b_exact_and_traceable(graph: Graph) -> None:
    load(graph, A, B)
    assert summary(graph.driver, graph.database) == {
        "queries": 6, "values": 12, "doc_types": 2, "has": 18, "of_type": 5, "in_type": 12, "co_occurs": 23,
    }  # fmt: skip
    email = edges(graph, "email")
    assert len(email) == 15
    assert email[("bullet list", "email")] == (2, LN3)
    assert sum(1 for c, _ in email.values() if c == 1) == 14
    code = edges(graph, "code")
    assert len(code) == 8
    assert code[("code review", "python script")] == (2, LN3)
    assert value_counts(graph)[("code", "document_type", "email")] == 1  # q6 went to "code" by majority
    # every edge is backed by exactly `count` real queries
    records, _, _ = graph.driver.execute_query(
        "MATCH (a:Value)-[r:CO_OCCURS]->(b:Value) RETURN a.key AS a, b.key AS b, r.count AS c",
        database_=graph.database,
    )
    for r in records:
        behind, _, _ = graph.driver.execute_query(
            cypher.query("loader/cooccurs_queries").text, a=r["a"], b=r["b"], database_=graph.database
        )
        assert len(behind) == r["c"]


def test_twice_is_identical(graph: Graph) -> None:
    load(graph, A, B)
    first = snapshot(graph)
    counts = load(graph, A, B)
    assert snapshot(graph) == first
    assert counts.notes["queries_unchanged"] == 6


def test_a_then_b_equals_a_union_b(graph: Graph) -> None:
    load(graph, A)
    load(graph, B)
    incremental = snapshot(graph)
    load(graph, reset=True)  # empties the loader's nodes
    assert summary(graph.driver, graph.database)["queries"] == 0
    load(graph, A, B)
    assert snapshot(graph) == incremental


def test_a_reloaded_query_replaces_its_facts(graph: Graph, tmp_path: Path) -> None:
    changed = tmp_path / "q1.jsonl"
    record = next(iter(read_jsonl(A, ExtractionRecord)))
    record.fields = {"document_type": ["python script"], "task_type": ["code review"]}
    changed.write_text(record.model_dump_json() + "\n")
    load(graph, A)
    load(graph, changed)  # q1 moves from "email" to "code"
    after = snapshot(graph)
    load(graph, reset=True)
    combined = tmp_path / "combined.jsonl"
    combined.write_text(A.read_text() + changed.read_text())  # the last record of an id wins
    load(graph, combined)
    assert snapshot(graph) == after
    counts = value_counts(graph)
    assert ("email", "output_format", "bullet list") not in counts  # orphan removed
    assert counts[("code", "task_type", "code review")] == 2
    assert counts[("email", "task_type", "summarization")] == 1


def test_parallel_writers_and_tiny_batches_change_nothing(graph: Graph, tmp_path: Path) -> None:
    changed = tmp_path / "q1.jsonl"
    record = next(iter(read_jsonl(A, ExtractionRecord)))
    record.fields = {"document_type": ["python script"], "task_type": ["code review"]}
    changed.write_text(record.model_dump_json() + "\n")
    load(graph, A, B, changed, workers=1)
    one = snapshot(graph)
    load(graph, reset=True)
    load(graph, A, B, changed, workers=3, batch_size=1)
    assert snapshot(graph) == one


def test_a_writer_error_reaches_the_caller(graph: Graph) -> None:
    from neo4j.exceptions import Neo4jError

    from wildlong.loader.graph_write import Writers

    rows = list(plan_rows(read_jsonl(A, ExtractionRecord), fixture_model(), Counts("plan")))
    writers = Writers(graph.driver, "no-such-db", {}, workers=2, batch_size=1, on_batch=lambda r: None)
    with pytest.raises(Neo4jError):
        try:
            for row in rows:
                writers.add(row)
        finally:
            writers.close()


def test_tricky_values_load_as_data(graph: Graph) -> None:
    load(graph, A, B, store_text=True)
    records, _, _ = graph.driver.execute_query(
        "MATCH (q:Query {id: 'fixture:q5'})-[:HAS]->(v:Value {field: 'task_request'}) "
        "RETURN v.value AS value, q.text AS text ORDER BY value",
        database_=graph.database,
    )
    assert [r["value"] for r in records] == ["$rows", TRICKY]
    assert records[0]["text"] == "Fix this email: ...\nThanks"
    assert summary(graph.driver, graph.database)["queries"] == 6  # nothing was deleted by the "Cypher"


def test_another_doctype_model_is_refused(graph: Graph) -> None:
    load(graph, A)
    other = fixture_model()
    other.clusters[1].name = "software"
    other.refresh_id()
    rows = plan_rows(read_jsonl(A, ExtractionRecord), other, Counts("plan"))
    with pytest.raises(ConfigError, match="another doc-type model"):
        load_rows(graph.driver, graph.database, rows, other, LoadConfig(), Counts("load"))


def test_malformed_extraction_line_is_counted(graph: Graph, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = A.read_text().splitlines()
    bad.write_text("\n".join([lines[0], "{not json", lines[1], '{"query_id": 3}']) + "\n")
    counts = load(graph, bad)
    assert counts.dropped["malformed"] == 2
    assert counts.messages[0].startswith(f"{bad}:2: invalid JSON")
    assert counts.messages[1].startswith(f"{bad}:4: ")
    assert summary(graph.driver, graph.database)["queries"] == 2
