"""The dry-run's plan is the run's own: the calls it plans per LLM stage are the calls a run with the
scripted test double makes — expected ones when every reply is good, the worst case when every
structured reply needs its repair, and in between when only some do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from tests.doubles.synth_responder import synth_responder
from tests.support.runs import finish, run_config, run_env, start_run
from wildlong.graph import Graph

REPAIR = "Your previous reply was not valid JSON"


def planned(config: Path, graph: Graph) -> dict[str, tuple[int, int]]:
    out = subprocess.run(
        [sys.executable, "-m", "wildlong.cli", "run", str(config), "--dry-run"],
        env=run_env(graph),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    rows: dict[str, tuple[int, int]] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) > 4 and parts[0] != "total" and parts[1] not in ("call", "-") and parts[2].isdigit():
            rows[parts[1]] = (int(parts[2].replace(",", "")), int(parts[3].replace(",", "")))
    assert "time" in out.stdout and "expected wall time from" in out.stdout
    return rows


def sent(out: Path) -> dict[str, int]:
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    total: dict[str, int] = {}
    for entry in stages.values():
        for call, n in (entry["counts"].get("llm_requests") or {}).items():
            total[call] = total.get(call, 0) + n
    return total


def failing(stages: set[str]) -> Any:
    """Invalid JSON for the first try of every structured request of these call kinds."""

    def responder(body: dict[str, Any]) -> str:
        text = json.dumps(body["messages"])
        kind = "extract" if "meta-information" in text or "document_type" in text else "rewrite"
        structured = (body.get("response_format") or {}).get("type") == "json_schema"
        if structured and kind in stages and REPAIR not in text:
            return '{"unfinished": '
        return synth_responder(body)

    return responder


def test_planned_calls_equal_the_calls_of_the_run(graph: Graph, tmp_path: Path) -> None:
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        config = run_config(tmp_path, server, tmp_path / "good")
        plan = planned(config, graph)
        assert server.chat_count == 0
        finish(start_run(config, graph))
        actual = sent(tmp_path / "good")
        assert set(plan) == {"extract", "instruct", "rewrite", "answer"}
        assert {k: v[0] for k, v in plan.items()} == actual
        assert sum(v[0] for v in plan.values()) == server.chat_count
        assert plan["extract"][1] == 2 * plan["extract"][0] and plan["instruct"][1] == plan["instruct"][0]


def test_every_repair_used_is_the_worst_case_and_some_are_in_between(graph: Graph, tmp_path: Path) -> None:
    with ScriptedOpenAIServer(responder=failing({"extract", "rewrite"})) as server:
        config = run_config(tmp_path, server, tmp_path / "worst")
        plan = planned(config, graph)
        finish(start_run(config, graph))
        assert {k: v[1] for k, v in plan.items()} == sent(tmp_path / "worst")
        assert sum(v[1] for v in plan.values()) == server.chat_count
    with ScriptedOpenAIServer(responder=failing({"extract"})) as server:
        config = run_config(tmp_path, server, tmp_path / "some")
        plan = planned(config, graph)
        finish(start_run(config, graph))
        actual = sent(tmp_path / "some")
        assert actual["extract"] == plan["extract"][1]  # every extraction repaired once
        assert actual["rewrite"] == plan["rewrite"][0]  # rewrites all good the first time
        assert all(plan[k][0] <= actual[k] <= plan[k][1] for k in actual)
