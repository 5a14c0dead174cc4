"""Start throwaway managed Neo4j servers for tests, through the same code users run."""

from __future__ import annotations

import socket
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
