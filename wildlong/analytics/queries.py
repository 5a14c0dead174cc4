"""Run named and ad-hoc read-only Cypher; return DataFrames."""

from __future__ import annotations

from typing import Any

import neo4j
import pandas as pd
from neo4j.exceptions import ClientError, CypherSyntaxError

from wildlong import cypher
from wildlong.errors import ConfigError, QueryRefused

PREFIX = "analytics/"
# Procedures that only read the schema or counts; anything else (apoc.load.*, apoc.cypher.*, db.create*,
# dbms.*) is refused in ad-hoc queries.
READ_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshipTypes",
        "db.propertyKeys",
        "db.schema.visualization",
        "db.schema.nodeTypeProperties",
        "db.schema.relTypeProperties",
        "apoc.meta.stats",
        "apoc.meta.data",
        "apoc.meta.schema",
    }
)
# Defaults for parameters a named query declares but the caller did not give.
DEFAULTS: dict[str, Any] = {"limit": 25, "doc_type": None, "field": None, "min_count": 2}


def named_queries() -> dict[str, cypher.CypherQuery]:
    """The shipped analytics queries by short name."""
    return {n[len(PREFIX) :]: q for n, q in cypher.registry().items() if n.startswith(PREFIX)}


def named(driver: neo4j.Driver, name: str, database: str = "neo4j", **params: Any) -> pd.DataFrame:
    """Run a shipped analytics query; missing parameters take DEFAULTS, unknown ones are an error."""
    queries = named_queries()
    if name not in queries:
        raise ConfigError(
            f"no analytics query named {name!r}", hint=f"choose one of: {', '.join(sorted(queries))}"
        )
    q = queries[name]
    unknown = sorted(set(params) - set(q.params))
    if unknown:
        raise ConfigError(f"query {name!r} takes no parameter {', '.join(unknown)}", hint=_signature(q))
    missing = [p for p in q.params if p not in params and p not in DEFAULTS]
    if missing:
        raise ConfigError(f"query {name!r} needs --param {missing[0]}=…", hint=_signature(q))
    values = {p: params.get(p, DEFAULTS.get(p)) for p in q.params}
    return _read(driver, database, q.text, values, columns=list(q.returns))


def adhoc(driver: neo4j.Driver, text: str, database: str = "neo4j", **params: Any) -> pd.DataFrame:
    """Run user-supplied Cypher after checking that it is read-only."""
    check_read_only(driver, text, database, params)
    return _read(driver, database, text, params)


def check_read_only(driver: neo4j.Driver, text: str, database: str, params: dict[str, Any]) -> None:
    """Raise QueryRefused unless EXPLAIN shows a read-only plan without LOAD CSV or other procedures."""
    try:
        with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
            summary = session.run("EXPLAIN " + text, params).consume()
    except (CypherSyntaxError, ClientError) as exc:
        raise QueryRefused(f"Neo4j cannot plan this query: {_first_line(exc)}") from None
    if summary.query_type != "r":
        kind = {"w": "writes", "rw": "reads and writes", "s": "changes the schema or runs an admin command"}
        raise QueryRefused(
            f"refused: the query {kind.get(str(summary.query_type), 'is not read-only')}",
            hint="`wildlong graph query` is read-only; loads go through `wildlong load`",
        )
    for operator, details in _operators(summary.plan or {}):
        if operator.startswith("LoadCSV"):
            raise QueryRefused(
                "refused: LOAD CSV reads files or URLs", hint="analytics queries read the graph only"
            )
        if operator.startswith("ProcedureCall"):
            proc = (details or "").split("(", 1)[0].strip()
            if proc not in READ_PROCEDURES:
                raise QueryRefused(
                    f"refused: procedure {proc} is not on the read-only allow-list",
                    hint=f"allowed: {', '.join(sorted(READ_PROCEDURES))}",
                )


def _read(
    driver: neo4j.Driver, database: str, text: str, params: dict[str, Any], columns: list[str] | None = None
) -> pd.DataFrame:
    def work(tx: neo4j.ManagedTransaction) -> tuple[list[dict[str, Any]], list[str]]:
        result = tx.run(text, params)
        keys = list(result.keys())
        return [dict(r) for r in result], keys

    try:
        with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
            rows, keys = session.execute_read(work)
    except ClientError as exc:
        raise QueryRefused(f"Neo4j refused the query: {_first_line(exc)}") from None
    return pd.DataFrame(rows, columns=keys or columns or [])


def _operators(plan: dict[str, Any]) -> list[tuple[str, str | None]]:
    found = [(str(plan.get("operatorType", "")), plan.get("args", {}).get("Details"))]
    for child in plan.get("children", []):
        found += _operators(child)
    return found


def _first_line(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:240]


def _signature(q: cypher.CypherQuery) -> str:
    return f"parameters: {', '.join(q.params) or '(none)'}; columns: {', '.join(q.returns)}"
