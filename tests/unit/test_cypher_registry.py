"""The Cypher registry: every shipped file parses, declares exactly the parameters it uses."""

from __future__ import annotations

import pytest

from wildlong.cypher import query, registry, require, schema_statements
from wildlong.errors import ConfigError


def test_registry_loads_every_file() -> None:
    reg = registry()
    assert "admin/server_info" in reg
    assert [q.name for q in schema_statements()] == sorted(n for n in reg if n.startswith("schema/"))
    assert len(schema_statements()) >= 3


@pytest.mark.parametrize("name", sorted(registry()))
def test_declared_params_match_used(name: str) -> None:
    q = query(name)
    assert set(q.params) == q.used_params(), f"{name}: header says {q.params}, body uses {q.used_params()}"
    assert q.description, f"{name}: no description in the header"


def test_missing_query_fails_at_once() -> None:
    with pytest.raises(ConfigError, match="no Cypher query named 'admin/nope'"):
        require("admin/server_info", "admin/nope")


def test_params_in_comments_and_strings_do_not_count() -> None:
    from wildlong.cypher import CypherQuery

    q = CypherQuery("x", "// uses $a\nRETURN '$b' AS s, $c AS c // and $d\n", "x", ("c",), ("s", "c"))
    assert q.used_params() == {"c"}
