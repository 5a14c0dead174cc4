"""`wildlong audit FILE.jsonl`: the summary by reason, --json lines in input order, --keep, bad lines."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from wildlong.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "audit" / "records.jsonl"
LINES = FIXTURE.read_text(encoding="utf-8").splitlines()
RECORDS = [json.loads(line) for line in LINES]
GOOD = [r["id"] for r in RECORDS if r["label"] == "good"]


def audit(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["audit", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_summary_counts_each_gate_with_one_example() -> None:
    code, out, err = audit(str(FIXTURE))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"audit: {len(RECORDS)} records, {len(GOOD)} ok, {len(RECORDS) - len(GOOD)} flagged"
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {r["label"] for r in RECORDS} - {"good"}
    assert rows["refusal"].split()[1] == "4"
    assert "e.g. bad-refusal-sorry: refuses:" in rows["refusal"]
    assert (
        "e.g. bad-invented-numbers: 5 numbers not in the documents: 3.7, 4.6, 5.9, 510000, 6.8"
        in (rows["ungrounded_numbers"])
    )


def test_json_prints_one_verdict_per_record_in_input_order() -> None:
    code, out, err = audit(str(FIXTURE), "--json")
    assert code == 0
    verdicts = [json.loads(line) for line in out.splitlines()]
    assert [v["id"] for v in verdicts] == [r["id"] for r in RECORDS]
    assert [v["ok"] for v in verdicts] == [r["label"] == "good" for r in RECORDS]
    assert all(v["ok"] == (v["reasons"] == []) for v in verdicts)
    assert err.startswith("audit: ")  # the summary goes to stderr


def test_keep_writes_the_passing_records_as_they_were(tmp_path: Path) -> None:
    out = tmp_path / "clean.jsonl"
    code, stdout, _ = audit(str(FIXTURE), "--keep", str(out))
    assert code == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        line for line, r in zip(LINES, RECORDS, strict=True) if r["label"] == "good"
    ]
    assert f"kept {len(GOOD)} records in {out}" in stdout


def test_a_bad_line_is_one_message_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    no_id = {"messages": RECORDS[0]["messages"]}
    path.write_text("\n".join([LINES[0], "{not json", '{"messages": []}', "", json.dumps(no_id)]) + "\n")
    code, out, err = audit(str(path), "--json")
    assert code == 0
    assert err.splitlines()[:2] == [
        f"{path}:2: invalid JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{path}:3: messages: List should have at least 1 item after validation, not 0",
    ]
    assert [json.loads(line)["id"] for line in out.splitlines()] == [RECORDS[0]["id"], 5]
    assert "audit: 2 records, 2 ok, 0 flagged, 2 bad lines skipped" in err
    assert "Traceback" not in err


def test_a_file_without_a_valid_line_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{not json\n[1, 2]\n")
    code, _, err = audit(str(path))
    assert code == 2
    assert err.splitlines()[-1] == (
        f"Error: {path}: no valid record (2 bad lines) — give a JSONL file of chat records"
    )
    code, _, err = audit(str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot read" in err and "Traceback" not in err


def test_set_overrides_a_threshold_and_refuses_an_unknown_key() -> None:
    code, out, _ = audit(str(FIXTURE), "--json", "--set", "gates.disabled=[echo]")
    assert code == 0
    assert next(json.loads(line) for line in out.splitlines() if '"bad-echo"' in line)["ok"] is True
    code, _, err = audit(str(FIXTURE), "--set", "gates.echo_min_overlop=0.5")
    assert code == 2
    assert "gates.echo_min_overlop" in err and "echo_min_overlap" in err
