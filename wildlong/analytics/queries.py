"""Run named and ad-hoc read-only Cypher; return DataFrames."""

from __future__ import annotations

import re
from typing import Any

import neo4j
import pandas as pd
from neo4j.exceptions import ClientError, CypherSyntaxError

from wildlong import cypher
from wildlong.errors import ConfigError, QueryRefused

PREFIX = "analytics/"
# Procedures that only read the schema or counts; any other procedure is refused in ad-hoc queries.
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
# Namespaced functions allowed in ad-hoc queries (un-namespaced ones are all built in). The built-in
# temporal, spatial and vector functions, and APOC functions that only compute on their arguments:
# nothing that runs a Cypher string, reads files or URLs, or administers the server (apoc.cypher.*,
# apoc.periodic.*, apoc.load.*, apoc.util.*, dbms.* and all others are refused). The managed server
# loads no other APOC functions (wildlong.neo4j_server.server.PLUGIN_ALLOWLIST).
PURE_FUNCTION_PREFIXES = (
    *("date.", "datetime.", "localdatetime.", "localtime.", "time.", "duration.", "point."),
    *("vector.similarity.", "apoc.coll.", "apoc.text.", "apoc.map.", "apoc.convert.", "apoc.math."),
    *("apoc.number.", "apoc.agg.", "apoc.date.", "apoc.temporal.", "apoc.meta.cypher."),
    "apoc.meta.nodes.count",
)
# Why a name is refused, by prefix (the first match wins; anything else is simply not allowed).
_REASONS = (
    (("apoc.cypher.", "apoc.periodic.", "apoc.do.", "apoc.when", "apoc.case", "apoc.custom."),
     "runs Cypher text"),
    (("apoc.load.", "apoc.import.", "apoc.export.", "apoc.xml."), "reads files or URLs"),
    (("apoc.trigger.", "apoc.systemdb.", "apoc.log.", "dbms.", "db.create", "db.index.", "tx."),
     "is an admin operation"),
)  # fmt: skip
_DOTTED_CALL = re.compile(r"(?<![\w.])((?:[^\W\d]\w*\s*\.\s*)+[^\W\d]\w*)\s*\(")
# Procedures live in namespaces, so `CALL x.y` is one and `WITH 1 AS call RETURN call` is not.
_CALL_PROCEDURE = re.compile(r"(?<![\w.])CALL\s+((?:[^\W\d]\w*\s*\.\s*)+[^\W\d]\w*)", re.I)
# Clauses refused in the text before Neo4j sees it (matched with comments, strings and quoted names blanked).
_CLAUSES = (
    (re.compile(r"\bLOAD\s+CSV\b", re.I), "LOAD CSV reads files or URLs"),
    (re.compile(r"}\s*IN\s+(?:\S+\s+)?(?:CONCURRENT\s+)?TRANSACTIONS\b", re.I),
     "IN TRANSACTIONS commits writes"),
    (re.compile(r"(?:^|[{;]|\bUNION(?:\s+ALL|\s+DISTINCT)?)\s*USE\s+[^\W\d]", re.I),
     "USE picks another database (choose it with --database or NEO4J_DATABASE)"),
    (re.compile(r"(?:^|[{;])\s*(?:SHOW|TERMINATE|GRANT|DENY|REVOKE|ALTER|START|STOP)\s+[^\W\d]", re.I),
     "admin commands (SHOW, TERMINATE, GRANT, ...) are not analytics"),
)  # fmt: skip
# Plan operators refused whatever the text looked like.
_OPERATORS = (
    ("LoadCSV", "LOAD CSV reads files or URLs"),
    ("Transaction", "IN TRANSACTIONS commits writes"),
    ("Show", "admin commands (SHOW, TERMINATE, GRANT, ...) are not analytics"),
    ("Terminate", "admin commands (SHOW, TERMINATE, GRANT, ...) are not analytics"),
)
_CLAUSE_HINT = "`wildlong graph query` only reads the graph; loads go through `wildlong load`"
_FUNCTION_HINT = "allowed: built-in functions and " + ", ".join(
    p + "*" if p.endswith(".") else p for p in PURE_FUNCTION_PREFIXES if p.startswith("apoc.")
)
_PROCEDURE_HINT = "allowed: " + ", ".join(sorted(READ_PROCEDURES))
_READ_LOWER = frozenset(p.lower() for p in READ_PROCEDURES)
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
    """Raise QueryRefused unless the query only reads the graph.

    First the text (comments and strings aside, quoted names unquoted): no LOAD CSV, IN TRANSACTIONS,
    USE or admin command; every procedure in READ_PROCEDURES; every namespaced function pure. Then
    EXPLAIN (nothing runs): a read-only query type, and the same checks on every plan operator and the
    expressions in its details, where Neo4j has resolved the names.
    """
    names, words = _blank(text)
    for pattern, reason in _CLAUSES:
        if pattern.search(words):
            raise QueryRefused(f"refused: {reason}", hint=_CLAUSE_HINT)
    for name in _CALL_PROCEDURE.findall(names):
        _check_procedure(name)
    for name in _DOTTED_CALL.findall(names):
        _check_function(name)
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
    for operator, details, expressions in _operators(summary.plan or {}):
        for prefix, reason in _OPERATORS:
            if operator.startswith(prefix):
                raise QueryRefused(f"refused: {reason}", hint=_CLAUSE_HINT)
        if "Procedure" in operator:
            _check_procedure(_blank(details)[0].split("(", 1)[0])
        for expression in expressions:
            for name in _DOTTED_CALL.findall(_blank(expression)[0]):
                _check_function(name)


