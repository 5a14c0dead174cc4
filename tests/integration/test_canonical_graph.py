"""The canonical stage then the load, as stage commands against the real Neo4j: merged values carry their
surface forms and counts on the (:Value) node; junk never reaches the graph; --no-canonical loads raw
values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import SESSION_SERVER
from tests.integration.test_loader_graph import fixture_model
from tests.support.seed import seed_run
from wildlong.cli import main
from wildlong.graph import Graph

pytestmark = pytest.mark.graph

ROWS = [
    ("q1", {"document_type": ["email"], "output_format": ["bullet list"], "domain": ["document_type"]}),
    ("q2", {"document_type": ["email"], "output_format": ["bullet lists"], "domain": ["n/a"]}),
    ("q3", {"document_type": ["email"], "output_format": ["bulleted list"], "domain": ["marketing"]}),
    (
        "q4",
        {"document_type": ["python script"], "output_format": ["bullet list"], "task_type": ["debugging"]},
    ),
]


def _extractions(path: Path) -> Path:
    lines = []
    for qid, fields in ROWS:
        lines.append(json.dumps({
            "query_id": f"fx:{qid}", "source": "fx", "conversation_id": qid, "model": "m",
            "prompt_name": "extract", "prompt_version": "0", "fields": fields,
        }))  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


def _values(graph: Graph) -> dict[tuple[str, str, str], tuple[list[str], list[int], int]]:
    rows, _, _ = graph.driver.execute_query(
        "MATCH (v:Value) RETURN v.doc_type AS d, v.field AS f, v.value AS value, v.forms AS forms, "
        "v.form_counts AS counts, v.count AS n",
        database_=graph.database,
    )
    return {(r["d"], r["f"], r["value"]): (r["forms"], r["counts"], r["n"]) for r in rows}


def test_canonical_then_load_puts_forms_on_values(graph: Graph, tmp_path: Path) -> None:
    model = tmp_path / "doctypes.json"
    fixture_model().save(model)
    config = tmp_path / "run.yaml"
    config.write_text("name: canonical\nload:\n  reset: true\n")
    out = tmp_path / "run"
    extractions = _extractions(tmp_path / "extractions.jsonl")
    seed_run(out, config, {"extract": [extractions], "doctypes": [model, model.with_suffix(".npz")]})
    env: dict[str, Any] = {"NEO4J_URI": graph.uri, "NEO4J_DATABASE": graph.database}
    if SESSION_SERVER:
        env["NEO4J_PASSWORD"] = SESSION_SERVER[0].password()

    # `wildlong load` runs canonical first when it is not complete in the folder
    loaded = CliRunner().invoke(main, ["load", "-o", str(out)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "= doctypes   complete already" in loaded.output and "✓ canonical" in loaded.output
    again = CliRunner().invoke(main, ["canonical", "-o", str(out)], env=env)
    assert again.exit_code == 0 and "canonical  complete already" in again.output, again.output
    report = json.loads((out / "canonical.json").read_text())
    assert report["groups"]["output_format"] == {"bullet list": {"bullet list": 2, "bullet lists": 1,
                                                                 "bulleted list": 1}}  # fmt: skip
    assert report["fields"]["domain"]["junk"] == {"field_name": 1, "placeholder": 1}
    values = _values(graph)
    forms = (["bullet list", "bullet lists", "bulleted list"], [2, 1, 1])
    assert values[("email", "output_format", "bullet list")] == (*forms, 3)
    assert values[("code", "output_format", "bullet list")] == (*forms, 1)
    assert values[("email", "domain", "marketing")] == (["marketing"], [1], 1)
    assert not [k for k in values if k[2] in {"document_type", "n/a", "bullet lists", "bulleted list"}]
    manifest = json.loads((out / "manifest.json").read_text())["stages"]
    assert manifest["load"]["counts"]["notes"]["merged_values"] == 2

    raw = CliRunner().invoke(main, ["canonical", "-o", str(out), "--no-canonical"], env=env)
    assert raw.exit_code == 0 and "records copied unchanged" in raw.output, raw.output
    again = CliRunner().invoke(main, ["load", "-o", str(out)], env=env)
    assert again.exit_code == 0, again.output
    values = _values(graph)
    assert values[("email", "domain", "document_type")] == (["document_type"], [1], 1)
    assert values[("email", "output_format", "bulleted list")] == (["bulleted list"], [1], 1)
