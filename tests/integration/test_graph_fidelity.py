"""Do walks mix real needs? The commands a user runs, on realistic free-text extractions, real Neo4j.

``tests/fixtures/graph/realistic_extractions.jsonl``: 160 real queries with 13 fields worded the way a
strong LLM words them (see its README). Lines 3, 6, 9, ... (a third) are held out of all tuning; the
other two thirds are what the defaults were chosen on. Each measurement is what a user types:

    wildlong doctypes EXTRACTIONS.jsonl -o RUN     # the file stands in for the extract stage
    wildlong load -o RUN --reset                   # runs canonical first (on by default)
    wildlong walk -o RUN --length 4                # N = 4, 1000 walks
    wildlong graph health -o RUN --json

and the figures asserted are the report's: mix (walks whose values come from >= 2 real queries) and
attested pairs (the share of all value pairs of the walks that some real query holds together).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import SESSION_SERVER
from wildlong.cli import main
from wildlong.graph import Graph

pytestmark = pytest.mark.graph

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "graph" / "realistic_extractions.jsonl"


def cli(graph: Graph, *args: str) -> str:
    env = {"NEO4J_URI": graph.uri, "NEO4J_PASSWORD": SESSION_SERVER[0].password()} if SESSION_SERVER else {}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, f"wildlong {' '.join(args)}\n{result.output}"
    return result.output


def split(tmp: Path) -> tuple[Path, Path]:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    tune, held = tmp / "tune.jsonl", tmp / "held.jsonl"
    tune.write_text("".join(line for i, line in enumerate(lines, 1) if i % 3), encoding="utf-8")
    held.write_text("".join(line for i, line in enumerate(lines, 1) if not i % 3), encoding="utf-8")
    return tune, held


def measure(graph: Graph, records: Path, run: Path, *load_args: str, compare: str = "") -> dict[str, Any]:
    cli(graph, "doctypes", str(records), "-o", str(run))
    cli(graph, "load", "-o", str(run), "--reset", *load_args)
    cli(graph, "walk", "-o", str(run), "--length", "4")
    report: dict[str, Any] = json.loads(
        cli(graph, "graph", "health", "-o", str(run), "--json", "--compare", compare)
    )
    return report


def figures(report: dict[str, Any], strategy: str = "run") -> str:
    o = report["strategies"][strategy]["overall"]
    keys = ("walks", "mix", "replay", "novel", "attested_pairs", "queries_per_walk")
    return ", ".join(f"{k} {o[k]:.3f}" if isinstance(o[k], float) else f"{k} {o[k]}" for k in keys)


def test_walks_mix_real_needs_and_canonical_values_make_the_difference(graph: Graph, tmp_path: Path) -> None:
    tune, _ = split(tmp_path)
    on = measure(graph, tune, tmp_path / "on", compare="independent,random")
    run = on["strategies"]["run"]["overall"]
    assert run["walks"] == 1000 and run["mean_length"] == 4.0, figures(on)
    assert run["mix"] >= 0.5, figures(on)
    assert run["attested_pairs"] >= 0.9, figures(on)
    assert run["novel"] > 0, figures(on)  # some walks combine needs no single query had
    for baseline in ("independent", "random"):  # the graph is what keeps the pairs real
        assert on["strategies"][baseline]["overall"]["attested_pairs"] < 0.5 * run["attested_pairs"], baseline
    manifest = json.loads((tmp_path / "on" / "manifest.json").read_text())
    assert manifest["stages"]["extract"]["counts"]["kept"] == 107  # the file stood in for extract
    assert manifest["stages"]["canonical"]["counts"]["notes"]["merged_forms"] > 0

    off = measure(graph, tune, tmp_path / "off", "--no-canonical")
    g_on, g_off = on["graph"]["overall"], off["graph"]["overall"]
    assert g_off["values"] > g_on["values"], (g_on, g_off)  # merged forms are one node each
    assert g_off["shared_values"] < g_on["shared_values"], (g_on, g_off)
    assert g_off["shared_share"] < g_on["shared_share"], (g_on, g_off)
    assert off["strategies"]["run"]["overall"]["walks"] == 1000, figures(off)


def test_held_out_third_gives_the_same_two_figures(graph: Graph, tmp_path: Path) -> None:
    _, held = split(tmp_path)
    report = measure(graph, held, tmp_path / "held")
    run = report["strategies"]["run"]["overall"]
    assert run["walks"] >= 500, figures(report)
    assert run["mix"] >= 0.5, figures(report)
    assert run["attested_pairs"] >= 0.9, figures(report)
