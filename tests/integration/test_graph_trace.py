"""`wildlong graph trace` against the real server: a graph loaded by the loader, walks written by hand.

Doc type "email", three queries (each also holds its document_type value):
  q1 {summarize, bullet list, finance}   q2 {summarize, law, formal}   q3 {rewrite, bullet list, formal}
Walks: a replay of q1 {summarize, bullet list, finance} (q2 and q3 hold one value each); a novel walk
{summarize, bullet list, formal} (each query holds two of the three); an unheld one {finance, ghost}.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from tests.conftest import SESSION_SERVER
from wildlong.cli import main
from wildlong.graph import Graph
from wildlong.keys import value_key
from wildlong.loader.config import LoadConfig
from wildlong.loader.doctypes import DocTypeCluster, DocTypeModel
from wildlong.loader.graph_load import load_extractions
from wildlong.loader.records import ExtractionRecord, QueryRecord
from wildlong.records import Counts, write_jsonl
from wildlong.synth.walks import Walk

pytestmark = pytest.mark.graph

LONG = "Rewrite these notes as bullets,\n\n keep it formal. " + "x" * 400
QUERIES = {
    "q1": ({"task_type": ["summarize"], "output_format": ["bullet list"], "domain": ["finance"]},
           "Summarize the Q3 finance report as bullet points."),
    "q2": ({"task_type": ["summarize"], "domain": ["law"], "language_style": ["formal"]},
           "Formally summarize this contract for the legal team."),
    "q3": ({"task_type": ["rewrite"], "output_format": ["bullet list"], "language_style": ["formal"]}, LONG),
}  # fmt: skip
LONG_LINE = ("Rewrite these notes as bullets, keep it formal. " + "x" * 400)[:299] + "…"
FIELDS = {"summarize": "task_type", "bullet list": "output_format", "finance": "domain",
          "formal": "language_style", "ghost": "domain"}  # fmt: skip


def model() -> DocTypeModel:
    clusters = [DocTypeCluster(k_index=0, name="email", values=1, queries=3, central="email", top=["email"])]
    m = DocTypeModel(field="document_type", embedding_model="none", k=1, silhouette=None, naming="central",
                     clusters=clusters, assignments={"email": 0})  # fmt: skip
    m._centroids = np.eye(1, 4, dtype=np.float32)
    m.refresh_id()
    return m


def load(graph: Graph, tmp_path: Path, config: LoadConfig) -> None:
    records = [
        ExtractionRecord(query_id=qid, source="t", conversation_id=qid, model="m", prompt_name="extract",
                         prompt_version="v", fields={"document_type": ["email"], **fields}, text=text)
        for qid, (fields, text) in QUERIES.items()
    ]  # fmt: skip
    path = tmp_path / "loaded" / "extractions.jsonl"
    write_jsonl(path, records)
    load_extractions(graph.driver, graph.database, [path], model(), config, Counts("load"), progress=False)


def walk(walk_id: str, values: list[str]) -> Walk:
    fields = [FIELDS[v] for v in values]
    return Walk(walk_id=walk_id, doc_type="email", node_ids=[value_key("email", f, v) for f, v in
                zip(fields, values, strict=True)], fields=fields, values=values, weights=[],
                strategy="weighted", seed=0, index=0)  # fmt: skip


WALKS = [
    walk("w-replay", ["summarize", "bullet list", "finance"]),
    walk("w-novel", ["summarize", "bullet list", "formal"]),
    walk("w-unheld", ["finance", "ghost"]),
]


def run_folder(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    write_jsonl(run / "walks.jsonl", WALKS)
    return run


def cli(graph: Graph, *args: str) -> Result:
    env = {"NEO4J_URI": graph.uri, "NEO4J_PASSWORD": SESSION_SERVER[0].password()} if SESSION_SERVER else {}
    return CliRunner().invoke(main, ["graph", "trace", *args], env=env)


def test_texts_from_the_graph(graph: Graph, tmp_path: Path) -> None:
    load(graph, tmp_path, LoadConfig())
    run = run_folder(tmp_path)
    result = cli(graph, "-o", str(run))  # default: the first 3 walks
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "walk w-replay  (email, 3 values)",
        "  task_type: summarize         held by 2 queries",
        "  output_format: bullet list   held by 2 queries",
        "  domain: finance              held by 1 query",
        "replay: q1 holds all 3 values; 3 queries hold >= 1 of them",
        "  q1  3/3  task_type: summarize; output_format: bullet list; domain: finance",
        "      Summarize the Q3 finance report as bullet points.",
        "  q2  1/3  task_type: summarize",
        "      Formally summarize this contract for the legal team.",
        "  q3  1/3  output_format: bullet list",
        f"      {LONG_LINE}",
        "",
        "walk w-novel  (email, 3 values)",
        "  task_type: summarize         held by 2 queries",
        "  output_format: bullet list   held by 2 queries",
        "  language_style: formal       held by 2 queries",
        "novel: no query holds all 3 values (at most 2, q1); it combines 3 queries",
        "  q1  2/3  task_type: summarize; output_format: bullet list",
        "      Summarize the Q3 finance report as bullet points.",
        "  q2  2/3  task_type: summarize; language_style: formal",
        "      Formally summarize this contract for the legal team.",
        "  q3  2/3  output_format: bullet list; language_style: formal",
        f"      {LONG_LINE}",
        "",
        "walk w-unheld  (email, 2 values)",
        "  domain: finance   held by 1 query",
        "  domain: ghost     held by 0 queries",
        "unheld: no query holds domain: ghost (not in the graph?); 1 query holds the rest",
        "  q1  1/2  domain: finance",
        "      Summarize the Q3 finance report as bullet points.",
    ]
    # chosen walks, at most one query each, as JSON
    result = cli(graph, "-o", str(run), "w-novel", "w-replay", "--max-queries", "1", "--json")
    assert result.exit_code == 0, result.output
    walks = json.loads(result.output)["walks"]
    assert [(w["walk_id"], w["verdict"], w["queries"], w["replays"]) for w in walks] == [
        ("w-novel", "novel", 3, 0),
        ("w-replay", "replay", 3, 1),
    ]
    assert [[h["query_id"] for h in w["holders"]] for w in walks] == [["q1"], ["q1"]]
    assert walks[1]["holders"][0]["values"] == [
        {"field": "task_type", "value": "summarize"},
        {"field": "output_format", "value": "bullet list"},
        {"field": "domain", "value": "finance"},
    ]
    assert walks[1]["holders"][0]["text_from"] == "graph"
    text = cli(graph, "-o", str(run), "w-novel", "--max-queries", "2").output
    assert "  … 1 more query (each holding <= 2 of the values; --max-queries 0 shows all)" in text


def test_texts_from_the_run_folder_when_loaded_without_text(graph: Graph, tmp_path: Path) -> None:
    load(graph, tmp_path, LoadConfig(store_text=False))
    run = run_folder(tmp_path)
    # queries.jsonl has q1 and q2; extractions.jsonl (kept text) has q3
    write_jsonl(run / "queries.jsonl", [
        QueryRecord(query_id=q, source="t", conversation_id=q, text=f"{q} as read:  {QUERIES[q][1]}")
        for q in ("q2", "q1")
    ])  # fmt: skip
    write_jsonl(run / "extractions.jsonl", [
        ExtractionRecord(query_id="q3", source="t", conversation_id="q3", model="m", prompt_name="extract",
                         prompt_version="v", fields={}, text="q3 kept by extract")
    ])  # fmt: skip
    result = cli(graph, "-o", str(run), "w-replay")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[4:] == [
        "replay: q1 holds all 3 values; 3 queries hold >= 1 of them",
        "  q1  3/3  task_type: summarize; output_format: bullet list; domain: finance",
        "      q1 as read: Summarize the Q3 finance report as bullet points.  (text from queries.jsonl)",
        "  q2  1/3  task_type: summarize",
        "      q2 as read: Formally summarize this contract for the legal team.  (text from queries.jsonl)",
        "  q3  1/3  output_format: bullet list",
        "      q3 kept by extract  (text from extractions.jsonl)",
    ]
    # --walks in a folder without queries.jsonl or extractions.jsonl: no text, said why
    bare = tmp_path / "bare"
    write_jsonl(bare / "walks.jsonl", WALKS[2:])
    result = cli(graph, "--walks", str(bare / "walks.jsonl"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "  q1  1/2  domain: finance",
        "      (no text: loaded without text and the run folder has no queries.jsonl)",
    ]


def test_bad_walk_id_is_one_line_exit_2(tmp_path: Path) -> None:
    run = run_folder(tmp_path)  # the walks are read before the graph is reached
    result = CliRunner().invoke(main, ["graph", "trace", "-o", str(run), "w-replay", "w-nope"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: no walk 'w-nope' in {run / 'walks.jsonl'} (3 walks) — walk ids look like "
                      "'weighted-s0-d0-0': see the walk_id of its lines"]  # fmt: skip
    assert len(result.output.splitlines()) == 1
