"""Every Cypher query of the project, one ``.cypher`` file each, shipped as package data.

A file starts with a header of ``//`` comments: a description, then ``// params:`` (the ``$parameters``
it takes, or ``(none)``) and ``// returns:`` (its columns). The registry loads every file once;
modules call :func:`require` at import time so that a missing file fails at start-up, not mid-run.
Values only ever reach Cypher as ``$parameters``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from wildlong.errors import ConfigError

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_LINE_COMMENT = re.compile(r"//[^\n]*")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


@dataclass(frozen=True)
class CypherQuery:
    name: str
    text: str
    description: str
    params: tuple[str, ...]
    returns: tuple[str, ...]

    def used_params(self) -> set[str]:
        """``$names`` that appear in the query body (comments and string literals excluded)."""
        body = _STRING.sub("''", _LINE_COMMENT.sub("", self.text))
        return set(_PARAM.findall(body))


def _parse(name: str, text: str) -> CypherQuery:
    description: list[str] = []
    params: tuple[str, ...] | None = None
    returns: tuple[str, ...] = ()
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        body = line[2:].strip()
        if body.startswith("params:"):
            params = _names(body[len("params:") :])
        elif body.startswith("returns:"):
            returns = _names(body[len("returns:") :])
        elif params is None:
            description.append(body)
    if params is None:
        raise ConfigError(f"cypher/{name}.cypher has no '// params:' header line")
    return CypherQuery(name, text.strip() + "\n", " ".join(description).strip(), params, returns)


def _names(spec: str) -> tuple[str, ...]:
    spec = spec.strip()
    if spec in ("", "(none)"):
        return ()
    return tuple(part.strip().lstrip("$").split(" ")[0] for part in spec.split(",") if part.strip())


def _walk(folder: Traversable, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.name.startswith(("_", ".")):
            found.update(_walk(entry, f"{prefix}{entry.name}/"))
        elif entry.name.endswith(".cypher"):
            found[prefix + entry.name[: -len(".cypher")]] = entry.read_text(encoding="utf-8")
    return found


@functools.cache
def registry() -> dict[str, CypherQuery]:
    """All shipped queries by name (path under ``cypher/`` without the extension)."""
    files = _walk(resources.files(__name__), "")
    return {name: _parse(name, text) for name, text in sorted(files.items())}


def query(name: str) -> CypherQuery:
    """One query by name; a missing one is a ConfigError naming the closest names."""
    reg = registry()
    if name not in reg:
        folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
        near = [n for n in reg if n.startswith(folder)][:8]
        raise ConfigError(f"no Cypher query named {name!r} in wildlong.cypher (nearby: {', '.join(near)})")
    return reg[name]


def require(*names: str) -> None:
    """Fail now if any of these queries is missing (call at import time of the module that uses them)."""
    for name in names:
        query(name)


def schema_statements() -> list[CypherQuery]:
    """``schema/NNN_*.cypher`` in order: applied before any load (all ``IF NOT EXISTS``)."""
    return [q for name, q in registry().items() if name.startswith("schema/")]
