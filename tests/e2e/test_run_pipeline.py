"""`wildlong run` end to end: real Neo4j, the scripted OpenAI test double as the LLM, real shared data.

Checks record counts, the dataset schema, provenance links back to (:Query) nodes, and that a run killed
with SIGKILL in the middle of an LLM stage resumes to the identical dataset without repaying calls.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from tests.doubles.synth_responder import synth_responder
from tests.support.runs import digest, finish, run_config, run_env, start_run
from wildlong.graph import Graph


def test_run_writes_a_dataset_with_provenance_to_the_graph(graph: Graph, tmp_path: Path) -> None:
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        out = tmp_path / "run"
        text = finish(start_run(run_config(tmp_path, server, out), graph))
        assert "dataset:" in text and "wall time:" in text
        first_calls = server.chat_count
        rerun = finish(start_run(run_config(tmp_path, server, out), graph))
        assert server.chat_count == first_calls  # everything complete: nothing sent again
        assert rerun.count("complete already") == 11

    manifest = json.loads((out / "manifest.json").read_text())["stages"]
    records = [json.loads(line) for line in (out / "dataset" / "train.jsonl").read_text().splitlines()]
    assert len(records) == manifest["dataset"]["counts"]["kept"] == manifest["generate"]["counts"]["kept"]
    assert len(records) >= 3
    # walks go only to doc types that documents were classified into: nothing is lost for want of one
    with_docs = set(manifest["documents"]["counts"]["per_doc_type"])
    assert set(manifest["walk"]["counts"]["per_doc_type"]) <= with_docs
    assert "no_document_of_type" not in manifest["pair"]["counts"].get("dropped", {})
    gen = manifest["generate"]["counts"]
    assert gen["seen"] == gen["kept"] + sum(gen["dropped"].values())
    for r in records:
        assert [m["role"] for m in r["messages"]] == ["user", "assistant"]
        assert "=== Document" in r["messages"][0]["content"]
        p = r["provenance"]
        assert len(p["node_ids"]) == len(p["fields"]) == len(p["values"]) >= 2
        assert p["query_ids"] and p["document_ids"] and p["seed"] == 11
        assert set(p["prompts"]) == {"instruct", "rewrite", "answer", "map_notes", "reduce_answer"}
    # every provenance query id is a real (:Query) of the graph holding one of the walk's values
    for r in records:
        rows, _, _ = graph.driver.execute_query(
            "UNWIND $ids AS id MATCH (q:Query {id: id})-[:HAS]->(v:Value) WHERE v.key IN $keys "
            "RETURN count(DISTINCT q) AS n",
            ids=r["provenance"]["query_ids"],
            keys=r["provenance"]["node_ids"],
            database_=graph.database,
        )
        assert rows[0]["n"] == len(r["provenance"]["query_ids"])
    # both files load with 🤗 datasets as they are
    import datasets

    for name in ("train.jsonl", "train.parquet"):
        kind = "json" if name.endswith("jsonl") else "parquet"
        loaded = datasets.load_dataset(kind, data_files=str(out / "dataset" / name), split="train")
        assert loaded.num_rows == len(records) and loaded[0]["messages"][1]["role"] == "assistant"
    assert (out / "dataset" / "README.md").read_text().count("| generate |") == 1
    assert (out / "dataset" / "lengths.png").stat().st_size > 1000
    # the run's walk health: in the card, in dataset/health.json, and in `wildlong report`
    health = json.loads((out / "dataset" / "health.json").read_text())["overall"]
    assert health["walks"] == manifest["walk"]["counts"]["kept"]
    assert health["novel"] + health["replay"] + health["unheld"] == pytest.approx(1.0)
    assert "## Graph health" in (out / "dataset" / "README.md").read_text()
    from click.testing import CliRunner

    from wildlong.cli import main

    report = CliRunner().invoke(main, ["report", str(out)])
    assert report.exit_code == 0, report.output
    assert f"| walk replay | {health['replay']:.3f} |" in report.output
    assert f"| walk attested pairs | {health['attested_pairs']:.3f} |" in report.output


def test_kill_minus_nine_then_resume_gives_the_identical_dataset(graph: Graph, tmp_path: Path) -> None:
    with ScriptedOpenAIServer(responder=synth_responder, latency_s=0.02) as server:
        whole = tmp_path / "whole"
        finish(start_run(run_config(tmp_path, server, whole), graph))
        server.reset()

        killed = tmp_path / "killed"
        config = run_config(tmp_path, server, killed)
        proc = start_run(config, graph)
        deadline = time.monotonic() + 300
        while server.chat_count < 12 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, proc.communicate()[0]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        before = [digest(b) for b in server.bodies()]
        server.reset()
        finish(start_run(config, graph))
        after = [digest(b) for b in server.bodies()]

    repaid = set(before) & set(after)
    assert len(repaid) <= 2  # at most the requests in flight at the kill (max_concurrency 2) are sent again
    assert (killed / "dataset" / "train.jsonl").read_bytes() == (
        whole / "dataset" / "train.jsonl"
    ).read_bytes()
    assert (killed / "dataset" / "train.parquet").exists()


@pytest.mark.parametrize("flag", ["--dry-run"])
def test_dry_run_sends_nothing(graph: Graph, tmp_path: Path, flag: str) -> None:
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "wildlong.cli",
                "run",
                str(run_config(tmp_path, server, tmp_path / "dry")),
                flag,
            ],
            env=run_env(graph),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert server.chat_count == 0
    lines = out.stdout.splitlines()
    extract = next(line for line in lines if line.startswith("extract"))
    assert extract.split()[2] == "30"  # one call per query read
    assert any(line.startswith("total") for line in lines)
