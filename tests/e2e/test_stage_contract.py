"""The stage contract: a stage added to the one list shows up in `run`, `--until`, `--dry-run`, the
manifest, the config reference and a command of its own — and nothing else has to change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, ConfigDict, Field

from wildlong.cli import main
from wildlong.records import Counts, read_jsonl, write_jsonl
from wildlong.run.context import Context
from wildlong.run.registry import STAGES
from wildlong.run.stage import Forecast, Stage, StagePlan

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "loader" / "sharegpt_small.json"


class ToyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    greeting: str = Field("hello", description="what the toy stage writes before each query id")


class Greeting(BaseModel):
    text: str


def run_toy(ctx: Context) -> Counts:
    from wildlong.loader.records import QueryRecord

    counts = Counts("toy")
    greeting = ctx.section("toy").greeting
    queries = list(read_jsonl(ctx.path("queries.jsonl"), QueryRecord, counts))
    counts.seen = len(queries)
    write_jsonl(ctx.path("toy.jsonl"), [Greeting(text=f"{greeting} {q.query_id}") for q in queries])
    counts.keep(len(queries))
    return counts


def plan_toy(ctx: Context, fc: Forecast) -> StagePlan:
    return StagePlan("toy", records=fc.records.get("read"), notes=["toy: greets every query"])


TOY = Stage(
    name="toy",
    summary="greets every query read (a toy stage of the contract test)",
    outputs=("toy.jsonl",),
    section="toy",
    sections=("toy",),
    depends=("read",),
    run=run_toy,
    plan=plan_toy,
    config=ToyConfig,
    example="wildlong toy -o runs/try",
)


@pytest.fixture
def toy() -> Iterator[Stage]:
    STAGES.insert(1, TOY)
    try:
        yield TOY
    finally:
        STAGES.remove(TOY)


def test_a_stage_added_to_the_list_only_is_everywhere(toy: Stage, tmp_path: Path) -> None:
    config = tmp_path / "toy.yaml"
    out = tmp_path / "run"
    config.write_text(
        f"name: toy\nout: {out}\nread:\n  sources: [{FIXTURE}]\n  min_chars: 1\ntoy:\n  greeting: hi\n"
    )
    runner = CliRunner()

    helped = runner.invoke(main, ["run", "--help"])
    assert "toy" in helped.output  # a choice of --until
    listed = runner.invoke(main, ["--help"])
    assert "toy" in listed.output
    keys = runner.invoke(main, ["config", "keys", "toy"])
    assert "toy.greeting" in keys.output and "what the toy stage writes" in keys.output

    dry = runner.invoke(main, ["run", str(config), "--until", "toy", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    read_records = int(next(ln for ln in dry.output.splitlines() if ln.startswith("read ")).split()[-1])
    toy_line = next(ln for ln in dry.output.splitlines() if ln.startswith("toy "))
    assert toy_line.split()[-1] == str(read_records) and read_records > 0
    assert "note: toy: greets every query" in dry.output
    assert not out.exists() or not (out / "manifest.json").exists()  # a dry-run writes nothing

    ran = runner.invoke(main, ["run", str(config), "--until", "toy"])
    assert ran.exit_code == 0, ran.output
    assert "✓ toy" in ran.output and "> extract" not in ran.output  # --until stops after it
    manifest = json.loads((out / "manifest.json").read_text())["stages"]
    assert set(manifest) == {"read", "toy"}
    assert manifest["toy"]["counts"]["kept"] == manifest["read"]["counts"]["kept"] == read_records
    lines = (out / "toy.jsonl").read_text().splitlines()
    assert len(lines) == read_records and json.loads(lines[0])["text"].startswith("hi ")

    again = runner.invoke(main, ["toy", "-o", str(out)])
    assert again.exit_code == 0, again.output
    assert "= toy        complete already" in again.output
    changed = runner.invoke(main, ["toy", "-o", str(out), "--set", "toy.greeting=yo"])
    assert changed.exit_code == 0, changed.output
    assert json.loads((out / "toy.jsonl").read_text().splitlines()[0])["text"].startswith("yo ")
    typo = runner.invoke(main, ["toy", "-o", str(out), "--set", "toy.greting=yo"])
    assert typo.exit_code == 2 and "did you mean toy.greeting?" in typo.output
    own_help = runner.invoke(main, ["toy", "--help"])
    assert own_help.exit_code == 0 and "Example" in own_help.output


def test_a_stage_command_refuses_when_its_upstream_is_not_complete(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["pair", "-o", str(tmp_path / "empty")])
    assert result.exit_code == 2, result.output
    assert "pair needs the output of instruct" in result.output and "wildlong instruct" in result.output
