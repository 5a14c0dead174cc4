"""The records that flow through stage 1a, and the counters every step keeps.

    conversations --read--> QueryRecord --extract--> ExtractionRecord (+ ExtractionFailure)
                  --doctypes--> DocTypeModel (doctypes.json + .npz) --load--> Neo4j

Each record type is one JSONL line (``model_dump_json()``); :func:`read_jsonl` reads them back and
reports a bad line as ``file:line: what was wrong``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wildlong.errors import InputError

R = TypeVar("R", bound=BaseModel)


class QueryRecord(BaseModel):
    """One real user query: the first user turn of a conversation that passed the filters."""

    model_config = ConfigDict(extra="ignore")

    query_id: str = Field(description="'<source>:<conversation_id>', unique over a run")
    source: str = Field(description="named source, or the file (relative to its folder argument)")
    conversation_id: str
    language: str | None = Field(None, description="ISO 639-1 code (from the source, else detected)")
    text: str = Field(description="the first user message, verbatim")
    model: str | None = Field(None, description="the chatbot model of the conversation, when known")
    user_turns: int = Field(1, description="user turns in the whole conversation")


class ExtractionRecord(BaseModel):
    """The meta-information of one query: each field holds 0-3 normalised short phrases."""

    model_config = ConfigDict(extra="ignore")

    query_id: str
    source: str
    conversation_id: str
    language: str | None = None
    model: str = Field(description="the LLM that extracted the fields")
    prompt_name: str
    prompt_version: str = Field(description="content hash of the prompt template (12 hex)")
    schema_version: str = Field("", description="content hash of the field schema file (12 hex)")
    fields: dict[str, list[str]] = Field(description="field name -> normalised phrases (0-3)")
    raw: dict[str, list[str]] | None = Field(None, description="the phrases as the LLM wrote them")
    text: str | None = Field(None, description="the query text (only with extract.keep_text)")


class ExtractionFailure(BaseModel):
    """A query whose extraction failed (kept in ``<output>.failed.jsonl``, retried by the next run)."""

    query_id: str
    source: str
    conversation_id: str
    model: str
    prompt_version: str
    reason: str = Field(description="one of wildlong.llm.FAILURE_REASONS")
    detail: str = ""


@dataclass
class StageCounts:
    """What a step saw, kept and dropped (by reason), and the first problem messages (``file:line: ...``)."""

    stage: str
    seen: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)  # counted events that are not drops
    messages: list[str] = field(default_factory=list)
    max_messages: int = 20

    def keep(self) -> None:
        self.kept += 1

    def drop(self, reason: str, message: str | None = None) -> None:
        self.dropped[reason] += 1
        if message is not None:
            self.message(message)

    def note(self, what: str, n: int = 1) -> None:
        self.notes[what] += n

    def message(self, message: str) -> None:
        if len(self.messages) < self.max_messages:
            self.messages.append(message)

    def format(self) -> str:
        """``read: 500 seen, 470 kept, 30 dropped (language=20, too_short=10)``."""
        drops = sum(self.dropped.values())
        line = f"{self.stage}: {self.seen:,} seen, {self.kept:,} kept, {drops:,} dropped"
        if self.dropped:
            line += " (" + ", ".join(f"{k}={v:,}" for k, v in sorted(self.dropped.items())) + ")"
        if self.notes:
            line += "; " + ", ".join(f"{k}={v:,}" for k, v in sorted(self.notes.items()))
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "seen": self.seen,
            "kept": self.kept,
            "dropped": dict(sorted(self.dropped.items())),
            "notes": dict(sorted(self.notes.items())),
            "messages": list(self.messages),
        }


def content_hash(data: str | bytes, n: int = 12) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:n]


def read_jsonl(
    path: Path, model: type[R], counts: StageCounts | None = None, strict: bool = False
) -> Iterator[R]:
    """Records of ``model`` from a JSONL file; a bad line is counted (``malformed``) and reported."""
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield model.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                message = f"{path}:{number}: {_why(exc)}"
                if strict or counts is None:
                    raise InputError(message, hint="fix the line or drop --strict") from None
                counts.drop("malformed", message)


def _why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg} at column {exc.pos + 1})"
    assert isinstance(exc, ValidationError)
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(record)"
    return f"{where}: {first['msg']}"


def write_meta(output: Path, body: dict[str, Any]) -> Path:
    """``<output stem>.meta.json`` next to a step's output: its resolved config and counts."""
    path = output.with_name(output.name.removesuffix(".jsonl").removesuffix(".json") + ".meta.json")
    path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
    return path
