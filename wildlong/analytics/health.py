"""Graph health: do the walks combine the real needs of several queries, or replay single queries?

Pure functions over rows read from Neo4j (``cypher/health/*.cypher``), plus the few calls that read them
and sample comparison walks with the project's own sampler. Definitions (also in
``wildlong graph health --help`` and in the JSON report):

* holders(v): the real (:Query) nodes with a HAS edge to the value v.
* queries per walk: the number of queries holding at least one of the walk's values, |U holders(v)|.
* mix: the walk's values come from >= 2 distinct real queries (every value is held by some query and
  |U holders(v)| >= 2): it touches the needs of more than one user.
* replay: one query holds every value of the walk (the intersection of the holders is not empty).
* novel: every value is held by some query and no single query holds them all (the walk is a combination
  no one query asked for). unheld: some value is held by no query (the graph changed since the walk).
  novel + replay + unheld = 1; a walk can be both mix and replay (one query holds it all, and a value of
  it is held by others too).
* attested pairs: over ALL unordered pairs of a walk's values (not only adjacent ones), pooled over the
  walks, the share that at least one real query holds together. fully attested: walks whose every pair is.
* field coverage: the share of the (doc type, field) pairs of the graph that appear in >= 1 walk.
* value entropy: Shannon entropy (bits) of the value occurrences in the walks; normalised: divided by
  log2 of the number of values in the graph (1 = every value used equally often).
* distinct-1: distinct values / value occurrences; distinct-2: distinct pairs / pairs.
* random (baseline): per doc type as many paths as the run has, each of min(length, fields) distinct
  fields chosen uniformly, then a value of each field chosen uniformly (no counts, no edges).
"""

from __future__ import annotations

import math
import random
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import neo4j

from wildlong import cypher
from wildlong.analytics.queries import _read
from wildlong.graph import lost_as_unavailable
from wildlong.records import read_jsonl
from wildlong.synth.walk_io import sample_to_file
from wildlong.synth.walks import Walk, WalkConfig

cypher.require("health/value_usage", "health/value_holders")

DEFINITIONS: dict[str, str] = {
    "values": "Value nodes; shared_share: the share held by >= 2 real queries",
    "degree": "CO_OCCURS degree of a value (mean, median, max); isolated: values of degree 0",
    "queries_per_walk": "mean number of real queries holding >= 1 of a walk's values",
    "mix": "share of walks whose values come from >= 2 distinct real queries (every value held)",
    "replay": "share of walks whose whole value set is held by one real query",
    "novel": "share of walks whose values are all held by some query but by no single query",
    "unheld": "share of walks with a value that no query holds (novel + replay + unheld = 1)",
    "attested_pairs": "share of ALL unordered value pairs of the walks (pooled) held together by >= 1 query",
    "fully_attested": "share of walks whose every value pair is attested",
    "field_coverage": "share of the graph's (doc type, field) pairs that appear in >= 1 walk",
    "value_entropy": "Shannon entropy (bits) of value occurrences in the walks; _norm: over log2(values)",
    "distinct_1": "distinct values / value occurrences; distinct_2: distinct value pairs / value pairs",
    "random": "baseline: uniform distinct fields, a uniform value of each (no counts, no edges)",
}
WALK_METRICS = ("walks", "mean_length", "queries_per_walk", "mix", "replay", "novel", "unheld",
                "attested_pairs", "fully_attested", "field_coverage", "value_entropy", "value_entropy_norm",
                "distinct_1", "distinct_2")  # fmt: skip
GRAPH_METRICS = ("values", "shared_values", "shared_share", "degree_mean", "degree_median", "degree_max",
                 "isolated", "fields")  # fmt: skip
COMPARE = ("uniform", "independent", "random")
_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ValueStat:
    """One Value node: how many real queries hold it and its CO_OCCURS degree."""

    key: str
    doc_type: str
    field: str
    value: str
    queries: int
    degree: int


@dataclass(frozen=True)
class WalkPath:
    """What the metrics need of a walk: its doc type and its Value keys."""

    doc_type: str
    keys: tuple[str, ...]


