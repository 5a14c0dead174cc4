"""`wildlong graph health` against the real server: a graph loaded by the loader, walks crafted by hand.

Doc type "email" (3 queries), "code" (1 query):
  q1 email {summarize, bullet list, finance}   q2 email {summarize, law, formal}
  q3 email {rewrite, bullet list, formal}      q4 code  {summarize, software}
Every query also holds its document_type value. Email: 7 values, 4 held by >= 2 queries (email,
summarize, bullet list, formal); 15 CO_OCCURS edges, degrees [6, 5, 5, 5, 3, 3, 3].
Walks (email): replay = q1's {summarize, bullet list, finance} (a mix too: summarize is also q2's);
novel = {summarize, bullet list, formal} (every pair attested, by q1, q2 and q3, but no query holds all
three); unattested = {finance, law, rewrite} (novel, no pair held together); unheld = {summarize, ghost}
(ghost is not in the graph, so not a mix).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from tests.conftest import SESSION_SERVER
from wildlong.analytics.health import (
    DEFINITIONS,
    GRAPH_METRICS,
    WALK_METRICS,
    fetch_values,
    graph_summary,
    health_report,
)
from wildlong.cli import main
from wildlong.graph import Graph
from wildlong.keys import value_key
from wildlong.loader.config import LoadConfig
from wildlong.loader.doctypes import DocTypeCluster, DocTypeModel
from wildlong.loader.graph_load import load_extractions
from wildlong.loader.records import ExtractionRecord
from wildlong.records import Counts, write_jsonl
from wildlong.synth.walks import Walk

pytestmark = pytest.mark.graph

QUERIES = {
    "q1": ("email", {"task_type": ["summarize"], "output_format": ["bullet list"], "domain": ["finance"]}),
    "q2": ("email", {"task_type": ["summarize"], "domain": ["law"], "language_style": ["formal"]}),
    "q3": (
        "email",
        {"task_type": ["rewrite"], "output_format": ["bullet list"], "language_style": ["formal"]},
    ),
    "q4": ("python script", {"task_type": ["summarize"], "domain": ["software"]}),
}


def model() -> DocTypeModel:
    clusters = [
        DocTypeCluster(k_index=0, name="email", values=1, queries=3, central="email", top=["email"]),
        DocTypeCluster(k_index=1, name="code", values=1, queries=1, central="python script", top=[]),
    ]
    m = DocTypeModel(field="document_type", embedding_model="none", k=2, silhouette=None, naming="central",
                     clusters=clusters, assignments={"email": 0, "python script": 1})  # fmt: skip
    m._centroids = np.eye(2, 4, dtype=np.float32)
    m.refresh_id()
    return m


def load(graph: Graph, tmp_path: Path) -> None:
    records = [
        ExtractionRecord(query_id=qid, source="t", conversation_id=qid, model="m", prompt_name="extract",
                         prompt_version="v", fields={"document_type": [doc], **fields})
        for qid, (doc, fields) in QUERIES.items()
    ]  # fmt: skip
    path = tmp_path / "extractions.jsonl"
    write_jsonl(path, records)
    load_extractions(
        graph.driver, graph.database, [path], model(), LoadConfig(), Counts("load"), progress=False
    )


def key(field: str, value: str) -> str:
    return value_key("email", field, value)


S, B, F = key("task_type", "summarize"), key("output_format", "bullet list"), key("domain", "finance")
L, R, FORMAL = key("domain", "law"), key("task_type", "rewrite"), key("language_style", "formal")
GHOST = key("domain", "ghost")


def walk(i: int, keys: list[str]) -> Walk:
    return Walk(walk_id=f"w{i}", doc_type="email", node_ids=keys, fields=["f"] * len(keys),
                values=["v"] * len(keys), weights=[], strategy="weighted", seed=0, index=i)  # fmt: skip


WALKS = [walk(0, [S, B, F]), walk(1, [S, B, FORMAL]), walk(2, [F, L, R]), walk(3, [S, GHOST])]


def test_graph_summary_per_doc_type(graph: Graph, tmp_path: Path) -> None:
    load(graph, tmp_path)
    summary = graph_summary(fetch_values(graph.driver, graph.database, None))
    email = summary["per_doc_type"]["email"]
    assert email == {"values": 7, "shared_values": 4, "shared_share": 4 / 7, "degree_mean": 30 / 7,
                     "degree_median": 5, "degree_max": 6, "isolated": 0, "fields": 5}  # fmt: skip
    code = summary["per_doc_type"]["code"]
    assert (code["values"], code["shared_values"], code["degree_mean"], code["fields"]) == (3, 0, 2.0, 3)
    assert summary["overall"]["values"] == 10
    assert summary["overall"]["shared_values"] == 4
    assert summary["overall"]["fields"] == 8


def test_exact_walk_figures(graph: Graph, tmp_path: Path) -> None:
    load(graph, tmp_path)
    report = health_report(graph.driver, graph.database, WALKS, compare=())
    assert report["missing_values"] == 1
    assert report["graph"]["overall"]["values"] == 7  # only the walks' doc types
    run = report["strategies"]["run"]["overall"]
    occurrences = [3, 2, 2, 1, 1, 1, 1]  # summarize, bullet list, finance, formal, law, rewrite, ghost
    entropy = -sum(c / 11 * math.log2(c / 11) for c in occurrences)
    expected = {
        "walks": 4, "mean_length": 11 / 4, "queries_per_walk": (3 + 3 + 3 + 2) / 4,
        "mix": 0.75, "replay": 0.25, "novel": 0.5, "unheld": 0.25, "attested_pairs": 6 / 10,
        "fully_attested": 0.5,
        "field_coverage": 4 / 5, "value_entropy": entropy, "value_entropy_norm": entropy / math.log2(7),
        "distinct_1": 7 / 11, "distinct_2": 9 / 10,
    }  # fmt: skip
    assert run.keys() == expected.keys()
    for name, value in expected.items():
        assert run[name] == pytest.approx(value), name
    assert report["strategies"]["run"]["per_doc_type"]["email"] == run


def test_comparison_strategies_are_sampled(graph: Graph, tmp_path: Path) -> None:
    load(graph, tmp_path)
    report = health_report(graph.driver, graph.database, WALKS[:3], n=6, length=3, seed=1)
    assert list(report["strategies"]) == ["run", "uniform", "independent", "random"]
    for name in ("uniform", "independent", "random"):
        metrics = report["strategies"][name]["overall"]
        assert metrics["walks"] == 6, name
        assert metrics["unheld"] == 0.0, name
        assert metrics["novel"] + metrics["replay"] == pytest.approx(1.0), name
        assert metrics["mix"] >= metrics["novel"], name
    # every step of a graph walk follows a CO_OCCURS edge, so its adjacent pairs are always attested
    assert report["strategies"]["uniform"]["overall"]["attested_pairs"] > 0


def cli(graph: Graph, *args: str) -> Result:
    env = {"NEO4J_URI": graph.uri, "NEO4J_PASSWORD": SESSION_SERVER[0].password()} if SESSION_SERVER else {}
    return CliRunner().invoke(main, list(args), env=env)


def test_cli_json_has_every_metric(graph: Graph, tmp_path: Path) -> None:
    load(graph, tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    write_jsonl(run / "walks.jsonl", WALKS)
    result = cli(graph, "graph", "health", "-o", str(run), "--json", "--compare", "random")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["definitions"] == DEFINITIONS
    assert set(report["strategies"]) == {"run", "random"}
    for scope in (report["graph"]["overall"], report["graph"]["per_doc_type"]["email"]):
        assert set(scope) == set(GRAPH_METRICS)
    for metrics in report["strategies"].values():
        assert set(metrics["overall"]) == set(WALK_METRICS)
    assert report["strategies"]["run"]["overall"]["replay"] == 0.25
    text = cli(graph, "graph", "health", "--walks", str(run / "walks.jsonl"), "--compare", "")
    assert text.exit_code == 0, text.output
    assert "replay" in text.output and "email / run" in text.output
    assert "1 values of the walks are not in the graph" in text.output
