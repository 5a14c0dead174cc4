"""The graph-health metrics as pure functions: hand-checked figures, the random baseline, the text."""

from __future__ import annotations

import math

import pytest

from wildlong.analytics.health import (
    WALK_METRICS,
    ValueStat,
    WalkPath,
    graph_summary,
    random_paths,
    render_text,
    walk_metrics,
)

# Doc type "t": fields f (a, b) and g (c, d); queries: q1 {a, c}, q2 {b, c}, q3 {b, d}.
VALUES = [
    ValueStat("a", "t", "f", "A", 1, 1),
    ValueStat("b", "t", "f", "B", 2, 2),
    ValueStat("c", "t", "g", "C", 2, 2),
    ValueStat("d", "t", "g", "D", 1, 1),
    ValueStat("x", "u", "f", "X", 1, 0),
]
HOLDERS = {k: frozenset(v) for k, v in {"a": {"q1"}, "b": {"q2", "q3"}, "c": {"q1", "q2"},
                                         "d": {"q3"}, "x": {"q9"}}.items()}  # fmt: skip


def test_graph_summary() -> None:
    s = graph_summary(VALUES)
    assert s["per_doc_type"]["t"] == {"values": 4, "shared_values": 2, "shared_share": 0.5,
                                      "degree_mean": 1.5, "degree_median": 1.5, "degree_max": 2,
                                      "isolated": 0, "fields": 2}  # fmt: skip
    assert s["per_doc_type"]["u"]["isolated"] == 1
    assert (s["overall"]["values"], s["overall"]["isolated"], s["overall"]["fields"]) == (5, 1, 3)


def test_replay_mix_unheld_and_pairs() -> None:
    paths = [
        WalkPath("t", ("a", "c")),  # q1 holds both: replay; c is q2's too: a mix of q1, q2
        WalkPath("t", ("a", "d")),  # q1 + q3, never together: novel (and a mix), unattested
        WalkPath("t", ("b", "c")),  # q2 holds both: replay; with q1, q3: a mix
        WalkPath("t", ("a", "zz")),  # zz is held by nobody: unheld, no mix
    ]
    m = walk_metrics(paths, HOLDERS, [v for v in VALUES if v.doc_type == "t"])["overall"]
    assert set(m) == set(WALK_METRICS)
    assert (m["walks"], m["replay"], m["novel"], m["unheld"], m["mix"]) == (4, 0.5, 0.25, 0.25, 0.75)
    only_q1 = walk_metrics([WalkPath("t", ("a",))], HOLDERS, VALUES)["overall"]
    assert (only_q1["mix"], only_q1["replay"]) == (0.0, 1.0)  # one query's value alone: replay, no mix
    assert m["queries_per_walk"] == (2 + 2 + 3 + 1) / 4  # |q1,q2|, |q1,q3|, |q1,q2,q3|, |q1|
    assert (m["attested_pairs"], m["fully_attested"]) == (0.5, 0.5)
    assert m["field_coverage"] == 1.0
    assert m["distinct_1"] == 5 / 8  # a three times, c twice, d, b, zz
    assert m["distinct_2"] == 1.0
    counts = [3, 2, 1, 1, 1]
    assert m["value_entropy"] == pytest.approx(-sum(c / 8 * math.log2(c / 8) for c in counts))
    assert m["value_entropy_norm"] == pytest.approx(m["value_entropy"] / 2)


def test_no_walks_gives_nulls_not_errors() -> None:
    m = walk_metrics([], HOLDERS, VALUES)["overall"]
    assert m["walks"] == 0 and m["mix"] is None and m["attested_pairs"] is None and m["field_coverage"] == 0


def test_random_baseline_is_seeded_and_uses_distinct_fields() -> None:
    paths = random_paths(VALUES, {"t": 50, "u": 3}, length=6, seed=4)
    assert paths == random_paths(VALUES, {"t": 50, "u": 3}, length=6, seed=4)
    assert paths != random_paths(VALUES, {"t": 50, "u": 3}, length=6, seed=5)
    field = {v.key: v.field for v in VALUES}
    assert [p.doc_type for p in paths] == ["t"] * 50 + ["u"] * 3
    for p in paths:
        fields = [field[k] for k in p.keys]
        assert len(fields) == len(set(fields)) == (2 if p.doc_type == "t" else 1)
    assert {k for p in paths for k in p.keys} == {"a", "b", "c", "d", "x"}


def test_render_text_shows_every_strategy() -> None:
    paths = [WalkPath("t", ("a", "c"))]
    report = {
        "graph": graph_summary(VALUES),
        "strategies": {s: walk_metrics(paths, HOLDERS, VALUES) for s in ("run", "random")},
        "walks": 1, "length": 2, "seed": 0, "run_strategy": ["weighted"], "missing_values": 0,
    }  # fmt: skip
    text = render_text(report)
    assert "metric" in text and "random" in text and "t / run" in text and "u / random" in text
    replay = next(line for line in text.splitlines() if line.strip().startswith("replay"))
    assert replay.split() == ["replay", "1.000", "1.000"]