def paths_of(walks: Iterable[Walk]) -> list[WalkPath]:
    return [WalkPath(w.doc_type, tuple(w.node_ids)) for w in walks]


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _by_type(items: Iterable[Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(item.doc_type, []).append(item)
    return dict(sorted(groups.items()))


def graph_summary(values: Sequence[ValueStat]) -> dict[str, Any]:
    """Per doc type and overall: values, the share used by >= 2 queries, degree summary, isolated values."""
    return {"overall": _graph_group(values),
            "per_doc_type": {t: _graph_group(g) for t, g in _by_type(values).items()}}  # fmt: skip


def _graph_group(values: Sequence[ValueStat]) -> dict[str, Any]:
    degrees = [v.degree for v in values]
    shared = sum(1 for v in values if v.queries >= 2)
    return {
        "values": len(values),
        "shared_values": shared,
        "shared_share": _share(shared, len(values)),
        "degree_mean": statistics.fmean(degrees) if degrees else None,
        "degree_median": statistics.median(degrees) if degrees else None,
        "degree_max": max(degrees) if degrees else None,
        "isolated": sum(1 for d in degrees if d == 0),
        "fields": len({(v.doc_type, v.field) for v in values}),
    }


def walk_metrics(
    paths: Sequence[WalkPath], holders: Mapping[str, frozenset[str]], values: Sequence[ValueStat]
) -> dict[str, Any]:
    """Every walk metric (see the module docstring), per doc type and overall.

    ``holders``: Value key -> ids of the real queries holding it; ``values``: the graph's values (for
    field coverage and the entropy normalisation) of the doc types the walks come from."""
    per_type = _by_type(values)
    return {
        "overall": _walk_group(paths, holders, values),
        "per_doc_type": {t: _walk_group(g, holders, per_type.get(t, [])) for t, g in _by_type(paths).items()},
    }


def _walk_group(
    paths: Sequence[WalkPath], holders: Mapping[str, frozenset[str]], values: Sequence[ValueStat]
) -> dict[str, Any]:
    field_of = {v.key: (v.doc_type, v.field) for v in values}
    outcome: Counter[str] = Counter()
    queries = pairs = attested = full = 0
    occurrences: Counter[str] = Counter()
    distinct_pairs: set[tuple[str, str]] = set()
    for path in paths:
        sets = [holders.get(k, _NONE) for k in path.keys]
        held_by = len(_NONE.union(*sets))
        if not all(sets):
            outcome["unheld"] += 1
        elif frozenset.intersection(*sets):
            outcome["replay"] += 1
        else:
            outcome["novel"] += 1
        if all(sets) and held_by >= 2:
            outcome["mix"] += 1
        queries += held_by
        walk_pairs = list(combinations(sorted(set(path.keys)), 2))
        ok = sum(1 for a, b in walk_pairs if holders.get(a, _NONE) & holders.get(b, _NONE))
        pairs, attested, full = pairs + len(walk_pairs), attested + ok, full + (ok == len(walk_pairs))
        occurrences.update(path.keys)
        distinct_pairs.update(walk_pairs)
    n, total = len(paths), sum(occurrences.values())
    entropy = -sum(c / total * math.log2(c / total) for c in occurrences.values()) if total else None
    fields = {field_of[k] for k in occurrences if k in field_of}
    return {
        "walks": n,
        "mean_length": _share(total, n),
        "queries_per_walk": _share(queries, n),
        "mix": _share(outcome["mix"], n),
        "replay": _share(outcome["replay"], n),
        "novel": _share(outcome["novel"], n),
        "unheld": _share(outcome["unheld"], n),
        "attested_pairs": _share(attested, pairs),
        "fully_attested": _share(full, n),
        "field_coverage": _share(len(fields), len(set(field_of.values()))),
        "value_entropy": entropy,
        "value_entropy_norm": _share(entropy or 0.0, math.log2(len(values))) if len(values) > 1 else None,
        "distinct_1": _share(len(occurrences), total),
        "distinct_2": _share(len(distinct_pairs), pairs),
    }


def random_paths(
    values: Sequence[ValueStat], allocation: Mapping[str, int], length: int, seed: int
) -> list[WalkPath]:
    """The random baseline: per doc type ``allocation[t]`` paths of min(length, fields) distinct fields
    (uniform), a uniform value of each; seeded, doc types in name order."""
    rng = random.Random(seed)
    paths: list[WalkPath] = []
    for doc_type, group in _by_type(values).items():
        by_field: dict[str, list[str]] = {}
        for v in sorted(group, key=lambda v: v.key):
            by_field.setdefault(v.field, []).append(v.key)
        names = sorted(by_field)
        for _ in range(allocation.get(doc_type, 0)):
            chosen = rng.sample(names, min(length, len(names)))
            paths.append(WalkPath(doc_type, tuple(rng.choice(by_field[f]) for f in chosen)))
    return paths


@lost_as_unavailable
def fetch_values(driver: neo4j.Driver, database: str, doc_types: list[str] | None) -> list[ValueStat]:
    df = _read(driver, database, cypher.query("health/value_usage").text, {"doc_types": doc_types})
    return [ValueStat(r.key, r.doc_type, r.field, r.value, int(r.queries), int(r.degree))
            for r in df.itertuples(index=False)]  # fmt: skip


@lost_as_unavailable
def fetch_holders(
    driver: neo4j.Driver, database: str, keys: Iterable[str], batch: int = 5000
) -> dict[str, frozenset[str]]:
    """Value key -> ids of the queries holding it, in UNWIND batches (keys not in the graph are absent)."""
    wanted = sorted(set(keys))
    text = cypher.query("health/value_holders").text
    found: dict[str, frozenset[str]] = {}
    for start in range(0, len(wanted), batch):
        df = _read(driver, database, text, {"keys": wanted[start : start + batch]})
        found.update({r.key: frozenset(r.query_ids) for r in df.itertuples(index=False)})
    return found


def sample_paths(
    driver: neo4j.Driver, database: str, folder: Path, strategy: str, *, walks: int, length: int, seed: int,
    doc_types: list[str] | None, engine: str = "cypher",
) -> list[WalkPath]:  # fmt: skip
    """Fresh walks of one strategy with the project's sampler, written under ``folder``."""
    cfg = WalkConfig.model_validate(
        {"strategy": strategy, "walks": walks, "length": length, "min_length": min(3, length), "seed": seed,
         "doc_types": doc_types, "engine": engine}
    )  # fmt: skip
    out = folder / f"{strategy}.jsonl"
    sample_to_file(driver, database, cfg, out, engine, progress=False)
    return paths_of(read_jsonl(out, Walk))


def health_report(
    driver: neo4j.Driver,
    database: str,
    walks: Sequence[Walk],
    *,
    compare: Sequence[str] = COMPARE,
    n: int | None = None,
    length: int | None = None,
    seed: int | None = None,
    engine: str = "cypher",
) -> dict[str, Any]:
    """The whole report: the graph's values and degrees, then the walk metrics of the run's walks and of
    fresh walks of each strategy in ``compare`` (same N, length, seed and doc types unless given)."""
    run = paths_of(walks)
    doc_types = sorted({p.doc_type for p in run}) or None
    n = n or len(run)
    length = length or max((len(p.keys) for p in run), default=6)
    seed = seed if seed is not None else (walks[0].seed if walks else 0)
    values = fetch_values(driver, database, doc_types)
    known = {v.key for v in values}
    strategies: dict[str, list[WalkPath]] = {"run": run}
    allocation = dict(Counter(p.doc_type for p in run))
    if n != len(run):
        total = max(len(run), 1)
        allocation = {t: round(c * n / total) for t, c in allocation.items()}
    with tempfile.TemporaryDirectory(prefix="wildlong-health-") as tmp:
        for strategy in compare:
            if strategy == "random":
                strategies[strategy] = random_paths(values, allocation, length, seed)
            else:
                strategies[strategy] = sample_paths(driver, database, Path(tmp), strategy, walks=n,
                                                    length=length, seed=seed, doc_types=doc_types,
                                                    engine=engine)  # fmt: skip
    holders = fetch_holders(driver, database, {k for ps in strategies.values() for p in ps for k in p.keys})
    return {
        "definitions": DEFINITIONS,
        "run_strategy": sorted({w.strategy for w in walks}),
        "walks": n,
        "length": length,
        "seed": seed,
        "engine": engine,
        "missing_values": len({k for p in run for k in p.keys} - known),
        "graph": graph_summary(values),
        "strategies": {name: walk_metrics(ps, holders, values) for name, ps in strategies.items()},
    }


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.3f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [list(header), *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return ["  ".join([r[0].ljust(widths[0]), *[c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]])
            for r in cells]  # fmt: skip


def render_text(report: Mapping[str, Any]) -> str:
    """The report as text tables: the graph per doc type, walk metrics by strategy, then per doc type."""
    graph = report["graph"]
    lines = ["graph (values, co-occurrence degree)"]
    rows = [("(all)", *[graph["overall"][m] for m in GRAPH_METRICS])]
    rows += [(t, *[g[m] for m in GRAPH_METRICS]) for t, g in graph["per_doc_type"].items()]
    lines += ["  " + line for line in _table(("doc type", *GRAPH_METRICS), rows)]
    strategies = report["strategies"]
    names = list(strategies)
    lines += ["", f"walks: {report['walks']:,} per strategy, length {report['length']}, seed {report['seed']}"
              f" (run = the walks file, {'/'.join(report['run_strategy']) or '-'})"]  # fmt: skip
    rows = [(m, *[strategies[s]["overall"][m] for s in names]) for m in WALK_METRICS]
    lines += ["  " + line for line in _table(("metric", *names), rows)]
    short = (
        "walks",
        "queries_per_walk",
        "mix",
        "replay",
        "novel",
        "attested_pairs",
        "field_coverage",
        "value_entropy",
    )
    rows = [(f"{t} / {s}", *[strategies[s]["per_doc_type"].get(t, {}).get(m) for m in short])
            for t in graph["per_doc_type"] for s in names]  # fmt: skip
    lines += ["", "per doc type"] + ["  " + line for line in _table(("doc type / strategy", *short), rows)]
    if report["missing_values"]:
        lines += ["", f"note: {report['missing_values']} values of the walks are not in the graph (reloaded "
                      "since the run?): their walks count as unheld"]  # fmt: skip
    return "\n".join(lines)
