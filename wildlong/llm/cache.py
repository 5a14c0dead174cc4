"""A persistent cache of LLM replies (SQLite, WAL), so a re-run or a resumed run never pays twice.

The key is a sha256 over everything that shapes a reply: model, messages, parameters, the output schema and
the content version of every prompt template involved. One row per key, committed as soon as the reply
arrives: a ``kill -9`` loses only the calls that were in flight. Errors are never stored; a reply that stays
unparseable after the repair is moved to the ``rejected`` table (:meth:`ResponseCache.reject`), so a later
run asks again. A reply cut off at ``max_tokens`` is a real reply and stays.
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
);
CREATE TABLE IF NOT EXISTS rejected (
    key TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    reason TEXT NOT NULL,
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
            self._db.executescript(_SCHEMA)
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

    def reject(self, key: str, reason: str) -> None:
        """Move a reply that proved unusable (unparseable after the repair) out of the cache, into the
        ``rejected`` table for diagnosis: a later run sends its request again."""
        row = self._db.execute("SELECT stage, reply FROM replies WHERE key = ?", (key,)).fetchone()
        if row is None:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO rejected (key, stage, reason, reply, created) VALUES (?, ?, ?, ?, ?)",
                (key, row[0], reason, row[1], time.time()),
            )
            self._db.execute("DELETE FROM replies WHERE key = ?", (key,))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def rejected(self) -> int:
        """How many replies were moved out as unusable."""
        return int(self._db.execute("SELECT COUNT(*) FROM rejected").fetchone()[0])

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0])

    def close(self) -> None:
        self._db.close()
