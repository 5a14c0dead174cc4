"""One way to read and write records, and the one counter every stage keeps.

A record is a pydantic model written as one JSONL line (``model_dump_json()``). Every stage reads its input
with :func:`read_jsonl` (streaming; a bad line is counted and reported as ``file:line: why``, or raised with
``strict``) and writes its output with :func:`write_jsonl` (atomic: ``<name>.part``, then a rename) or, for
output that grows as it is made (extract), :func:`append_jsonl`.

    counts = Counts("pair")
    for instruction in read_jsonl(run / "instructions.jsonl", Instruction, counts):
        ...
    write_jsonl(run / "pairs.jsonl", pairs)
    print(counts.format())   # pair: 500 seen, 470 kept, 30 dropped (no_document_of_type=30)

This module depends only on pydantic, the standard library and :mod:`wildlong.errors`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from wildlong.errors import InputError

R = TypeVar("R", bound=BaseModel)
PART = ".part"


@dataclass
class Counts:
    """What a stage saw, kept and dropped (by reason), and its first problem messages (``file:line: ...``).

    ``unanswered`` counts requests that never got an answer (by reason): they are not drops, and a stage
    with any is not complete (see :mod:`wildlong.run.pipeline`). ``notes`` count events that are not drops
    (``language_detected``); ``per_doc_type`` counts kept records per doc type for the stages that have
    one (walks, documents) and stays empty for the others.
    """

    stage: str
    seen: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    unanswered: Counter[str] = field(default_factory=Counter)
    per_doc_type: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    max_messages: int = 20

    def keep(self, n: int = 1) -> None:
        self.kept += n

    def drop(self, reason: str, message: str | None = None, n: int = 1) -> None:
        self.dropped[reason] += n
        if message is not None:
            self.message(message)

    def miss(self, reason: str, message: str | None = None, n: int = 1) -> None:
        """A request that never got an answer (outage, rate limit, timeout): not a drop, the stage is not
        done; resume sends it again."""
        self.unanswered[reason] += n
        if message is not None:
            self.message(message)

    def note(self, what: str, n: int = 1) -> None:
        self.notes[what] += n

    def message(self, message: str) -> None:
        if len(self.messages) < self.max_messages:
            self.messages.append(message)

    def format(self) -> str:
        """``read: 500 seen, 470 kept, 30 dropped (language=20, too_short=10)``, then the notes."""
        drops = sum(self.dropped.values())
        line = f"{self.stage}: {self.seen:,} seen, {self.kept:,} kept, {drops:,} dropped"
        if self.dropped:
            line += " (" + ", ".join(f"{k}={v:,}" for k, v in sorted(self.dropped.items())) + ")"
        if self.unanswered:
            missed = ", ".join(f"{k}={v:,}" for k, v in sorted(self.unanswered.items()))
            line += f", {sum(self.unanswered.values()):,} unanswered ({missed})"
        if self.notes:
            line += "; " + ", ".join(f"{k}={v:,}" for k, v in sorted(self.notes.items()))
        return line

    def to_dict(self) -> dict[str, Any]:
        """The counts as JSON-ready data (dicts sorted by key; ``per_doc_type`` only when non-empty)."""
        body: dict[str, Any] = {
            "stage": self.stage,
            "seen": self.seen,
            "kept": self.kept,
            "dropped": dict(sorted(self.dropped.items())),
            "notes": dict(sorted(self.notes.items())),
            "messages": list(self.messages),
        }
        if self.unanswered:
            body["unanswered"] = dict(sorted(self.unanswered.items()))
        if self.per_doc_type:
            body["per_doc_type"] = dict(sorted(self.per_doc_type.items()))
        return body


def read_jsonl(path: Path, model: type[R], counts: Counts | None = None, strict: bool = False) -> Iterator[R]:
    """The records of ``model`` in a JSONL file, streamed; blank lines are skipped, a leading BOM ignored.

    A bad line (not UTF-8, invalid JSON, not a valid ``model``) is counted in ``counts`` as ``malformed``
    with its ``file:line: why`` message, and reading goes on; without ``counts``, or with ``strict``, it is an
    :class:`InputError` with that message. A file that cannot be opened is an :class:`InputError` too.
    """
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        try:
            for number, raw in enumerate(handle, 1):
                try:
                    text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                    if not text.strip():
                        continue
                    record = model.model_validate(json.loads(text))
                except (UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
                    message = f"{path}:{number}: {line_error(exc)}"
                    if strict or counts is None:
                        hint = (
                            "fix the line, or run without --strict to count and skip it" if strict else None
                        )
                        raise InputError(message, hint=hint) from None
                    counts.drop("malformed", message)
                    continue
                yield record
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def line_error(exc: Exception) -> str:
    """Why a JSONL line is bad, in a few words (not UTF-8, invalid JSON, the first invalid field)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at column {exc.start + 1})"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg} at column {exc.pos + 1})"
    assert isinstance(exc, ValidationError)
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(record)"
    return f"{where}: {first['msg']}"


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """The temporary path ``<name>.part`` to write ``path`` through: renamed to ``path`` when the block
    ends, deleted when it raises (``path`` keeps its old content). Parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + PART)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_jsonl(path: Path, records: Iterable[BaseModel]) -> int:
    """Write ``records`` to ``path``, one JSONL line each, atomically (see :func:`atomic_path`); how many."""
    n = 0
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(record.model_dump_json() + "\n")
            n += 1
    return n


def append_jsonl(path: Path, records: Iterable[BaseModel]) -> int:
    """Append ``records`` to ``path`` (created with its folders), flushing after each: a crash loses at
    most the record being written, and the next run resumes from what is there. How many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(record.model_dump_json() + "\n")
            handle.flush()
            n += 1
    return n


def remove_partials(folder: Path) -> list[Path]:
    """Delete the ``*.part`` files a crashed run left anywhere under ``folder``; the deleted paths, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = sorted(p for p in folder.rglob(f"*{PART}") if p.is_file())
    for partial in removed:
        partial.unlink(missing_ok=True)
    return removed


def content_hash(data: str | bytes, n: int = 12) -> str:
    """The first ``n`` hex digits of the SHA-256 of ``data`` (text as UTF-8): versions of prompts, schemas."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:n]
