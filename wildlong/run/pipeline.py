"""Run the stages in order; skip those the manifest marks complete with the same inputs.

Every fact used here comes from the stage declarations (:mod:`wildlong.run.registry`): the order, each
stage's config sections and upstream stages (its fingerprint), its outputs (what "complete" means).

A stage is complete only if it did its work. Requests that never got an answer (``Counts.unanswered``:
outage, rate limit, timeout, budget) past ``llm.max_unanswered_share`` leave it incomplete
(:class:`StageIncomplete`, exit 1; the replies that came are cached, so the same command later sends only
what is missing). A stage that keeps no record stops the run (:class:`KeptNothing`) and is not complete
either: the same command runs it again (replies that proved unusable are asked again).
Neo4j going away during a stage is one line (:class:`GraphLost`), never a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from wildlong.errors import ConfigError, GraphError, GraphLost, KeptNothing, StageIncomplete
from wildlong.records import Counts, remove_partials
from wildlong.run.config import RunConfig, fingerprint, write_resolved
from wildlong.run.context import Context
from wildlong.run.imports import import_output
from wildlong.run.manifest import Manifest
from wildlong.run.stage import Stage, by_name


@dataclass
class RunResult:
    run_dir: Path
    dataset: Path
    seconds: float
    ran: list[str]
    skipped: list[str]


RESUME = "the same command"


def fingerprints(cfg: RunConfig, stages: Sequence[Stage]) -> dict[str, str]:
    """Each stage's fingerprint: its own config sections plus its upstream stages' fingerprints."""
    data = cfg.public_dict()
    llm = data["llm"]
    data["llm_model"] = {k: llm.get(k) for k in ("base_url", "model", "temperature", "max_tokens")}
    prints: dict[str, str] = {}
    for stage in stages:
        payload = {
            "sections": {s: data.get(s) for s in stage.sections},
            "seed": cfg.seed,
            "upstream": [prints[u] for u in (*stage.depends, *stage.after) if u in prints],
        }
        prints[stage.name] = fingerprint(payload)
    return prints


def open_context(cfg: RunConfig, *, progress: bool | None, echo: Callable[[str], None], dry: bool) -> Context:
    run_dir = cfg.out
    manifest = Manifest(run_dir / "manifest.json")
    return Context(cfg=cfg, run_dir=run_dir, manifest=manifest, progress=progress, echo=echo, dry=dry)


def run(
    cfg: RunConfig,
    stages: Sequence[Stage],
    *,
    progress: bool | None = None,
    echo: Callable[[str], None] = print,
    until: str | None = None,
    only: str | None = None,
    force: bool = False,
    foreign_ok: bool = False,
    resume: str = RESUME,
    imports: Mapping[str, Path] | None = None,
) -> RunResult:
    """Run (or resume) the pipeline in ``cfg.out``; ``only`` runs one stage (its upstream must be done).

    ``force`` runs stages even when complete; ``foreign_ok`` writes into a folder that holds files but no
    WildLong manifest (refused otherwise); ``resume`` is the command the error lines name; ``imports``
    (stage -> file) stands a user's file in for a stage's output (:mod:`wildlong.run.imports`). With
    ``only``, the stage's ``runs_first`` upstream stages run first when they are not complete."""
    t0 = time.monotonic()
    cfg = cfg.seeded()
    if not foreign_ok:
        check_run_folder(cfg.out)
    cfg.out.mkdir(parents=True, exist_ok=True)
    for part in remove_partials(cfg.out):
        echo(f"  removed {part.relative_to(cfg.out)} (left by an interrupted run)")
    write_resolved(cfg, cfg.out / "config.resolved.yaml")
    ctx = open_context(cfg, progress=progress, echo=echo, dry=False)
    prints = fingerprints(cfg, stages)
    ran: list[str] = []
    skipped: list[str] = []
    first = by_name(stages, only).runs_first if only is not None else ()
    try:
        for name, path in (imports or {}).items():
            if not import_output(ctx, by_name(stages, name), path, prints[name]):
                continue
            later = [s.name for s in stages[[s.name for s in stages].index(name) + 1 :]]
            ctx.manifest.invalidate_from(later)  # what was made from the old output is out of date
        for stage in stages:
            if only is not None and stage.name != only and stage.name not in first:
                continue
            if only is not None:
                _check_upstream(stage, ctx.manifest, prints)
            forced = force and (only is None or stage.name == only)  # never the stages it runs first
            if not forced and ctx.manifest.complete(stage.name, prints[stage.name]):
                skipped.append(stage.name)
                echo(f"= {stage.name:<10} complete already ({brief(ctx.manifest.counts(stage.name))})")
            else:
                ran.append(stage.name)
                _run_one(stage, ctx, prints[stage.name], resume)
            if stage.name == until:
                break
        if ctx._client is not None:
            echo(ctx._client.accounting.format())
    finally:
        ctx.close()
    dataset = cfg.out / "dataset" / "train.jsonl"
    return RunResult(cfg.out, dataset, time.monotonic() - t0, ran, skipped)


