"""Weighted walks in Neo4j against the NumPy reference: seeded, exact, and statistically right."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from tests.support.walk_graphs import EMAIL_EDGES, EMAIL_NODES, build, weight
from wildlong.graph import Graph
from wildlong.records import Counts
from wildlong.synth.walk_index import ensure_index
from wildlong.synth.walk_numpy import Adjacency, NumpyStepper
from wildlong.synth.walk_step import CypherStepper, StepRequest
from wildlong.synth.walks import WalkConfig, allocate, sample_walks


@pytest.fixture
def email(graph: Graph) -> tuple[Graph, list[str]]:
    keys = build(graph, "email", EMAIL_NODES, EMAIL_EDGES, size=12)
    return graph, keys


def _walks(graph: Graph, **kw: object) -> tuple[list[tuple[str, ...]], Counts]:
    stats = Counts("walk")
    cfg = WalkConfig(**kw)  # type: ignore[arg-type]
    return [tuple(w.node_ids) for w in sample_walks(graph.driver, graph.database, cfg, stats)], stats


def test_same_seed_same_paths_and_numpy_agrees(email: tuple[Graph, list[str]]) -> None:
    graph, _ = email
    first, stats = _walks(graph, walks=8, length=6, min_length=2, seed=7)
    again, _ = _walks(graph, walks=8, length=6, min_length=2, seed=7)
    other, _ = _walks(graph, walks=8, length=6, min_length=2, seed=8)
    assert first == again
    assert first != other
    assert stats.kept == len(first) and stats.per_doc_type == {"email": len(first)}
    assert stats.seen == stats.kept + sum(stats.dropped.values())  # every attempt is seen
    numpy_stats = Counts("walk")
    adj = Adjacency.load(graph.driver, graph.database, "email")
    cfg = WalkConfig(walks=8, length=6, min_length=2, seed=7)
    reference = [tuple(w.node_ids) for w in sample_walks(graph.driver, graph.database, cfg, numpy_stats,
                                                         stepper=NumpyStepper(adj))]  # fmt: skip
    assert reference == first
    assert numpy_stats.dropped == stats.dropped


def test_one_value_per_field_and_weights_recorded(email: tuple[Graph, list[str]]) -> None:
    graph, keys = email
    stats = Counts("walk")
    walks = list(
        sample_walks(graph.driver, graph.database, WalkConfig(walks=10, min_length=2, seed=1), stats)
    )
    assert walks
    by_key = {k: (f, v) for k, (f, v, _) in zip(keys, EMAIL_NODES, strict=True)}
    edge_w = {frozenset((keys[i], keys[j])): weight(c) for i, j, c in EMAIL_EDGES}
    for w in walks:
        assert len(set(w.fields)) == len(w.fields)
        assert [by_key[k] for k in w.node_ids] == list(zip(w.fields, w.values, strict=True))
        assert len(w.weights) == len(w.node_ids) - 1
        for a, b, wt in zip(w.node_ids, w.node_ids[1:], w.weights, strict=False):
            assert wt == pytest.approx(edge_w[frozenset((a, b))])
    assert len({tuple(sorted(w.node_ids)) for w in walks}) == len(walks)  # duplicates dropped


def test_dead_end_ends_the_walk(email: tuple[Graph, list[str]]) -> None:
    graph, keys = email
    stepper = CypherStepper(graph.driver, graph.database)
    # From "quarterly report" (context) the only neighbour is "formal"; from there "finance" remains.
    picks = stepper.step([StepRequest(0, keys[6], ["context"], 0.99)])
    assert picks[0].key == keys[5]
    # A walk that already holds every neighbour's field is at a dead end: no row comes back.
    assert stepper.step([StepRequest(1, keys[6], ["context", "language_style"], 0.5)]) == {}
    walks, stats = _walks(graph, walks=40, length=6, min_length=6, seed=3, max_attempts=3)
    assert all(len(w) == 6 for w in walks)
    assert stats.dropped["too_short"] > 0


@pytest.mark.parametrize("engine", ["cypher", "numpy"])
@pytest.mark.parametrize("uniform", [False, True])
def test_transitions_match_weights_chi_square(
    email: tuple[Graph, list[str]], engine: str, uniform: bool
) -> None:
    graph, keys = email
    n = 20_000
    u = np.random.default_rng(12345).random(n)
    draws = np.random.default_rng(999).random((n, 8))
    requests = [StepRequest(i, keys[0], ["task_type"], float(u[i]), list(draws[i])) for i in range(n)]
    if engine == "cypher":
        picks = CypherStepper(graph.driver, graph.database, uniform=uniform).step(requests)
    else:
        picks = NumpyStepper(Adjacency.load(graph.driver, graph.database, "email"), uniform=uniform).step(
            requests
        )
    assert len(picks) == n
    neighbours = {keys[j]: weight(c) for i, j, c in EMAIL_EDGES if i == 0}
    observed = np.array([sum(1 for p in picks.values() if p.key == k) for k in neighbours])
    w = np.ones(len(neighbours)) if uniform else np.array(list(neighbours.values()))
    expected = w / w.sum() * n
    assert observed.sum() == n
    assert chisquare(observed, expected).pvalue > 0.001


def test_independent_samples_marginals_without_edges(email: tuple[Graph, list[str]]) -> None:
    graph, _ = email
    stats = Counts("walk")
    cfg = WalkConfig(strategy="independent", walks=20, length=4, min_length=4, seed=5)
    walks = list(sample_walks(graph.driver, graph.database, cfg, stats))
    assert len(walks) == 20
    for w in walks:
        assert len(w.node_ids) == 4 and len(set(w.fields)) == 4 and w.weights == []
        assert w.strategy == "independent"


def test_allocation_is_proportional_and_exact() -> None:
    assert allocate({"a": 10, "b": 30, "c": 60}, 10) == {"a": 1, "b": 3, "c": 6}
    assert sum(allocate({"a": 1, "b": 1, "c": 1}, 10).values()) == 10


@pytest.mark.parametrize("engine", ["cypher", "numpy"])
def test_rejected_draws_fall_back_to_the_exact_step(email: tuple[Graph, list[str]], engine: str) -> None:
    """From "bullet list" with task_type on the path, most weight lies on the excluded "summarize": draws
    are rejected often and the exact step decides; the result must still follow the allowed weights."""
    graph, keys = email
    cfg = WalkConfig(walks=1, min_length=1)
    list(sample_walks(graph.driver, graph.database, cfg, Counts("walk")))  # builds the walk index
    n = 20_000
    rng = np.random.default_rng(4)
    u, draws = rng.random(n), rng.random((n, 2))
    requests = [
        StepRequest(i, keys[3], ["output_format", "task_type"], float(u[i]), list(draws[i])) for i in range(n)
    ]
    if engine == "cypher":
        stepper = CypherStepper(graph.driver, graph.database)
        picks = stepper.step(requests)
        assert (
            stepper.queries == 2
        )  # the rejection query, then the exact one for the walks it could not place
    else:
        picks = NumpyStepper(Adjacency.load(graph.driver, graph.database, "email")).step(requests)
    allowed = {keys[1]: weight(3), keys[4]: weight(1)}  # "save time" (count 3), "finance" (count 1)
    observed = np.array([sum(1 for p in picks.values() if p.key == k) for k in allowed])
    assert observed.sum() == n
    w = np.array(list(allowed.values()))
    assert chisquare(observed, w / w.sum() * n).pvalue > 0.001


def test_a_hub_spanning_many_index_blocks_steps_exactly_like_numpy(graph: Graph) -> None:
    """150 neighbours: three blocks of the walk index. Every pick (key and weight) equals the NumPy
    reference's, rejections included, and the picks follow the weights of the allowed neighbours."""
    fields = ["domain", "user_intent", "output_format", "language_style"]
    nodes = [("task_type", "hub", 500)] + [(fields[i % 4], f"n{i:03d}", 1 + i % 7) for i in range(150)]
    edges = [(0, i + 1, 1 + (i * 37) % 50) for i in range(150)]
    keys = build(graph, "big", nodes, edges, size=600)
    assert ensure_index(graph.driver, graph.database, "big")
    blocks = graph.driver.execute_query(
        "MATCH (v:Value {key: $key}) RETURN size(v.walk_bmax) AS b, v.walk_deg AS d", key=keys[0]
    ).records[0]
    assert (blocks["b"], blocks["d"]) == (3, 150)
    n = 6000
    u = np.random.default_rng(7).random(n)
    draws = np.random.default_rng(8).random((n, 8))
    requests = [
        StepRequest(i, keys[0], ["task_type", "domain"], float(u[i]), list(draws[i])) for i in range(n)
    ]
    cypher_picks = CypherStepper(graph.driver, graph.database).step(requests)
    numpy_picks = NumpyStepper(Adjacency.load(graph.driver, graph.database, "big")).step(requests)
    assert len(cypher_picks) == n
    assert {i: (p.key, p.weight) for i, p in cypher_picks.items()} == {
        i: (p.key, pytest.approx(p.weight)) for i, p in numpy_picks.items()
    }
    allowed = {keys[j]: weight(c) for _, j, c in edges if nodes[j][0] != "domain"}
    assert all(p.key in allowed for p in cypher_picks.values())
    w = np.array(list(allowed.values()))
    observed = np.array([sum(1 for p in cypher_picks.values() if p.key == k) for k in allowed])
    assert chisquare(observed, w / w.sum() * n).pvalue > 0.001
