"""``--dry-run``: every stage's plan, printed as one table; nothing is sent, nothing is written."""

from __future__ import annotations

from collections.abc import Sequence

from wildlong.run.config import RunConfig
from wildlong.run.pipeline import fingerprints, open_context
from wildlong.run.planning import format_plans, plan_all
from wildlong.run.stage import Stage


def dry_run(
    cfg: RunConfig, stages: Sequence[Stage], *, until: str | None = None, only: str | None = None
) -> str:
    cfg = cfg.seeded()
    ctx = open_context(cfg, progress=False, echo=lambda _: None, dry=True)
    try:
        prints = fingerprints(cfg, stages)
        plans = plan_all(ctx, stages, prints, until=until or only)
        if only is not None:
            plans = [p for p in plans if p.stage == only]
        read = next((p.records for p in plans if p.stage == "read"), None)
        head = f"dry run of {cfg.name} in {cfg.out}: nothing is sent"
        if read is not None:
            head += f"; {read:,} queries read"
        exact = [p.stage for p in plans if p.exact]
        lines = [
            head,
            f"counted from real inputs: {', '.join(exact) or 'none'}; the rest forecast from the config",
        ]
        return "\n".join([*lines, format_plans(cfg, ctx, stages, plans)])
    finally:
        ctx.close()
