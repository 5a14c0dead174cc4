"""Where WildLong keeps its per-user state (the managed Neo4j, the LLM cache, the embedded model server)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home() -> Path:
    """The WildLong home: ``$WILDLONG_HOME`` if set, else the per-user data directory."""
    env = os.environ.get("WILDLONG_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("wildlong", appauthor=False))


def neo4j_home() -> Path:
    """The managed Neo4j server's home (``lib/``, ``conf/``, ``data/``, ``logs/``...)."""
    return home() / "neo4j"


def llm_home() -> Path:
    """State of the embedded LLM server (pid, port, log)."""
    return home() / "llm"
