"""Named analytics queries give exact numbers; ad-hoc Cypher is read-only and parameters stay data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from tests.conftest import SESSION_SERVER
from tests.support.walk_graphs import EMAIL_EDGES, EMAIL_NODES, add_queries, build
from wildlong.analytics import adhoc, named, named_queries
from wildlong.cli import main
from wildlong.errors import ConfigError, QueryRefused
from wildlong.graph import Graph

HOSTILE = "x'}) DETACH DELETE v // \\' MATCH (n) DETACH DELETE n"


@pytest.fixture
def email(graph: Graph) -> tuple[Graph, list[str]]:
    keys = build(graph, "email", EMAIL_NODES, EMAIL_EDGES, size=12)
    add_queries(
        graph,
        [
            ("q1", "Summarize this report as bullets", [keys[0], keys[3]]),
            ("q2", "Bullet points of the memo please", [keys[0], keys[3], keys[1]]),
            ("q3", "Is this formal enough?", [keys[5]]),
        ],
    )
    return graph, keys


def _counts(graph: Graph) -> tuple[int, int]:
    df = adhoc(
        graph.driver,
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r",
        graph.database,
    )
    return int(df["n"][0]), int(df["r"][0])


def test_every_named_query_runs_and_has_its_columns(email: tuple[Graph, list[str]]) -> None:
    graph, keys = email
    needs = {
        "doc_type": "email",
        "field": "task_type",
        "value": "summarize",
        "field_a": "task_type",
        "value_a": "summarize",
        "field_b": "output_format",
        "value_b": "bullet list",
        "paths": [keys[:2]],
        "keys": [keys[0], keys[3]],
    }
    for name, q in named_queries().items():
        df = named(graph.driver, name, graph.database, **{p: needs[p] for p in q.params if p in needs})
        assert list(df.columns) == list(q.returns), name
        assert len(df) > 0, name


def test_exact_summary_pairs_hubs_and_traces(email: tuple[Graph, list[str]]) -> None:
    graph, keys = email
    summary = named(graph.driver, "doctype_summary", graph.database).iloc[0]
    assert (summary["doc_type"], summary["queries"], summary["values"], summary["edges"]) == (
        "email",
        12,
        7,
        9,
    )
    assert summary["density"] == pytest.approx(2 * 9 / (7 * 6))
    assert summary["max_degree"] == 4

    top = named(graph.driver, "strongest_pairs", graph.database, doc_type="email", limit=1).iloc[0]
    assert {top["value_a"], top["value_b"]} == {"save time", "prepare a meeting"}
    assert top["count"] == 9 and top["weight"] == pytest.approx(math.log(10))
    assert top["lift"] == pytest.approx(9 * 12 / (6 * 3)) and top["pmi"] == pytest.approx(math.log(6.0))

    hub = named(graph.driver, "hubs", graph.database, doc_type="email", limit=1).iloc[0]
    assert hub["value"] == "summarize" and hub["degree"] == 4
    assert hub["weighted_degree"] == pytest.approx(math.log(5) + math.log(2) + math.log(8) + math.log(3))

    traced = named(
        graph.driver,
        "trace_edge",
        graph.database,
        doc_type="email",
        field_a="task_type",
        value_a="summarize",
        field_b="output_format",
        value_b="bullet list",
    )
    assert list(traced["query_id"]) == ["q1", "q2"]
    one = named(
        graph.driver, "trace_value", graph.database, doc_type="email", field="language_style", value="formal"
    )
    assert list(one["text"]) == ["Is this formal enough?"]

    cov = named(
        graph.driver, "walk_coverage", graph.database, doc_type="email", paths=[[keys[0], keys[3], keys[4]]]
    )
    row = cov.iloc[0]
    assert (row["values_visited"], row["edges_visited"]) == (3, 2)
    assert row["value_coverage"] == pytest.approx(3 / 7) and row["edge_coverage"] == pytest.approx(2 / 9)


@pytest.mark.parametrize(
    "text",
    [
        "CREATE (:Evil)",
        "MERGE (v:Value {key: 'evil'}) RETURN v",
        "MATCH (v:Value) SET v.count = 0",
        "MATCH (v:Value) DETACH DELETE v",
        "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
        "CALL db.createLabel('Evil')",
        "CALL apoc.create.node(['Evil'], {}) YIELD node RETURN node",
        "CALL apoc.cypher.runWrite('CREATE (:Evil)', {}) YIELD value RETURN value",
        "CALL apoc.load.json('file:///etc/hostname') YIELD value RETURN value",
        "CALL { CREATE (:Evil) } IN TRANSACTIONS",
        "MATCH (n) RETURN n; MATCH (n) DETACH DELETE n",
    ],
)
def test_writes_files_and_write_procedures_are_refused(email: tuple[Graph, list[str]], text: str) -> None:
    graph, _ = email
    before = _counts(graph)
    with pytest.raises(QueryRefused):
        adhoc(graph.driver, text, graph.database)
    assert _counts(graph) == before


def test_parameters_never_become_cypher(email: tuple[Graph, list[str]]) -> None:
    graph, _ = email
    before = _counts(graph)
    df = adhoc(graph.driver, "MATCH (v:Value {value: $v}) RETURN v.value AS value", graph.database, v=HOSTILE)
    assert df.empty
    echoed = adhoc(graph.driver, "RETURN $v AS v", graph.database, v=HOSTILE)
    assert echoed["v"][0] == HOSTILE
    assert named(
        graph.driver, "trace_value", graph.database, doc_type=HOSTILE, field=HOSTILE, value=HOSTILE
    ).empty
    assert _counts(graph) == before
    with pytest.raises(ConfigError, match="takes no parameter"):
        named(graph.driver, "hubs", graph.database, evil=HOSTILE)


def _cli(graph: Graph, *args: str) -> tuple[int, str]:
    env = {"NEO4J_URI": graph.uri, "NEO4J_PASSWORD": SESSION_SERVER[0].password()} if SESSION_SERVER else {}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_cli_query_formats_and_refusal(email: tuple[Graph, list[str]]) -> None:
    graph, _ = email
    code, out = _cli(
        graph, "graph", "query", "hubs", "-p", "doc_type=email", "-p", "limit=2", "--format", "json"
    )
    assert code == 0, out
    rows = json.loads(out)
    assert rows[0]["value"] == "summarize" and len(rows) == 2
    code, out = _cli(
        graph,
        "graph",
        "query",
        "--cypher",
        "MATCH (v:Value) RETURN v.field AS f ORDER BY f LIMIT 2",
        "--format",
        "csv",
    )
    assert code == 0 and out.splitlines()[0] == "f"
    code, out = _cli(graph, "graph", "query", "--cypher", "MATCH (v) DETACH DELETE v")
    assert code == 1 and out.startswith("Error: refused: the query writes")
    code, out = _cli(
        graph, "graph", "query", "--cypher", "MATCH (v:Value {value: $v}) RETURN v", "-p", f"v={HOSTILE}"
    )
    assert code == 0 and "(no rows)" in out
    # 7 values + 1 doc type + 3 queries; 9 CO_OCCURS + 7 IN_TYPE + 6 HAS: nothing was deleted
    assert _counts(graph) == (11, 22)


def _walk_folder(tmp_path: Path, name: str, graph: Graph) -> Path:
    """A run folder whose load and documents stages are marked complete (the graph is the fixture's)."""
    from tests.support.seed import seed_run

    config = tmp_path / f"{name}.yaml"
    config.write_text(f"seed: 3\ngraph:\n  uri: {graph.uri}\nwalk:\n  only_with_documents: false\n")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    folder = tmp_path / name
    seed_run(folder, config, {"load": [empty], "documents": [empty]})
    return folder


def test_cli_walk_and_plots(email: tuple[Graph, list[str]], tmp_path: Path) -> None:
    graph, _ = email
    run = _walk_folder(tmp_path, "cypher", graph)
    out = run / "walks.jsonl"
    code, text = _cli(
        graph, "walk", "-n", "5", "--min-length", "2", "--seed", "3", "-o", str(run), "--coverage"
    )
    assert code == 0, text
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 5 and {"walk_id", "doc_type", "node_ids", "fields", "values", "weights"} <= set(
        lines[0]
    )
    assert "value_coverage" in text
    code, _ = _cli(
        graph,
        "walk",
        "-n",
        "5",
        "--min-length",
        "2",
        "--seed",
        "3",
        "-o",
        str(_walk_folder(tmp_path, "numpy", graph)),
        "--engine",
        "numpy",
    )
    assert code == 0 and (tmp_path / "numpy" / "walks.jsonl").read_text() == out.read_text()
    code, text = _cli(graph, "graph", "plot", "-o", str(tmp_path / "plots"))
    assert code == 0, text
    for name in ("degree_distribution.png", "top_values.png", "strongest_pairs.png"):
        with Image.open(tmp_path / "plots" / name) as img:
            assert img.size[0] > 500 and img.size[1] > 300
