"""The dataset card: README.md beside the data, with counts, rejections, histograms and field coverage."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def write_card(
    out: Path,
    records: list[dict[str, Any]],
    tallies: dict[str, dict[str, Any]],
    info: dict[str, Any],
    health: dict[str, Any] | None = None,
) -> Path:
    """Write README.md, lengths.png and doc_types.png into ``out``; ``health``: the walk metrics of
    :func:`wildlong.analytics.health.walk_metrics` for the run's walks (a "Graph health" section)."""
    out.mkdir(parents=True, exist_ok=True)
    lengths = [r["provenance"]["tokens"]["user_turn"] for r in records]
    doc_types = Counter(r["doc_type"] for r in records)
    _hist(lengths, out / "lengths.png")
    _bars(doc_types, out / "doc_types.png")
    fields: Counter[str] = Counter(f for r in records for f in r["provenance"]["fields"])
    multi = sum(1 for r in records if r["multi_document"])
    lines = [
        f"# {info.get('name', 'WildLong dataset')}",
        "",
        "Long-context instruction data synthesized by WildLong from real user needs (meta-information graph "
        "in Neo4j → weighted walks → instructions → long documents → adaptive answers).",
        "",
        "## Files",
        "- `train.jsonl`, `train.parquet`: one record per pair: `messages` (user = documents + instruction, "
        "assistant = answer), `doc_type`, `multi_document`, `provenance`.",
        "",
        "## Counts",
        f"- records: **{len(records)}** ({multi} multi-document, {len(records) - multi} single-document)",
        f"- generator: {info.get('generate_model')}; instructions: {info.get('instruct_model')}",
        f"- seed: {info.get('seed')}",
        f"- walk strategy: {info.get('strategy')}, length {info.get('walk_length')}",
        "",
        "## What each step kept and dropped",
        "",
        "| step | in | kept | dropped (by reason) |",
        "|---|---:|---:|---|",
    ]
    for step, t in tallies.items():
        drops = ", ".join(f"{k}: {v}" for k, v in sorted(t.get("dropped", {}).items())) or "—"
        lines.append(f"| {step} | {t.get('seen', '')} | {t.get('kept', '')} | {drops} |")
    lines += ["", "## Lengths (tokens of the user turn)", "", "![lengths](lengths.png)", ""]
    if lengths:
        ordered = sorted(lengths)
        lines.append(f"min {ordered[0]}, median {ordered[len(ordered) // 2]}, max {ordered[-1]}")
    lines += [
        "",
        "## Document types",
        "",
        "![doc types](doc_types.png)",
        "",
        "| doc type | records |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v} |" for k, v in doc_types.most_common()]
    lines += [
        "",
        "## Field coverage (share of records whose walk used the field)",
        "",
        "| field | share |",
        "|---|---:|",
    ]
    lines += [f"| {f} | {n / max(1, len(records)):.0%} |" for f, n in fields.most_common()]
    if health is not None:
        lines += _health_section(health)
    path = out / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_HEALTH = (
    ("walks", "walks"),
    ("mix", "mix: values from >= 2 distinct real queries"),
    ("replay", "replay: one real query holds every value"),
    ("novel", "novel: every value held, no single query holding them all"),
    ("unheld", "unheld: a value no query holds"),
    ("queries_per_walk", "real queries holding >= 1 value (mean)"),
    ("attested_pairs", "attested pairs: all unordered value pairs held together by some query"),
    ("field_coverage", "field coverage"),
    ("value_entropy_norm", "value entropy / log2(values)"),
)


def _health_section(health: dict[str, Any]) -> list[str]:
    """The run's walks measured against the graph (`wildlong graph health` compares other strategies)."""
    lines = ["", "## Graph health (the run's walks)", "", "| measure | all |"]
    per_type = health.get("per_doc_type", {})
    lines[-1] += "".join(f" {t} |" for t in per_type)
    lines.append("|---|---:|" + "---:|" * len(per_type))
    for key, label in _HEALTH:
        cells = [health["overall"].get(key), *[g.get(key) for g in per_type.values()]]
        lines.append(f"| {label} | " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _cell(x: Any) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def _hist(values: list[int], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(values or [0], bins=min(30, max(5, len(values) // 2 or 1)), color="#4c72b0")
    ax.set_xlabel("tokens in the user turn (documents + instruction)")
    ax.set_ylabel("records")
    ax.set_title("Length distribution")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _bars(counts: Counter[str], path: Path) -> None:
    items = counts.most_common()[::-1]
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.4 * len(items) + 1)))
    ax.barh([k for k, _ in items] or ["(none)"], [v for _, v in items] or [0], color="#55a868")
    ax.set_xlabel("records")
    ax.set_title("Records per document type")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
