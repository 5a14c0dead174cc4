"""Shared fixtures. The graph fixtures use a real Neo4j: never mocked, never skipped.

Without NEO4J_URI a throwaway managed server is started for the session (own home in a temp folder,
free ports) through the same code `wildlong neo4j start` runs; with NEO4J_URI that server is used.
If neither works, every graph test fails loudly with the server's log tail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from wildlong.errors import WildLongError
from wildlong.graph import Graph, GraphSettings, connect
from wildlong.neo4j_server.server import ManagedNeo4j

# The managed server the session fixture started (empty when NEO4J_URI is used).
SESSION_SERVER: list[ManagedNeo4j] = []


@pytest.fixture(scope="session")
def neo4j_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    from tests.support.neo4j_helpers import small_server_settings

    managed: ManagedNeo4j | None = None
    try:
        if os.environ.get("NEO4J_URI"):
            settings = GraphSettings(
                uri=os.environ["NEO4J_URI"],
                user=os.environ.get("NEO4J_USER", "neo4j"),
                password=os.environ.get("NEO4J_PASSWORD"),
                database=os.environ.get("NEO4J_DATABASE", "neo4j"),
            )
            graph = connect(settings)
        else:
            server = small_server_settings(tmp_path_factory.mktemp("neo4j-session"))
            managed = ManagedNeo4j(server)
            SESSION_SERVER.append(managed)
            graph = connect(GraphSettings(), server)
    except WildLongError as exc:
        detail = exc.message + (f"\n{exc.hint}" if exc.hint else "")
        pytest.fail(f"Neo4j for the tests could not be started or reached:\n{detail}", pytrace=False)
    try:
        yield graph
    finally:
        graph.close()
        if managed is not None:
            managed.stop()


@pytest.fixture
def graph(neo4j_session: Graph) -> Graph:
    """The session's Neo4j, emptied before the test."""
    from tests.support.neo4j_helpers import clear

    clear(neo4j_session)
    return neo4j_session
