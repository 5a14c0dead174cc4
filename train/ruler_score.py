"""RULER's scoring: string match "all" (niah, vt, cwe, fwe) and "part" (qa), per task and length, averaged.

``string_match_all``: per sample, the share of references found in the prediction (case-insensitive);
``string_match_part``: per sample, 1 if any reference is found. Both are means over samples x 100, rounded
to 2 decimals, as in RULER's ``scripts/eval/synthetic/constants.py``. Predictions are stripped and control
characters become newlines first (RULER's ``postprocess_pred``).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

CONTROL = re.compile(r"[\x00-\x1f]")


def postprocess(prediction: str) -> str:
    return CONTROL.sub("\n", prediction.strip()).strip()


def string_match_all(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    total = sum(
        sum(1.0 for r in refs if r.lower() in pred.lower()) / len(refs)
        for pred, refs in zip(predictions, references, strict=True)
    )
    return round(total / len(predictions) * 100, 2)


def string_match_part(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    total = sum(
        max(1.0 if r.lower() in pred.lower() else 0.0 for r in refs)
        for pred, refs in zip(predictions, references, strict=True)
    )
    return round(total / len(predictions) * 100, 2)


METRICS = {"all": string_match_all, "part": string_match_part}


def score(metric: str, predictions: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    return METRICS[metric]([postprocess(p) for p in predictions], references)


@dataclass
class Table:
    """Scores by (task, length); ``nulls`` counts empty predictions (RULER reports them too)."""

    tasks: list[str]
    lengths: list[int]
    scores: dict[tuple[str, int], float] = field(default_factory=dict)
    samples: dict[tuple[str, int], int] = field(default_factory=dict)
    nulls: dict[tuple[str, int], int] = field(default_factory=dict)

    def average(self, length: int) -> float | None:
        values = [self.scores[(t, length)] for t in self.tasks if (t, length) in self.scores]
        return round(sum(values) / len(values), 2) if values else None

    def overall(self) -> float | None:
        values = [a for a in (self.average(n) for n in self.lengths) if a is not None]
        return round(sum(values) / len(values), 2) if values else None

    def format(self) -> str:
        """A Markdown table: one row per task, one column per length, the average last."""
        head = "| task | " + " | ".join(str(n) for n in self.lengths) + " |"
        rows = [head, "|---|" + "---:|" * len(self.lengths)]
        for task in self.tasks:
            cells = [_cell(self.scores.get((task, n))) for n in self.lengths]
            rows.append(f"| {task} | " + " | ".join(cells) + " |")
        averages = [_cell(self.average(n)) for n in self.lengths]
        rows.append("| **average** | " + " | ".join(averages) + " |")
        return "\n".join(rows) + f"\n\nAverage over lengths: {_cell(self.overall())}"

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "summary.md").write_text(self.format() + "\n", encoding="utf-8")
        with open(folder / "summary.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["task", *self.lengths])
            for task in self.tasks:
                writer.writerow([task, *(self.scores.get((task, n), "") for n in self.lengths)])
            writer.writerow(["average", *(self.average(n) or "" for n in self.lengths)])
        rows = [
            {"task": t, "length": n, "score": self.scores[(t, n)], "samples": self.samples[(t, n)],
             "nulls": self.nulls[(t, n)]}
            for t in self.tasks for n in self.lengths if (t, n) in self.scores
        ]  # fmt: skip
        averages = {str(n): self.average(n) for n in self.lengths}
        payload = {"rows": rows, "average_by_length": averages, "average": self.overall()}
        (folder / "scores.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
