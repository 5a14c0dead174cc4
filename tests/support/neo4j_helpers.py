"""Start throwaway managed Neo4j servers for tests, through the same code users run."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from wildlong.cypher import query
from wildlong.graph import Graph
from wildlong.neo4j_server.server import ManagedNeo4j
from wildlong.neo4j_server.settings import ServerSettings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def small_server_settings(home: Path) -> ServerSettings:
    """A small server in its own home on free ports; jars come from the user's cache (installed once)."""
    return ServerSettings(
        home=home,
        bolt_port=free_port(),
        http_port=free_port(),
        heap="1g",
        pagecache="256m",
        start_timeout_s=180,
    )


def clear(graph: Graph) -> None:
    with graph.driver.session(database=graph.database) as session:
        session.run(query("admin/clear_database").text).consume()


def start(settings: ServerSettings) -> ManagedNeo4j:
    managed = ManagedNeo4j(settings)
    managed.start()
    return managed


def kill(managed: ManagedNeo4j, timeout_s: float = 60.0) -> None:
    """SIGKILL the server's JVM (a crash: no shutdown, no checkpoint) and wait until it is gone."""
    pid = managed.pid()
    assert pid is not None, f"no managed Neo4j runs in {managed.home}"
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while managed.pid() is not None:
        assert time.monotonic() < deadline, f"Neo4j (pid {pid}) still runs {timeout_s:.0f} s after SIGKILL"
        time.sleep(0.1)


def client_env(managed: ManagedNeo4j) -> dict[str, str]:
    """The environment of a CLI subprocess that uses this server through NEO4J_URI."""
    env = dict(os.environ)
    env.update(
        NEO4J_URI=managed.running_settings().bolt_uri,
        NEO4J_USER="neo4j",
        NEO4J_PASSWORD=managed.password(),
        NEO4J_DATABASE="neo4j",
        PYTHONUNBUFFERED="1",
    )
    return env
