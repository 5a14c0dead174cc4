"""`wildlong read | extract | doctypes` as stage commands in a run folder (the LLM is the scripted double)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from tests.support.seed import seed_run
from wildlong.cli import main
from wildlong.loader.doctypes import DocTypeModel

SHARED = Path(__file__).parents[2] / ".." / "shared" / "data" / "conversations"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "loader"


@pytest.mark.parametrize("command", ["read", "extract", "doctypes", "load", "walk", "generate", "dataset"])
def test_help_has_a_summary_and_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output and "-o, --out" in result.output


def test_read_prints_drops(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["read", str(SHARED), "-o", str(out), "--min-chars", "20"])
    assert result.exit_code == 0, result.output
    assert (
        "✓ read" in result.output and "seen 498; kept 480; dropped language 6, too_short 12" in result.output
    )
    assert len((out / "queries.jsonl").read_text().splitlines()) == 480
    manifest = json.loads((out / "manifest.json").read_text())["stages"]
    assert manifest["read"]["counts"]["kept"] == 480 and manifest["read"]["complete"]


def test_read_config_section_and_flags(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        f"read:\n  sources: [{FIXTURES / 'wildchat_rows.jsonl'}]\n  languages: null\n  limit: 2\n"
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["read", "--config", str(config), "-o", str(out), "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = (out / "queries.jsonl").read_text().splitlines()
    assert len(lines) == 3  # the flag wins over the file
    assert json.loads(lines[2])["language"] == "zh"  # languages: null in the file keeps every language
    bad = CliRunner().invoke(
        main,
        [
            "read",
            str(FIXTURES / "wildchat_rows.jsonl"),
            "-o",
            str(out),
            "--set",
            "read.strict=true",
            "--set",
            "read.limit=null",
        ],
    )
    assert bad.exit_code == 2  # a bad input file is the user's to fix
    assert "wildchat_rows.jsonl:8: invalid JSON" in bad.output and "Traceback" not in bad.output


def test_extract_dry_run_then_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    read = CliRunner().invoke(
        main, ["read", str(SHARED / "openai_messages_oasst_sample.jsonl"), "-o", str(out)]
    )
    assert read.exit_code == 0, read.output
    with ScriptedOpenAIServer() as server:
        common = ["-o", str(out), "--base-url", server.base_url, "-m", server.model,
                  "--cache-path", str(tmp_path / "cache.sqlite"), "--set", "extract.limit=5"]  # fmt: skip
        dry = CliRunner().invoke(main, ["extract", *common, "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert next(line for line in dry.output.splitlines() if line.startswith("extract")).split()[2] == "5"
        assert server.chat_count == 0
        run = CliRunner().invoke(main, ["extract", *common])
        assert run.exit_code == 0, run.output
        assert "✓ extract" in run.output and "seen 5; kept 5" in run.output
        assert server.chat_count == 5
        assert len((out / "extractions.jsonl").read_text().splitlines()) == 5
        manifest = json.loads((out / "manifest.json").read_text())["stages"]
        assert manifest["extract"]["counts"]["llm_requests"] == {"extract": 5}


def test_doctypes_command(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("name: dt\n")
    out = tmp_path / "run"
    seed_run(out, config, {"extract": [FIXTURES / "extractions_a.jsonl", FIXTURES / "extractions_b.jsonl"]})
    result = CliRunner().invoke(
        main, ["doctypes", "-o", str(out), "--k", "2", "--set", "doctypes.min_queries=1"]
    )
    assert result.exit_code == 0, result.output
    assert "seen 6; kept 5; dropped no_document_type 1" in result.output
    model = DocTypeModel.load(out / "doctypes.json")
    assert model.k == 2 and set(model.assignments) == {
        "email",
        "business email",
        "python script",
        "source code",
    }
    bad = CliRunner().invoke(main, ["doctypes", "-o", str(out), "--k", "ten"])
    assert bad.exit_code == 2 and "doctypes.k" in bad.output, bad.output


def test_leftover_part_files_are_removed_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    (out / "dataset").mkdir(parents=True)
    (out / "manifest.json").write_text('{"wildlong": 1, "stages": {}}')  # a run folder, killed early
    (out / "walks.jsonl.part").write_text('{"half": ')
    (out / "dataset" / "train.jsonl.part").write_text("")
    result = CliRunner().invoke(main, ["read", str(FIXTURES / "sharegpt_small.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "removed walks.jsonl.part (left by an interrupted run)" in result.output
    assert not list(out.rglob("*.part"))