def _check_procedure(name: str) -> None:
    name = "".join(name.split())
    if name.lower() not in _READ_LOWER:
        raise QueryRefused(f"refused: procedure {name} {_reason(name)}", hint=_PROCEDURE_HINT)


def _check_function(name: str) -> None:
    name = "".join(name.split())
    low = name.lower()
    if low in _READ_LOWER or low.startswith(PURE_FUNCTION_PREFIXES):
        return
    raise QueryRefused(f"refused: function {name} {_reason(name)}", hint=_FUNCTION_HINT)


def _reason(name: str) -> str:
    for prefixes, reason in _REASONS:
        if name.lower().startswith(prefixes):
            return f"{reason}; it is not on the read-only allow-list"
    return "is not on the read-only allow-list"


def _blank(text: str) -> tuple[str, str]:
    """Two views of Cypher text with comments dropped and string literals emptied.

    ``names`` unquotes backtick-quoted names (`` `apoc`.`cypher` `` reads ``apoc.cypher``) so that a
    function cannot hide behind quotes; ``words`` blanks them, so that a quoted name is never a keyword.
    """
    names: list[str] = []
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            names.append(" ")
            words.append(" ")
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            names.append(" ")
            words.append(" ")
        elif c in "'\"":
            i += 1
            while i < n and text[i] != c:
                i += 2 if text[i] == "\\" else 1
            i += 1
            names.append("''")
            words.append("''")
        elif c == "`":
            end = i + 1
            quoted: list[str] = []
            while end < n and (text[end] != "`" or text.startswith("``", end)):
                quoted.append(text[end])
                end += 2 if text.startswith("``", end) else 1
            i = end + 1
            names.append("".join(quoted))
            words.append(" _ ")
        else:
            names.append(c)
            words.append(c)
            i += 1
    return "".join(names), "".join(words)


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


def _operators(plan: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """Each operator's type, its Details, and all its string arguments (where expressions show)."""
    args = plan.get("args", {})
    strings = [v for k, v in args.items() if isinstance(v, str) and k != "string-representation"]
    found = [(str(plan.get("operatorType", "")), str(args.get("Details", "")), strings)]
    for child in plan.get("children", []):
        found += _operators(child)
    return found


def _first_line(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:240]


def _signature(q: cypher.CypherQuery) -> str:
    return f"parameters: {', '.join(q.params) or '(none)'}; columns: {', '.join(q.returns)}"
