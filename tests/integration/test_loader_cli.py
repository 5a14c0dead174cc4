"""`wildlong load` as a stage command against the real Neo4j (the session's server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SESSION_SERVER
from tests.integration.test_loader_graph import A, B, fixture_model
from tests.support.seed import seed_run
from wildlong.cli import main
from wildlong.graph import Graph
from wildlong.loader.graph_load import summary

pytestmark = pytest.mark.graph


def test_load_command_twice(graph: Graph, tmp_path: Path) -> None:
    model_path = tmp_path / "doctypes.json"
    fixture_model().save(model_path)
    config = tmp_path / "run.yaml"
    config.write_text("name: load\n")
    out = tmp_path / "run"
    npz = model_path.with_suffix(".npz")
    seed_run(
        out,
        config,
        {"extract": [A, B], "doctypes": [model_path, npz], "canonical": _as_canonical(tmp_path, A, B)},
    )
    env = {"NEO4J_URI": graph.uri, "NEO4J_DATABASE": graph.database}
    if SESSION_SERVER:
        env["NEO4J_PASSWORD"] = SESSION_SERVER[0].password()
    args = ["load", "-o", str(out), "--batch-size", "2"]
    first = CliRunner().invoke(main, args, env=env)
    assert first.exit_code == 0, first.output
    assert "wrote 6 queries (0 unchanged), 18 HAS facts" in first.output
    assert (
        "graph: queries 6, values 12, doc_types 2, has 18, of_type 5, in_type 12, co_occurs 23"
        in first.output
    )
    assert "    0 email                                   3       7       15" in first.output
    second = CliRunner().invoke(main, [*args, "--force"], env=env)
    assert second.exit_code == 0, second.output
    assert "wrote 0 queries (6 unchanged), 0 HAS facts" in second.output
    assert summary(graph.driver, graph.database)["co_occurs"] == 23

    other = tmp_path / "other.json"
    changed = fixture_model()
    changed.clusters[0].name = "mail"
    changed.save(other)
    canonical = _as_canonical(tmp_path, A)
    seed_run(
        out, config, {"extract": [A], "doctypes": [other, other.with_suffix(".npz")], "canonical": canonical}
    )
    refused = CliRunner().invoke(main, ["load", "-o", str(out)], env=env)
    assert (
        refused.exit_code == 2 and "another doc-type model" in refused.output and "--reset" in refused.output
    )
    reset = CliRunner().invoke(main, ["load", "-o", str(out), "--reset"], env=env)
    assert reset.exit_code == 0, reset.output
    assert "graph: queries 4, values 8, doc_types 2" in reset.output


def _as_canonical(folder: Path, *files: Path) -> list[Path]:
    """The canonical stage's outputs for records taken as they are (no merge): the records, a report."""
    records, report = folder / "canonical.jsonl", folder / "canonical.json"
    records.write_bytes(b"".join(f.read_bytes() for f in files))
    report.write_text('{"format_version": 1, "enabled": false, "fields": {}}')
    return [records, report]