def _run_one(stage: Stage, ctx: Context, print_: str, resume: str) -> None:
    ctx.echo(f"> {stage.name:<10} ...")
    started = time.monotonic()
    before = ctx.llm_requests()
    try:
        counts: Counts = stage.run_fn()(ctx)
    except (ServiceUnavailable, SessionExpired) as exc:
        where = ctx._graph.uri if ctx._graph is not None else "the configured address"
        ctx._graph = None  # its driver is of no use now; close() must not wait on it
        raise GraphLost(
            f"Neo4j at {where} stopped answering during {stage.name} ({type(exc).__name__}); "
            "finished stages are kept",
            hint=f"the run resumes with: {resume}" if resume != RESUME else "run the same command to resume",
        ) from None
    except Neo4jError as exc:  # a query the database refused (permissions, a missing database...)
        message = " ".join(str(exc.message or exc).split())[:300]
        raise GraphError(
            f"Neo4j refused a query during {stage.name}: {exc.code}: {message}",
            hint="check the user's rights and graph.database; finished stages are kept",
        ) from None
    seconds = time.monotonic() - started
    result = counts.to_dict()
    if stage.llm:
        after = ctx.llm_requests()
        result["llm_requests"] = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    missed = sum(counts.unanswered.values())
    if missed and missed > ctx.cfg.llm.max_unanswered_share * max(counts.seen, missed):
        ctx.manifest.record_incomplete(stage.name, print_, result, seconds)
        ctx.echo(f"✗ {stage.name:<10} {seconds:6.1f} s  {brief(result)}")
        raise StageIncomplete(
            unanswered_line(stage.name, counts, ctx.cfg.llm.base_url),
            hint=resume_hint(resume, budget="budget_exceeded" in counts.unanswered),
        )
    if counts.kept == 0:  # not complete either: the same command tries again (cut-off replies are cached)
        ctx.manifest.record_incomplete(stage.name, print_, result, seconds)
        ctx.echo(f"✗ {stage.name:<10} {seconds:6.1f} s  {brief(result)}")
        raise KeptNothing(
            kept_nothing_line(stage.name, counts), hint="see the counts above; nothing after it ran"
        )
    outputs = [o for o in (*stage.outputs, *stage.optional_outputs) if ctx.path(o).exists()]
    ctx.manifest.record(stage.name, print_, outputs, result, seconds)
    ctx.echo(f"✓ {stage.name:<10} {seconds:6.1f} s  {brief(result)}")


def unanswered_line(stage: str, counts: Counts, base_url: str | None) -> str:
    """``extract: 24 of 24 LLM requests got no answer (server_error 24) from URL; not complete``."""
    missed = sum(counts.unanswered.values())
    why = ", ".join(f"{k} {v}" for k, v in counts.unanswered.most_common())
    endpoint = f" from {base_url}" if base_url else ""
    return (
        f"{stage}: {missed} of {max(counts.seen, missed)} LLM requests got no answer ({why}){endpoint}; "
        "the stage is not complete (the answers that came are cached)"
    )


def resume_hint(resume: str, *, budget: bool = False) -> str:
    again = "run the same command" if resume == RESUME else f"run `{resume}`"
    when = "with a higher llm.max_cost (--max-cost)" if budget else "once the endpoint answers"
    return f"{when}, {again} again: it sends only the missing requests"


def kept_nothing_line(stage: str, counts: Counts) -> str:
    top = ", ".join(f"{k} {v}" for k, v in counts.dropped.most_common(3))
    return f"{stage} kept no record of {counts.seen}" + (f" (dropped: {top})" if top else "")


def check_run_folder(folder: Path) -> None:
    """Refuse a folder that holds files but is not a WildLong run folder (its files would be overwritten)."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ConfigError(f"output {folder} is a file, not a folder", hint="choose a folder with -o")
    if not any(folder.iterdir()) or Manifest.is_run_folder(folder):
        return
    raise ConfigError(
        f"output folder {folder} holds files but no WildLong manifest: a run would overwrite them",
        hint="choose a new or empty folder with -o, or pass --force to write there anyway",
    )


def _check_upstream(stage: Stage, manifest: Manifest, prints: dict[str, str]) -> None:
    for up in stage.depends:
        if not manifest.complete(up, prints[up]):
            raise ConfigError(
                f"{stage.name} needs the output of {up}, which is not complete in {manifest.path.parent} "
                "with this config",
                hint=f"run `wildlong {up} -o {manifest.path.parent}` first, or `wildlong run CONFIG "
                f"--until {stage.name}`",
            )


def brief(counts: dict[str, Any]) -> str:
    parts = []
    for key in ("seen", "kept", "records"):
        if key in counts:
            parts.append(f"{key} {counts[key]}")
    dropped = counts.get("dropped") or {}
    if dropped:
        parts.append("dropped " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())))
    return "; ".join(parts) or "done"
