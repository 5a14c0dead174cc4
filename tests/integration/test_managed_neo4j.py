"""The managed Neo4j, for real: start/stop, persistence, auth, loopback-only, status, bad URIs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.neo4j_helpers import small_server_settings
from wildlong.cli import main
from wildlong.cypher import query, schema_statements
from wildlong.errors import GraphError
from wildlong.graph import Graph, GraphSettings, connect, server_info
from wildlong.neo4j_server.server import ManagedNeo4j
from wildlong.neo4j_server.settings import NEO4J_VERSION


def _listening_addresses(port: int) -> set[str]:
    """Local addresses in LISTEN state on ``port``, read from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            addr, hexport = fields[1].split(":")
            if fields[3] == "0A" and int(hexport, 16) == port:
                found.add(_decode(addr, width))
    return found


def _decode(addr: str, width: int) -> str:
    raw = bytes.fromhex(addr)
    if width == 8:
        return ".".join(str(b) for b in raw[::-1])
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    full = b"".join(words)
    if full[:12] == b"\0" * 10 + b"\xff\xff":
        return "::ffff:" + ".".join(str(b) for b in full[12:])
    return full.hex()


def _server_cli(settings_home: Path, bolt: int, http: int, *args: str) -> list[str]:
    return ["neo4j", *args, "--home", str(settings_home), "--bolt-port", str(bolt), "--http-port", str(http),
            "--heap", "1g", "--pagecache", "256m"]  # fmt: skip


def test_lifecycle_persistence_auth_and_loopback(tmp_path: Path) -> None:
    settings = small_server_settings(tmp_path / "neo4j")
    managed = ManagedNeo4j(settings)
    runner = CliRunner()
    cli = _server_cli(settings.home, settings.bolt_port, settings.http_port, "status")

    stopped = runner.invoke(main, cli)
    assert stopped.exit_code == 3 and "stopped" in stopped.output

    assert managed.start() is True
    try:
        assert managed.start() is False  # idempotent
        again = runner.invoke(
            main, _server_cli(settings.home, settings.bolt_port, settings.http_port, "start")
        )
        assert again.exit_code == 0 and "already running" in again.output
        running = runner.invoke(main, cli)
        assert running.exit_code == 0 and f"running (pid {managed.pid()})" in running.output
        assert f"http://127.0.0.1:{settings.http_port}/browser/" in running.output

        # password file readable by the user only
        assert (managed.password_file.stat().st_mode & 0o777) == 0o600

        # loopback only, on both ports
        for port in (settings.bolt_port, settings.http_port):
            assert _listening_addresses(port) <= {"127.0.0.1", "::ffff:127.0.0.1"}
            assert _listening_addresses(port)

        with connect(GraphSettings(), settings, start=False) as g:
            assert server_info(g)["version"] == NEO4J_VERSION
            g.driver.execute_query("CREATE (:Probe {word: $w})", w="persisted", database_=g.database)

        with pytest.raises(GraphError, match="refused the user name or password"):
            connect(GraphSettings(uri=settings.bolt_uri, password="wrong-password"))
    finally:
        assert managed.stop() is True
    assert managed.pid() is None
    assert managed.stop() is False
    after = runner.invoke(main, cli)
    assert after.exit_code == 3 and "stopped" in after.output

    managed.start()
    try:
        with connect(GraphSettings(), settings, start=False) as g:
            records, _, _ = g.driver.execute_query("MATCH (p:Probe) RETURN p.word AS w", database_=g.database)
            assert [r["w"] for r in records] == ["persisted"]
    finally:
        managed.stop()


def test_bad_neo4j_uri_is_one_line_naming_it() -> None:
    result = CliRunner().invoke(main, ["graph", "info"], env={"NEO4J_URI": "bolt://127.0.0.1:1"})
    assert result.exit_code == 1
    assert result.output.count("\n") == 1, result.output
    assert result.output.startswith("Error: cannot reach Neo4j at bolt://127.0.0.1:1 (NEO4J_URI)")

    result = CliRunner().invoke(main, ["graph", "info"], env={"NEO4J_URI": "http://127.0.0.1:7474"})
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "NEO4J_URI is not a Bolt URI: 'http://127.0.0.1:7474'" in result.output


def test_graph_info_through_neo4j_uri(neo4j_session: Graph) -> None:
    env = (
        {} if os.environ.get("NEO4J_URI") else {"NEO4J_URI": neo4j_session.uri, "NEO4J_PASSWORD": _password()}
    )
    result = CliRunner().invoke(main, ["graph", "info"], env=env)
    assert result.exit_code == 0, result.output
    assert f"Kernel {NEO4J_VERSION} community" in result.output


def _password() -> str:
    from tests.conftest import SESSION_SERVER

    assert SESSION_SERVER, "the session fixture started no managed server"
    return SESSION_SERVER[0].password()


def test_explain_every_shipped_cypher_file(graph: Graph) -> None:
    from wildlong.cypher import registry

    for statement in schema_statements():
        graph.driver.execute_query(statement.text, database_=graph.database)
    with graph.driver.session(database=graph.database) as session:
        for name, q in registry().items():
            summary = session.run("EXPLAIN " + q.text).consume()
            assert summary.plan is not None or summary.query_type == "s", name


def test_schema_is_idempotent(graph: Graph) -> None:
    for _ in range(2):
        for statement in schema_statements():
            graph.driver.execute_query(statement.text, database_=graph.database)
    records, _, _ = graph.driver.execute_query(
        "SHOW CONSTRAINTS YIELD name RETURN name", database_=graph.database
    )
    assert {"value_key", "query_id", "doctype_name"} <= {r["name"] for r in records}
    assert query("admin/counts").params == ()


def test_a_password_that_looks_like_an_option_is_set(tmp_path: Path) -> None:
    """neo4j-admin must not read a password starting with '-' as an option (regression)."""
    from wildlong.neo4j_server.tools import find_java

    managed = ManagedNeo4j(small_server_settings(tmp_path / "neo4j"))
    managed.home.mkdir(parents=True)
    managed.password_file.write_text("-looks-like-an-option\n")
    managed._prepare(find_java())
    assert (managed.home / "data" / "dbms" / "auth.ini").exists()
    assert ManagedNeo4j(small_server_settings(tmp_path / "other")).password().startswith("wl")
