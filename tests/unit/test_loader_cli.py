"""`wildlong read | extract | doctypes` through click (no network: the LLM is the scripted double)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.doubles.scripted_openai_server import ScriptedOpenAIServer
from wildlong.cli.load_cmd import doctypes, load
from wildlong.cli.loader_cmd import extract, read
from wildlong.errors import ConfigError
from wildlong.loader.doctypes import DocTypeModel

SHARED = Path(__file__).parents[2] / ".." / "shared" / "data" / "conversations"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "loader"


@pytest.mark.parametrize("command", [read, extract, doctypes, load])
def test_help_has_a_summary_and_an_example(command: object) -> None:
    result = CliRunner().invoke(command, ["--help"])  # type: ignore[arg-type]
    assert result.exit_code == 0 and "Example" in result.output


def test_read_prints_drops_and_writes_meta(tmp_path: Path) -> None:
    out = tmp_path / "q.jsonl"
    result = CliRunner().invoke(read, [str(SHARED), "-o", str(out), "--min-chars", "20"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(
        "read: 498 seen, 480 kept, 18 dropped (language=6, too_short=12)"
    )
    assert len(out.read_text().splitlines()) == 480
    meta = json.loads((tmp_path / "q.meta.json").read_text())
    assert meta["config"]["min_chars"] == 20 and meta["counts"]["kept"] == 480


def test_read_config_section_and_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        f"read:\n  sources: [{FIXTURES / 'wildchat_rows.jsonl'}]\n  languages: null\n  limit: 2\n"
    )
    out = tmp_path / "q.jsonl"
    result = CliRunner().invoke(read, ["--config", str(config), "-o", str(out), "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 3  # the flag wins over the file
    assert json.loads(lines[2])["language"] == "zh"  # languages: null in the file keeps every language
    from wildlong.cli import COMMANDS, main

    monkeypatch.setitem(COMMANDS, "read", "wildlong.cli.loader_cmd:read")  # as registered in the CLI
    bad = CliRunner().invoke(
        main, ["read", str(FIXTURES / "wildchat_rows.jsonl"), "-o", str(out), "--strict"]
    )
    assert bad.exit_code == 1
    assert "wildchat_rows.jsonl:8: invalid JSON" in bad.output and "Traceback" not in bad.output


def test_extract_dry_run_then_run(tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    CliRunner().invoke(read, [str(SHARED / "openai_messages_oasst_sample.jsonl"), "-o", str(queries)])
    out = tmp_path / "e.jsonl"
    with ScriptedOpenAIServer() as server:
        common = [str(queries), "-o", str(out), "--base-url", server.base_url, "-m", server.model,
                  "--cache-path", str(tmp_path / "cache.sqlite"), "--limit", "5"]  # fmt: skip
        dry = CliRunner().invoke(extract, [*common, "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "5 queries to extract (0 already in" in dry.output
        assert next(line for line in dry.output.splitlines() if line.startswith("extract")).split()[2] == "5"
        assert server.chat_count == 0
        run = CliRunner().invoke(extract, common)
        assert run.exit_code == 0, run.output
        assert "extract: 5 seen, 5 kept, 0 dropped" in run.output
        assert len(out.read_text().splitlines()) == 5


def test_config_sections(tmp_path: Path) -> None:
    from wildlong.loader.config import ExtractConfig, ReadConfig, config_section

    one_step = tmp_path / "extract.yaml"
    one_step.write_text("max_query_chars: 1000\n")
    assert config_section(one_step, "extract", ExtractConfig, {"limit": 3}).max_query_chars == 1000
    run = tmp_path / "run.yaml"
    run.write_text("llm: {model: x}\nread: {min_chars: 5}\n")
    assert config_section(run, "read", ReadConfig, {}).min_chars == 5
    assert config_section(run, "extract", ExtractConfig, {}) == ExtractConfig()
    with pytest.raises(ConfigError, match=r"config read\.min_chars"):
        config_section(run, "read", ReadConfig, {"min_chars": -1})


def test_doctypes_command(tmp_path: Path) -> None:
    out = tmp_path / "dt.json"
    files = [str(FIXTURES / "extractions_a.jsonl"), str(FIXTURES / "extractions_b.jsonl")]
    result = CliRunner().invoke(doctypes, [*files, "-o", str(out), "--k", "2"])
    assert result.exit_code == 0, result.output
    assert "doctypes: 6 seen, 5 kept, 1 dropped (no_document_type=1)" in result.output
    model = DocTypeModel.load(out)
    assert model.k == 2 and set(model.assignments) == {
        "email",
        "business email",
        "python script",
        "source code",
    }
    assert CliRunner().invoke(doctypes, [*files, "--k", "ten"]).exit_code == 2
