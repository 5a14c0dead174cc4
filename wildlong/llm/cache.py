"""A persistent cache of LLM replies (SQLite, WAL), so a re-run or a resumed run never pays twice.

The key is a sha256 over everything that shapes a reply: model, messages, parameters, the output schema and
the content version of every prompt template involved. One row per key, committed as soon as the reply
arrives: a ``kill -9`` loses only the calls that were in flight.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from wildlong.errors import ConfigError
from wildlong.llm.calls import RawReply

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    stage TEXT NOT NULL,
    templates TEXT NOT NULL,
    reply TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def cache_key(
    *,
    model: str,
    messages: list[dict[str, str]],
    params: Mapping[str, Any],
    response_format: Mapping[str, Any] | None,
    template_versions: Iterable[str],
) -> str:
    """The sha256 (hex) of a canonical JSON of the request's content."""
    payload = {
        "model": model,
        "messages": messages,
        "params": dict(params),
        "response_format": response_format,
        "templates": sorted(template_versions),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Replies by key in one SQLite file. Safe to share between processes (WAL, busy timeout)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the LLM cache {self.path}: {exc}", hint="check --cache") from None

    def get(self, key: str) -> RawReply | None:
        row = self._db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return None if row is None else RawReply.from_json(json.loads(row[0]))

    def __contains__(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM replies WHERE key = ?", (key,)).fetchone() is not None

    def put(self, key: str, reply: RawReply, *, stage: str, templates: Iterable[str] = ()) -> None:
        """Store one reply; autocommit makes it durable against a killed process at once."""
        self._db.execute(
            "INSERT OR REPLACE INTO replies (key, model, stage, templates, reply, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                reply.model,
                stage,
                ",".join(sorted(templates)),
                json.dumps(reply.to_json(), ensure_ascii=False),
                time.time(),
            ),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0])

    def close(self) -> None:
        self._db.close()
