"""The gates over a JSONL file of chat records, line by line (constant memory): a verdict per record,
and a summary by reason with one example each."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wildlong.errors import InputError
from wildlong.records import line_error
from wildlong.synth.gates.audit import audit_record
from wildlong.synth.gates.config import GateConfig


class AuditConfig(BaseModel):
    """``wildlong audit``'s settings (``--set gates.KEY=VALUE``)."""

    model_config = ConfigDict(extra="forbid")

    gates: GateConfig = Field(default_factory=GateConfig, description="thresholds of the quality gates")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str


class ChatRecord(BaseModel):
    """A dataset line: chat ``messages`` (an optional ``id``; every other field is kept as it is)."""

    model_config = ConfigDict(extra="allow")

    id: str | int | None = None
    messages: list[ChatMessage] = Field(min_length=1)


@dataclass
class Verdict:
    """One record's result: its id (the ``id`` field, else its line number), the reasons, the raw line."""

    line: int
    id: str | int
    reasons: list[str]
    raw: str

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass
class Summary:
    """Records seen, passing and flagged by gate (a record counts once under each gate it fails)."""

    seen: int = 0
    ok: int = 0
    malformed: int = 0
    by_gate: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def add(self, verdict: Verdict) -> None:
        self.seen += 1
        self.ok += verdict.ok
        for reason in verdict.reasons:
            gate, _, why = reason.partition(": ")
            self.by_gate[gate] += 1
            self.examples.setdefault(gate, f"{verdict.id}: {_short(why, 90)}")

    def lines(self) -> list[str]:
        head = f"audit: {self.seen:,} records, {self.ok:,} ok, {self.seen - self.ok:,} flagged"
        out = [head + (f", {_lines(self.malformed)} skipped" if self.malformed else "")]
        width = max((len(g) for g in self.by_gate), default=0)
        for gate, n in sorted(self.by_gate.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  {gate:<{width}}  {n:>6,}  e.g. {self.examples[gate]}")
        return out


def audit_file(path: Path, config: GateConfig, summary: Summary) -> Iterator[Verdict]:
    """The verdict of every valid line of ``path``, in order; a bad line is counted in ``summary``
    (``file:line: why`` in its messages) and skipped. :class:`InputError` when the file cannot be read."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        for number, data in enumerate(handle, 1):
            try:
                raw = data.decode("utf-8-sig" if number == 1 else "utf-8")
                if not raw.strip():
                    continue
                record = ChatRecord.model_validate(json.loads(raw))
            except (UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
                summary.malformed += 1
                summary.messages.append(f"{path}:{number}: {line_error(exc)}")
                continue
            messages = [m.model_dump() for m in record.messages]
            reasons = audit_record(messages, config)
            verdict = Verdict(number, record.id if record.id is not None else number, reasons, raw)
            summary.add(verdict)
            yield verdict


def verdict_json(verdict: Verdict) -> str:
    return json.dumps({"id": verdict.id, "ok": verdict.ok, "reasons": verdict.reasons}, ensure_ascii=False)


def _lines(n: int) -> str:
    return f"{n:,} bad line" + ("" if n == 1 else "s")


def _short(text: str, n: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def no_record(path: Path, summary: Summary) -> InputError | None:
    """The error when ``path`` held no valid record, else None."""
    if summary.seen:
        return None
    what = _lines(summary.malformed) if summary.malformed else "it is empty"
    return InputError(f"{path}: no valid record ({what})", hint="give a JSONL file of chat records")
