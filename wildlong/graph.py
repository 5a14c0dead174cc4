"""The graph connection: any Neo4j through NEO4J_URI & co., or the managed server by default.

Only the CLI (or a notebook) builds a driver; every stage function takes ``driver`` and ``database``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import neo4j
from neo4j.exceptions import AuthError, ConfigurationError, DriverError, Neo4jError, ServiceUnavailable
from pydantic import BaseModel, ConfigDict, Field

from wildlong.errors import GraphError
from wildlong.neo4j_server.bolt import DRIVER_CONFIG, bolt_reachable
from wildlong.neo4j_server.server import USER, ManagedNeo4j
from wildlong.neo4j_server.settings import ServerSettings

# bolt_reachable and DRIVER_CONFIG live below the managed server (neo4j_server.bolt); re-exported here.
__all__ = ["DRIVER_CONFIG", "SCHEMES", "Graph", "GraphSettings", "bolt_reachable", "connect", "server_info"]

SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class GraphSettings(BaseModel):
    """Which Neo4j to use. ``uri=None`` means the managed server (started when needed)."""

    model_config = ConfigDict(extra="forbid")

    uri: str | None = Field(
        default=None,
        description="bolt://, neo4j://, neo4j+s://...; null = the managed server [env NEO4J_URI]",
    )
    user: str = Field("neo4j", description="user name [env NEO4J_USER]")
    password: str | None = Field(
        None, description="password for uri (the managed server's is read from its file) [env NEO4J_PASSWORD]"
    )
    database: str = Field("neo4j", description="database every query names [env NEO4J_DATABASE]")


@dataclass
class Graph:
    """An open driver and the database every query names."""

    driver: neo4j.Driver
    database: str
    uri: str
    managed: bool

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    settings: GraphSettings,
    server: ServerSettings | None = None,
    *,
    start: bool = True,
    source: str = "NEO4J_URI",
) -> Graph:
    """Open a verified driver. Without a URI the managed server is used, started when ``start``."""
    if settings.uri:
        return _open(settings.uri, (settings.user, settings.password or ""), settings.database, source, False)
    managed = ManagedNeo4j(server or ServerSettings())
    if managed.pid() is None:
        if not start:
            raise GraphError("the managed Neo4j is not running", hint="run `wildlong neo4j start`")
        managed.start()
    uri = managed.running_settings().bolt_uri
    return _open(uri, (USER, managed.password()), settings.database, "the managed server", True)


def _open(uri: str, auth: tuple[str, str], database: str, source: str, managed: bool) -> Graph:
    hint = (
        "check NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD, or unset NEO4J_URI to use the managed server"
        if not managed
        else "see `wildlong neo4j status` and `wildlong neo4j logs`"
    )
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme not in SCHEMES:
        raise GraphError(
            f"{source} is not a Bolt URI: {uri!r} (expected one of {', '.join(s + '://' for s in SCHEMES)})",
            hint=hint,
        )
    try:
        driver = neo4j.GraphDatabase.driver(uri, auth=auth, connection_timeout=10.0, **DRIVER_CONFIG)
    except (ValueError, ConfigurationError) as exc:
        raise GraphError(f"{source} is not a valid Neo4j URI: {uri!r} ({exc})", hint=hint) from None
    try:
        driver.verify_connectivity()
    except AuthError:
        driver.close()
        raise GraphError(f"Neo4j at {uri} ({source}) refused the user name or password", hint=hint) from None
    except (ServiceUnavailable, OSError, DriverError, Neo4jError) as exc:
        driver.close()
        reason = " ".join(str(exc).split())[:240] or type(exc).__name__
        raise GraphError(f"cannot reach Neo4j at {uri} ({source}): {reason}", hint=hint) from None
    return Graph(driver=driver, database=database, uri=uri, managed=managed)


def server_info(graph: Graph) -> dict[str, Any]:
    """Version and edition of the server (for status lines and version checks)."""
    from wildlong.cypher import query

    records, _, _ = graph.driver.execute_query(
        query("admin/server_info").text, database_=graph.database, routing_=neo4j.RoutingControl.READ
    )
    return dict(records[0]) if records else {}
