"""`wildlong report RUN_DIR...`: data-quality measures of runs, side by side.

- lexical diversity: distinct-1 and distinct-2 of the instructions (unique n-grams / all n-grams);
- embedding diversity: mean pairwise cosine distance of the instructions (all-MiniLM-L6-v2);
- field-combination coverage: distinct field pairs that walks combined, and distinct value pairs;
- instruction length: mean tokens of the final (rewritten) instructions;
- rejection rates: the share of instructions and of pairs that the run dropped, by stage;
- graph health of the run's walks (``dataset/health.json``, as ``wildlong graph health`` measures them):
  walk mix (values from >= 2 real queries), replay, novel (no single query holds them all), attested pairs.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from wildlong.errors import InputError
from wildlong.llm.tokens import count_text

WORD = re.compile(r"\w+")


def distinct_n(texts: list[str], n: int) -> float:
    grams: list[tuple[str, ...]] = []
    for text in texts:
        words = WORD.findall(text.lower())
        grams += [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def embedding_diversity(texts: list[str], embedder: Any) -> float:
    if len(texts) < 2:
        return 0.0
    vectors = embedder.encode(texts)
    sims = vectors @ vectors.T
    upper = sims[np.triu_indices(len(texts), k=1)]
    return float(np.mean(1.0 - upper))


def measure(run_dir: Path, embedder: Any) -> dict[str, Any]:
    data = run_dir / "dataset" / "train.jsonl"
    if not data.exists():
        raise InputError(
            f"{run_dir} has no dataset/train.jsonl", hint="finish the run with `wildlong run` first"
        )
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["stages"]
    instructions = [r["provenance"]["original_instruction"] for r in records]
    final = [r["messages"][0]["content"].rsplit("\n\n", 1)[-1] for r in records]
    field_pairs = {
        pair for r in records for pair in itertools.combinations(sorted(r["provenance"]["fields"]), 2)
    }
    value_pairs = {
        pair for r in records for pair in itertools.combinations(sorted(r["provenance"]["node_ids"]), 2)
    }
    fields = {f for r in records for f in r["provenance"]["fields"]}
    possible = len(fields) * (len(fields) - 1) // 2
    return {
        "records": len(records),
        "strategy": records[0]["provenance"]["strategy"] if records else "",
        "distinct-1": distinct_n(instructions, 1),
        "distinct-2": distinct_n(instructions, 2),
        "embedding diversity": embedding_diversity(instructions, embedder),
        "field pairs covered": f"{len(field_pairs)}/{possible}",
        "distinct value pairs": len(value_pairs),
        "instruction tokens (mean)": float(np.mean([count_text(t, "gpt-4o") for t in final]))
        if final
        else 0.0,
        "instruct rejection rate": _rate(manifest.get("instruct", {}).get("counts", {})),
        "pair/generate rejection rate": _rate(manifest.get("generate", {}).get("counts", {})),
        **_walk_health(run_dir / "dataset" / "health.json"),
    }


HEALTH = (("walk mix", "mix"), ("walk replay", "replay"), ("walk novel", "novel"),
          ("walk attested pairs", "attested_pairs"))  # fmt: skip


def _walk_health(path: Path) -> dict[str, Any]:
    """The run's walk health from its dataset folder ("-" for a run made before it was written)."""
    try:
        overall = json.loads(path.read_text(encoding="utf-8"))["overall"]
    except (OSError, ValueError, KeyError, TypeError):
        overall = {}
    return {label: overall.get(key, "-") if overall.get(key) is not None else "-" for label, key in HEALTH}


def _rate(counts: dict[str, Any]) -> float:
    seen = counts.get("seen") or 0
    dropped = sum((counts.get("dropped") or {}).values())
    return dropped / seen if seen else 0.0


def table(run_dirs: list[Path], embedder: Any) -> str:
    """A markdown table, one column per run."""
    columns = {str(d): measure(d, embedder) for d in run_dirs}
    metrics = list(next(iter(columns.values())))
    lines = ["| measure | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for metric in metrics:
        cells = [_fmt(col[metric]) for col in columns.values()]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
