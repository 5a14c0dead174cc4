"""PNG figures of the graph of user needs: degree distribution, top values per field, strongest pairs."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import neo4j

from wildlong.analytics.queries import named


def degree_distribution(driver: neo4j.Driver, database: str, out: Path, doc_type: str | None = None) -> Path:
    df = named(driver, "degree_distribution", database, doc_type=doc_type)
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, group in df.groupby("doc_type"):
        ax.plot(group["degree"].clip(lower=0.8), group["values"], marker="o", ms=3, lw=1, label=str(name))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("co-occurrence degree (values it meets)")
    ax.set_ylabel("number of values")
    ax.set_title("Degree distribution per document type")
    if df["doc_type"].nunique() <= 12:
        ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, out / "degree_distribution.png")


def top_values(driver: neo4j.Driver, database: str, out: Path, doc_type: str | None, limit: int = 8) -> Path:
    df = named(driver, "top_values", database, doc_type=doc_type, field=None, limit=limit)
    if doc_type is None and not df.empty:
        doc_type = str(df.groupby("doc_type")["count"].sum().idxmax())
        df = df[df["doc_type"] == doc_type]
    fields = sorted(df["field"].unique()) if not df.empty else []
    cols = 3
    rows = max(1, math.ceil(len(fields) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(15, 3.2 * rows), squeeze=False)
    for ax, field in zip(axes.flat, fields, strict=False):
        sub = df[df["field"] == field].sort_values("count")
        ax.barh([_short(v, 28) for v in sub["value"]], sub["count"], color="#4c72b0")
        ax.set_title(field, fontsize=10)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(fields) :]:
        ax.axis("off")
    fig.suptitle(f"Top values per field — doc type: {doc_type}", fontsize=12)
    return _save(fig, out / "top_values.png")


def strongest_pairs(
    driver: neo4j.Driver, database: str, out: Path, doc_type: str | None, limit: int = 20
) -> Path:
    df = named(driver, "strongest_pairs", database, doc_type=doc_type, limit=limit)
    df = df.iloc[::-1]
    labels = [
        f"{_short(a, 24)}  +  {_short(b, 24)}" for a, b in zip(df["value_a"], df["value_b"], strict=True)
    ]
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.35 * len(df) + 1)))
    bars = ax.barh(labels, df["count"], color="#dd8452")
    for bar, lift in zip(bars, df["lift"], strict=True):
        ax.text(
            bar.get_width(), bar.get_y() + bar.get_height() / 2, f"  lift {lift:.1f}", va="center", fontsize=7
        )
    ax.set_xlabel("queries in which both values occur")
    ax.set_title(f"Strongest co-occurring pairs — {doc_type or 'all doc types'}")
    ax.tick_params(labelsize=7)
    return _save(fig, out / "strongest_pairs.png")


def all_figures(driver: neo4j.Driver, database: str, out: Path, doc_type: str | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [
        degree_distribution(driver, database, out, doc_type),
        top_values(driver, database, out, doc_type),
        strongest_pairs(driver, database, out, doc_type),
    ]


def _short(text: object, width: int) -> str:
    return textwrap.shorten(str(text), width=width, placeholder="…")


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = ["all_figures", "degree_distribution", "strongest_pairs", "top_values"]
