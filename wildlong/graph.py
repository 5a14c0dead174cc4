"""The graph connection: any Neo4j through NEO4J_URI & co., or the managed server by default.

Only the CLI (or a notebook) builds a driver; every stage function takes ``driver`` and ``database``.

When the server goes away mid-run: managed transactions (``execute_query``, ``execute_write``) retry
connection and transient errors for ``RETRY_TIME_S``; auto-commit work (``CALL {…} IN TRANSACTIONS``)
retries the same way through :func:`run_autocommit`; what still fails reaches the run as
``ServiceUnavailable`` (:func:`lost_as_unavailable`), which it reports as one line. The driver's own log
lines (every retry, every dead socket) stay out of the terminal.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import neo4j
from neo4j.exceptions import (
    AuthError,
    ConfigurationError,
    ConnectionAcquisitionTimeoutError,
    DatabaseUnavailable,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
)
from pydantic import BaseModel, ConfigDict, Field

from wildlong.errors import GraphError
from wildlong.neo4j_server.bolt import DRIVER_CONFIG, bolt_reachable
from wildlong.neo4j_server.server import USER, ManagedNeo4j
from wildlong.neo4j_server.settings import ServerSettings

# bolt_reachable and DRIVER_CONFIG live below the managed server (neo4j_server.bolt); re-exported here.
__all__ = [
    "DRIVER_CONFIG",
    "SCHEMES",
    "Graph",
    "GraphSettings",
    "bolt_reachable",
    "connect",
    "lost_as_unavailable",
    "run_autocommit",
    "server_info",
]

SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
# A server that stopped answering is given up about 15 s later (retries at ~0, 1, 3, 7 and 15 s); a slow
# but healthy one is never cut short: neither limit bounds how long a query may run.
RETRY_TIME_S = 10.0  # managed transactions start no new attempt after this (the driver's default: 30)
CONNECT_TIMEOUT_S = 10.0  # one TCP connect
ACQUIRE_TIMEOUT_S = 30.0  # a connection from the pool, the Bolt handshake and login included (default: 60)
# Raised instead of ServiceUnavailable when the server shuts down (SIGTERM, `wildlong neo4j stop`) or the
# pool gets no connection at all; they mean the same for a run.
GONE = (DatabaseUnavailable, ConnectionAcquisitionTimeoutError)
# The commands that connect through here have no --bolt-port or --http-port (`wildlong neo4j` has them).
PORT_HINT = (
    "start the managed server on free ports first (`wildlong neo4j start --bolt-port PORT --http-port PORT`; "
    "this command then uses it), stop what holds the port, or point NEO4J_URI at another Neo4j"
)

# On the "neo4j" logger: the driver's warnings never fall through to Python's last-resort stderr handler
# (an application that configures logging still gets them).
_QUIET = logging.NullHandler()

P = ParamSpec("P")
R = TypeVar("R")


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
        try:
            managed.start()
        except GraphError as exc:
            if server is None and "-port" in (exc.hint or ""):  # a busy port: name a flag that exists
                raise GraphError(exc.message, hint=PORT_HINT) from None
            raise
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
    logging.getLogger("neo4j").addHandler(_QUIET)  # once: a logger holds a handler at most once
    try:
        driver = neo4j.GraphDatabase.driver(
            uri,
            auth=auth,
            connection_timeout=CONNECT_TIMEOUT_S,
            connection_acquisition_timeout=ACQUIRE_TIMEOUT_S,
            max_transaction_retry_time=RETRY_TIME_S,
            **DRIVER_CONFIG,
        )
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


def run_autocommit(driver: neo4j.Driver, database: str, steps: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Run ``(query, parameters)`` steps in order, each in an auto-commit transaction (what ``CALL {…} IN
    TRANSACTIONS`` needs). A lost connection or a transient error starts them again from the first, for up
    to ``RETRY_TIME_S`` as the driver retries managed transactions: together they must be idempotent."""
    delay, first_failure = 1.0, None
    while True:
        try:
            with driver.session(database=database) as session:
                for text, params in steps:
                    session.run(text, params).consume()
            return
        except (DriverError, Neo4jError) as exc:
            if not exc.is_retryable():
                raise
            now = time.monotonic()
            first_failure = now if first_failure is None else first_failure
            if now - first_failure > RETRY_TIME_S:
                raise
        time.sleep(delay * random.uniform(0.8, 1.2))
        delay *= 2


def lost_as_unavailable(func: Callable[P, R]) -> Callable[P, R]:
    """Graph work whose server went away raises ``ServiceUnavailable`` (what a run reports as lost),
    whichever way the driver said so."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except GONE as exc:
            raise ServiceUnavailable(" ".join(str(exc).split())[:240] or type(exc).__name__) from exc

    return wrapper
