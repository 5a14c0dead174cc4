"""`wildlong eval ruler` end to end against the embedded SmolLM2 server, at a short length.

The server starts in a temporary WILDLONG_HOME on a free port and stops at the end. The 135M model is weak:
the test checks the run (prompts sent with the chat template, answers stored, the table), not the scores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildlong.cli.train_cmd import eval_group
from wildlong.llm import embedded

pytestmark = pytest.mark.llm
TASKS = ["niah_single_1", "vt"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("wildlong-home")
        patch.setenv("WILDLONG_HOME", str(folder))
        for name in ("WILDLONG_LLM_BASE_URL", "OPENAI_BASE_URL", "WILDLONG_LLM_MODEL", "OPENAI_API_KEY"):
            patch.delenv(name, raising=False)
        embedded.start(port=0, parallel=2, ctx_per_slot=4096)
        try:
            yield folder
        finally:
            embedded.stop()


def test_ruler_against_the_embedded_llm_produces_the_table(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "ruler"
    args = ["ruler", "--tasks", ",".join(TASKS), "--lengths", "1024", "--samples", "1", "-o", str(out),
            "--cache-path", str(tmp_path / "cache.sqlite")]  # fmt: skip
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 0, result.output
    assert "SmolLM2-135M-Instruct" in result.output
    for task in TASKS:
        assert f"| {task} | " in result.output
    assert "| **average** |" in result.output
    rows = json.loads((out / "scores.json").read_text())["rows"]
    assert [(r["task"], r["length"], r["samples"]) for r in rows] == [(t, 1024, 1) for t in TASKS]
    assert all(0.0 <= r["score"] <= 100.0 for r in rows)
    for task in TASKS:
        sample = json.loads((out / "samples" / f"{task}_1024.jsonl").read_text())
        assert sample["input_tokens"] + sample["max_new_tokens"] <= 1024
        prediction = json.loads((out / "predictions" / f"{task}_1024.jsonl").read_text())
        assert prediction["reason"] is None and prediction["pred"].strip()
    again = CliRunner().invoke(eval_group, args)  # resumed: every answer is read back
    assert again.exit_code == 0 and (out / "summary.md").read_text().strip() in again.output
