"""Training metrics: one JSON line per logged step, and a loss plot drawn from that file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class MetricsLog:
    """Appends ``{"step": ..., ...}`` lines to ``path``; on resume, lines past the checkpoint are dropped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def truncate_after(self, step: int) -> None:
        """Forget steps after ``step`` (they belong to a run that died after its last checkpoint)."""
        if not self.path.exists():
            return
        kept = [row for row in self.rows() if int(row.get("step", 0)) <= step]
        self.path.write_text("".join(json.dumps(row) + "\n" for row in kept), encoding="utf-8")

    def write(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")

    def rows(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out


def plot_loss(rows: list[dict[str, Any]], target: Path) -> Path | None:
    """Loss (and learning rate) against step, as a PNG; None when there is nothing to draw."""
    points = [(r["step"], r["loss"]) for r in rows if "loss" in r]
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    steps, losses = zip(*points, strict=True)
    ax.plot(steps, losses, label="loss", color="tab:blue")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (per target token)")
    lrs = [(r["step"], r["lr"]) for r in rows if "lr" in r]
    if lrs:
        other = ax.twinx()
        other.plot(*zip(*lrs, strict=True), label="lr", color="tab:orange", alpha=0.5)
        other.set_ylabel("learning rate")
    ax.set_title("wildlong train sft")
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=100)
    plt.close(fig)
    return target
