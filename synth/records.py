"""Records and counters of stage 2: documents, pairs, samples; what each step dropped and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

R = TypeVar("R", bound=BaseModel)


@dataclass
class Tally:
    """Counts of one step: records in, records out, drops by reason."""

    name: str
    seen: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1

    def to_dict(self) -> dict[str, object]:
        return {
            "seen": self.seen,
            "kept": self.kept,
            "dropped": dict(sorted(self.dropped.items())),
            "notes": dict(sorted(self.notes.items())),
        }

    def line(self) -> str:
        drops = ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items())) or "none"
        return f"{self.name}: {self.seen} in, {self.kept} kept; dropped: {drops}"


class Document(BaseModel):
    """A long document, token-counted and classified into a stage-1 doc type."""

    doc_id: str
    text: str
    source: str
    tokens: int
    doc_type: str | None = None
    doc_type_score: float | None = None
    truncated_from: int | None = Field(None, description="original token count when cut to the maximum")
    kind_hint: str | None = None


class Instruction(BaseModel):
    """An instruction written from a walk, before it meets any document."""

    instruction_id: str
    walk_id: str
    doc_type: str
    node_ids: list[str]
    fields: list[str]
    values: list[str]
    strategy: str
    text: str
    prompt: str
    prompt_version: str
    model: str


class Pair(BaseModel):
    """An instruction with the document(s) it will be answered from."""

    pair_id: str
    instruction_id: str
    doc_type: str
    document_ids: list[str]
    multi_document: bool
    tokens: int = Field(description="tokens of the documents together")


def write_jsonl(path: Path, records: Iterable[BaseModel]) -> int:
    """Write records atomically (temp file, then rename); returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(record.model_dump_json() + "\n")
            n += 1
    tmp.replace(path)
    return n


def read_jsonl(path: Path, model: type[R]) -> list[R]:
    with path.open(encoding="utf-8") as fh:
        return [model.model_validate_json(line) for line in fh if line.strip()]
