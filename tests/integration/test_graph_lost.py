"""Neo4j killed (SIGKILL) while a stage of `wildlong run` uses it: exit 1, one line on stderr naming Neo4j
and the stage, no traceback; restarted on the same home and ports, the same command resumes to the dataset
an uninterrupted run writes.

Each test starts its own managed server (the session's is never killed); the uninterrupted run uses the
session's. The LLM is the scripted test double (deterministic replies), shared by every run here.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from tests.doubles.synth_responder import synth_responder
from tests.support.neo4j_helpers import client_env, kill, small_server_settings, start
from tests.support.runs import finish, run_config, start_run
from wildlong.graph import Graph, GraphSettings, connect
from wildlong.neo4j_server.server import ManagedNeo4j

DEADLINE_S = 300.0


def small_config(tmp: Path, llm: ScriptedOpenAIServer, out: Path) -> Path:
    """The e2e run config, smaller: 20 conversations, 8 walks."""
    path = run_config(tmp, llm, out)
    cfg = yaml.safe_load(path.read_text())
    cfg["read"]["limit"] = 20
    cfg["walk"]["walks"] = 8
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer(responder=synth_responder) as server:
        yield server


@pytest.fixture(scope="module")
def uninterrupted(
    neo4j_session: Graph, llm: ScriptedOpenAIServer, tmp_path_factory: pytest.TempPathFactory
) -> bytes:
    """dataset/train.jsonl of the same config run without interruption (on the session's server)."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    finish(start_run(small_config(tmp, llm, tmp / "run"), neo4j_session))
    return (tmp / "run" / "dataset" / "train.jsonl").read_bytes()


@pytest.fixture
def own_neo4j(tmp_path: Path) -> Iterator[ManagedNeo4j]:
    managed = start(small_server_settings(tmp_path / "neo4j"))
    try:
        yield managed
    finally:
        managed.stop()


def run_cli(config: Path, managed: ManagedNeo4j, log: Path) -> subprocess.Popen[str]:
    """`wildlong run CONFIG` against ``managed``; stdout to ``log``.out, stderr to ``log``.err."""
    with log.with_suffix(".out").open("w") as stdout, log.with_suffix(".err").open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "wildlong.cli", "run", str(config)],
            env=client_env(managed),
            stdout=stdout,
            stderr=stderr,
            text=True,
        )


def wait_for(proc: subprocess.Popen[str], log: Path, what: str, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not ready():
        output = log.with_suffix(".out").read_text() + log.with_suffix(".err").read_text()
        assert proc.poll() is None, f"the run ended before {what}:\n{output}"
        assert time.monotonic() < deadline, f"no {what} within {DEADLINE_S:.0f} s:\n{output}"
        time.sleep(0.05)


def printed(log: Path, prefix: str) -> Callable[[], bool]:
    return lambda: any(line.startswith(prefix) for line in log.with_suffix(".out").read_text().splitlines())


def schema_created(managed: ManagedNeo4j) -> Callable[[], bool]:
    """True once the load stage has created the graph's constraints (its first write)."""
    settings = GraphSettings(uri=managed.running_settings().bolt_uri, password=managed.password())
    graph = connect(settings)

    def ready() -> bool:
        records, _, _ = graph.driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")
        if records[0]["n"] == 0:
            return False
        graph.close()
        return True

    return ready


def assert_one_line(proc: subprocess.Popen[str], log: Path, stage: str) -> None:
    proc.wait(timeout=DEADLINE_S)
    out, err = log.with_suffix(".out").read_text(), log.with_suffix(".err").read_text()
    assert proc.returncode == 1, out + err
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Neo4j" in lines[0] and f"during {stage}" in lines[0], lines[0]


@pytest.mark.parametrize(
    ("stage", "kept"),
    [
        ("load", ["read", "extract", "doctypes"]),
        ("walk", ["read", "extract", "doctypes", "load", "documents"]),
    ],
)
def test_neo4j_killed_during_a_stage_is_one_line_and_the_run_resumes(
    stage: str,
    kept: list[str],
    own_neo4j: ManagedNeo4j,
    llm: ScriptedOpenAIServer,
    uninterrupted: bytes,
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    config = small_config(tmp_path, llm, out)
    log = tmp_path / "killed"
    proc = run_cli(config, own_neo4j, log)
    try:
        wait_for(proc, log, f"'> {stage}'", printed(log, f"> {stage}"))
        if stage == "load":  # the stage opens the connection: kill once it is in use
            wait_for(proc, log, "the load stage's schema", schema_created(own_neo4j))
        kill(own_neo4j)
        assert_one_line(proc, log, stage)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    own_neo4j.start()  # same home, same ports: the data it had recovered from its transaction log
    resumed = tmp_path / "resumed"
    proc = run_cli(config, own_neo4j, resumed)
    proc.wait(timeout=DEADLINE_S * 2)
    text = resumed.with_suffix(".out").read_text() + resumed.with_suffix(".err").read_text()
    assert proc.returncode == 0, text
    for name in kept:  # finished stages are kept
        assert f"= {name:<10} complete already" in text, text
    assert f"✓ {stage:<10}" in text
    assert (out / "dataset" / "train.jsonl").read_bytes() == uninterrupted
