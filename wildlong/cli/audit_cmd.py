"""`wildlong audit FILE.jsonl`: run the answer/instruction quality gates over a dataset file."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import IO

import click

from wildlong.cli.options import HELP


@click.command(context_settings=HELP)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One line per record on stdout, in input order: {"id", "ok", "reasons"} '
    "(id: the record's id, else its line number); the summary goes to stderr.",
)
@click.option(
    "--keep",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="OUT.jsonl",
    help="Write the records that pass every gate to OUT.jsonl, as they were.",
)
@click.option("--set", "overrides", multiple=True, metavar="gates.KEY=VALUE",
              help="Override a threshold, e.g. --set gates.numbers_max_ungrounded=4 "
                   "or --set 'gates.disabled=[echo]' (YAML values).")  # fmt: skip
def audit(file: Path, as_json: bool, keep: Path | None, overrides: tuple[str, ...]) -> None:
    """Check every answer of FILE.jsonl: cut off, looping, leaked prompt, refusal, echo of the
    instruction, copied from the documents, wrong language, invented numbers.

    FILE holds chat records (`messages`: user = documents then instruction, assistant = answer), as
    `wildlong dataset` writes them; other chat files work too (the user turn's last paragraph is then
    the instruction). Prints how many records each gate flags, with one example; a bad line is reported
    as file:line and skipped. The thresholds are the fields of wildlong.synth.gates.GateConfig.

    Example: wildlong audit runs/demo/dataset/train.jsonl --keep clean.jsonl
    """
    from wildlong.config import set_layer, validate
    from wildlong.records import atomic_path
    from wildlong.synth.gates.stream import AuditConfig, Summary, audit_file, no_record, verdict_json

    config = validate(AuditConfig, [set_layer(overrides)], hint="the keys are GateConfig's fields")
    summary = Summary()
    with ExitStack() as stack:
        kept: IO[str] | None = None
        if keep is not None:
            tmp = stack.enter_context(atomic_path(keep))
            kept = stack.enter_context(tmp.open("w", encoding="utf-8", newline="\n"))
        shown = 0
        for verdict in audit_file(file, config.gates, summary):
            while shown < len(summary.messages):
                click.echo(summary.messages[shown], err=True)
                shown += 1
            if as_json:
                click.echo(verdict_json(verdict))
            if kept is not None and verdict.ok:
                kept.write(verdict.raw.rstrip("\r\n") + "\n")
        for message in summary.messages[shown:]:
            click.echo(message, err=True)
        error = no_record(file, summary)
        if error is not None:
            raise error
    for line in summary.lines():
        click.echo(line, err=as_json)
    if keep is not None:
        click.echo(f"kept {summary.ok:,} records in {keep}", err=as_json)
