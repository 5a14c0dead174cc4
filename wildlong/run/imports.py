"""A user's own file standing in for a stage's output: ``wildlong doctypes EXTRACTIONS.jsonl -o runs/x``.

Extractions made elsewhere (another tool, a stronger model, reference extractions) enter a run folder as if
its ``extract`` stage had written them: every line is validated as an
:class:`~wildlong.loader.records.ExtractionRecord`; a bad line is one ``file:line: why`` message and is
skipped, never costing the good lines around it; the good ones are written to the stage's output and the
stage is recorded complete (counts ``imported``, with the file's path), so the stages after it run on
them. A file with no valid line is the user's mistake (exit 2).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

from wildlong.errors import InputError
from wildlong.records import Counts, read_jsonl, write_jsonl

if TYPE_CHECKING:
    from pydantic import BaseModel

    from wildlong.run.context import Context
    from wildlong.run.stage import Stage

SHOWN = 5  # bad lines echoed one by one; the rest are counted


def record_model(stage: Stage) -> type[BaseModel]:
    """The record type a file standing in for ``stage``'s output must hold."""
    if stage.name == "extract":
        from wildlong.loader.records import ExtractionRecord

        return ExtractionRecord
    raise InputError(f"a file cannot stand in for the output of {stage.name}")


def import_output(ctx: Context, stage: Stage, path: Path, fingerprint: str) -> bool:
    """Validate ``path`` and write its good records as ``stage``'s output; record the stage complete.
    False when this very file (same bytes) was imported already and nothing changed."""
    started = time.monotonic()
    counts = Counts(stage.name)
    if not path.is_file():
        raise InputError(f"{path}: no such file", hint=f"give the {stage.outputs[0]} to start from")
    digest = _sha256(path)
    same = ctx.manifest.counts(stage.name).get("sha256") == digest
    if same and ctx.manifest.complete(stage.name, fingerprint):
        ctx.echo(f"= {stage.name:<10} imported already from {path}")
        return False
    model = record_model(stage)
    output = stage.outputs[0]
    kept = write_jsonl(ctx.path(output), read_jsonl(path, model, counts))  # streamed, bad lines counted
    bad = counts.dropped.get("malformed", 0)
    counts.seen, counts.kept = kept + bad, kept
    for message in counts.messages[:SHOWN]:
        ctx.echo(f"  skipped {message}")
    if bad > SHOWN:
        ctx.echo(f"  ... and {bad - SHOWN} more bad lines")
    if not kept:
        ctx.path(output).unlink(missing_ok=True)
        raise InputError(
            f"{path}: no valid {model.__name__} line ({bad} bad)",
            hint="each line is one JSON record as `wildlong extract` writes it (see README, Stage by stage)",
        )
    counts.note("imported")
    result = {**counts.to_dict(), "imported_from": str(path.resolve()), "sha256": digest}
    ctx.manifest.record(stage.name, fingerprint, [output], result, time.monotonic() - started)
    skipped = f" ({bad:,} bad lines skipped)" if bad else ""
    ctx.echo(f"✓ {stage.name:<10} imported {kept:,} records from {path}{skipped}")
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
