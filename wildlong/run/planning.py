"""The dry-run: each stage's ``plan`` in order, one table of calls, tokens, cost and expected wall time.

A plan counts from real inputs where they exist (the conversations are read, the documents token-counted,
finished stages' outputs used as they are) and forecasts the rest from the config, building its requests
with the same functions the stage uses. Calls are *expected* (one attempt each, nothing rejected) and
*worst* (every repair the gates allow: a structured reply that fails validation is asked once more).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from wildlong.run.config import RunConfig
from wildlong.run.stage import Forecast, PlanRow, Stage, StagePlan

if TYPE_CHECKING:
    from wildlong.llm import LLM, LLMRequest
    from wildlong.run.context import Context

# The embedded SmolLM2 on 2 CPU cores (shared/docs/llm.md): prompt ~150 tokens/s, decode ~110 tokens/s.
EMBEDDED_PREFILL_TPS = 150.0
EMBEDDED_DECODE_TPS = 110.0
REPAIRS = 1  # a structured reply that fails validation is repaired once (wildlong.llm)


def estimate_rows(client: LLM, requests: Sequence[LLMRequest]) -> list[PlanRow]:
    """The requests counted exactly (input tokens; output at max_tokens unless a guess is configured)."""
    estimate = client.estimate(list(requests))
    structured = {r.stage for r in requests if r.schema is not None}
    rows = []
    for row in estimate.rows.values():
        attempts = 1 + (REPAIRS if row.stage in structured else 0)
        rows.append(
            PlanRow(
                stage="",
                call=row.stage,
                calls=row.calls,
                worst=row.calls * attempts,
                cached=row.cached,
                input_tokens=row.input_tokens,
                output_tokens=row.output_tokens,
                cost_usd=row.cost_usd,
            )
        )
    return rows


def plan_all(
    ctx: Context, stages: Sequence[Stage], prints: dict[str, str], until: str | None
) -> list[StagePlan]:
    fc = Forecast()
    plans = []
    for stage in stages:
        if ctx.manifest.complete(stage.name, prints[stage.name]):
            fc.complete.add(stage.name)
            fc.records[stage.name] = int(ctx.manifest.counts(stage.name).get("kept") or 0)
            plans.append(StagePlan(stage.name, records=fc.records[stage.name], complete=True))
        else:
            fn = stage.plan_fn()
            plan = fn(ctx, fc) if fn is not None else StagePlan(stage.name)
            plan.stage = stage.name
            for row in plan.rows:
                row.stage = stage.name
            if plan.records is None:
                plan.records = _upstream_records(stage, fc)
            fc.records[stage.name] = plan.records or 0
            plans.append(plan)
        if stage.name == until:
            break
    return plans


def _upstream_records(stage: Stage, fc: Forecast) -> int | None:
    for up in stage.depends:
        if up in fc.records:
            return fc.records[up]
    return None


def rate(ctx: Context, stages: Sequence[Stage]) -> tuple[float | None, str]:
    """Requests per second for the wall-time estimate, and where the figure comes from."""
    configured = ctx.cfg.llm.requests_per_s
    if configured:
        return configured, f"{configured:g} req/s configured (llm.requests_per_s)"
    calls = seconds = 0.0
    for stage in stages:
        entry = ctx.manifest.data["stages"].get(stage.name) or {}
        sent = sum((entry.get("counts", {}).get("llm_requests") or {}).values())
        if stage.llm and sent:
            calls += sent
            seconds += float(entry.get("seconds", 0.0))
    if calls and seconds:
        return calls / seconds, f"{calls / seconds:.2f} req/s measured by the stages already run here"
    if ctx.cfg.llm.is_embedded:
        return None, (
            f"the embedded SmolLM2 at ~{EMBEDDED_PREFILL_TPS:.0f} prompt and ~{EMBEDDED_DECODE_TPS:.0f} "
            "generated tokens/s (measured on 2 CPU cores)"
        )
    return None, "no rate known: set llm.requests_per_s, or run a small --limit first to measure it"


def row_seconds(row: PlanRow, rps: float | None, embedded: bool) -> float | None:
    if rps:
        return row.calls / rps
    if embedded:
        return row.input_tokens / EMBEDDED_PREFILL_TPS + row.output_tokens / EMBEDDED_DECODE_TPS
    return None


def format_plans(cfg: RunConfig, ctx: Context, stages: Sequence[Stage], plans: list[StagePlan]) -> str:
    rps, source = rate(ctx, stages)
    embedded = cfg.llm.is_embedded and rps is None
    head = (
        f"{'stage':<10} {'call':<10} {'calls':>7} {'worst':>7} {'cached':>7} {'in tok':>11} "
        f"{'out tok':>10} {'cost $':>9} {'time':>9}  records"
    )
    lines = [head]
    total = PlanRow("total", "")
    total_s: float | None = None
    for plan in plans:
        stage = next(s for s in stages if s.name == plan.stage)
        measured = (ctx.manifest.data["stages"].get(plan.stage) or {}).get("seconds")
        rows = plan.rows or [PlanRow(plan.stage, "-")]
        for row in rows:
            if plan.complete:
                seconds: float | None = 0.0
            elif stage.llm or row.calls:
                seconds = row_seconds(row, rps, embedded)
            else:  # no LLM: what it took the last time it ran here, if ever
                seconds = None if measured is None else float(measured)
            if seconds is not None:
                total_s = (total_s or 0.0) + seconds
            _add(total, row)
            records = "" if plan.records is None else f"{plan.records:,}"
            note = "  (complete already)" if plan.complete else ""
            lines.append(
                f"{plan.stage:<10} {row.call:<10} {row.calls:>7,} {row.worst:>7,} {row.cached:>7,} "
                f"{row.input_tokens:>11,} {row.output_tokens:>10,} {_money(row.cost_usd):>9} "
                f"{_duration(seconds):>9}  {records}{note}"
            )
    lines.append(
        f"{'total':<10} {'':<10} {total.calls:>7,} {total.worst:>7,} {total.cached:>7,} "
        f"{total.input_tokens:>11,} {total.output_tokens:>10,} {_money(total.cost_usd):>9} "
        f"{_duration(total_s):>9}"
    )
    lines.append(f"expected wall time from {source}; stages without a figure are not counted in it")
    for plan in plans:
        lines += [f"note: {n}" for n in plan.notes]
    return "\n".join(lines)


def _add(total: PlanRow, row: PlanRow) -> None:
    total.calls += row.calls
    total.worst += row.worst
    total.cached += row.cached
    total.input_tokens += row.input_tokens
    total.output_tokens += row.output_tokens
    if total.cost_usd is not None:
        total.cost_usd = None if row.cost_usd is None else total.cost_usd + row.cost_usd


def _money(value: float | None) -> str:
    return "unpriced" if value is None else f"{value:.4f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
