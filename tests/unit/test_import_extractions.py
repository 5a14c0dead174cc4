"""`wildlong doctypes FILE`: a user's extraction records stand in for the extract stage of a run folder."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from wildlong.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "graph" / "realistic_extractions.jsonl"


def _lines(n: int) -> list[str]:
    return FIXTURE.read_text(encoding="utf-8").splitlines()[:n]


def _doctypes(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["doctypes", *args])
    return result.exit_code, result.output


def test_good_lines_are_imported_and_bad_lines_named_and_skipped(tmp_path: Path) -> None:
    lines = _lines(12)
    lines[3] = '{"query_id": "broken"'  # cut mid-object
    lines[7] = json.dumps({"query_id": "q", "fields": {}})  # not an extraction record
    source = tmp_path / "mine.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = _doctypes(str(source), "-o", str(tmp_path / "run"))
    assert code == 0, output
    assert f"skipped {source}:4: invalid JSON" in output
    assert f"skipped {source}:8:" in output
    assert "imported 10 records" in output and "(2 bad lines skipped)" in output
    run = tmp_path / "run"
    assert len((run / "extractions.jsonl").read_text().splitlines()) == 10
    stages = json.loads((run / "manifest.json").read_text())["stages"]
    extract = stages["extract"]
    assert (
        extract["complete"]
        and extract["counts"]["kept"] == 10
        and extract["counts"]["dropped"] == {"malformed": 2}
    )
    assert extract["counts"]["imported_from"] == str(source.resolve())
    assert stages["doctypes"]["complete"] and (run / "doctypes.json").is_file()

    # the same file again changes nothing; a changed file is imported and what came from it is redone
    code, output = _doctypes(str(source), "-o", str(run))
    assert code == 0 and "imported already" in output and "complete already" in output, output
    source.write_text("\n".join(_lines(20)) + "\n", encoding="utf-8")
    code, output = _doctypes(str(source), "-o", str(run))
    assert code == 0 and "imported 20 records" in output and "✓ doctypes" in output, output


def test_a_file_with_no_valid_line_is_the_users_mistake(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text("not json\n{}\n", encoding="utf-8")
    code, output = _doctypes(str(source), "-o", str(tmp_path / "run"))
    assert code == 2, output
    assert f"{source}: no valid ExtractionRecord line (2 bad)" in output
    assert "Traceback" not in output
    missing = _doctypes(str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "run2"))
    assert missing[0] == 2 and "no such file" in missing[1]


def test_help_shows_the_file_argument() -> None:
    result = CliRunner().invoke(main, ["load", "--help"])
    assert result.exit_code == 0
    assert "[FILE]" in result.output and "Runs doctypes, canonical first" in result.output
    assert "--no-canonical" in result.output and "--no-store-text" in result.output


def test_a_folder_holding_only_extractions_starts_from_them(tmp_path: Path) -> None:
    """Reference extractions dropped into a folder (no manifest): the stage commands start from them."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "extractions.jsonl").write_text("\n".join(_lines(15)) + "\n", encoding="utf-8")
    code, output = _doctypes("-o", str(folder))
    assert code == 0, output
    assert f"imported 15 records from {folder / 'extractions.jsonl'}" in output and "✓ doctypes" in output
    assert len((folder / "extractions.jsonl").read_text().splitlines()) == 15  # rewritten as it was
    stages = json.loads((folder / "manifest.json").read_text())["stages"]
    assert stages["extract"]["complete"] and stages["doctypes"]["complete"]
    again = _doctypes("-o", str(folder))  # now a run folder: nothing imported again
    assert again[0] == 0 and "complete already" in again[1] and "imported" not in again[1], again[1]
