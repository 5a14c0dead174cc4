"""RULER's scoring on hand-made predictions (exact scores), the table, and a resumable run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import quicktok

from wildlong.errors import ConfigError
from wildlong.train.ruler_backends import strip_echo
from wildlong.train.ruler_run import RulerConfig, run_ruler
from wildlong.train.ruler_score import Table, postprocess, score, string_match_all, string_match_part
from wildlong.train.ruler_tasks import Sample

REFS = [["7412345"], ["alpha", "beta", "gamma", "delta"], ["Paris", "paris, france"], ["x"]]
PREDS = [
    "The number is 7412345.",  # all found
    "ALPHA and Beta, then gamma",  # 3 of 4, case-insensitive
    "It is Paris.",  # one of the two references
    "",  # nothing
]


def test_string_match_all_gives_the_exact_expected_score() -> None:
    # (1 + 3/4 + 1/2 + 0) / 4 * 100 = 56.25
    assert string_match_all(PREDS, REFS) == 56.25


def test_string_match_part_gives_the_exact_expected_score() -> None:
    # (1 + 1 + 1 + 0) / 4 * 100 = 75.0
    assert string_match_part(PREDS, REFS) == 75.0


def test_scores_round_to_two_decimals_like_ruler() -> None:
    assert string_match_all(["a", "", ""], [["a"], ["b"], ["c"]]) == 33.33
    assert string_match_part(["a b", "b", "zz"], [["a", "q"], ["q"], ["zz"]]) == 66.67


def test_predictions_are_cleaned_first() -> None:
    assert postprocess("  \x00 42\x07 \n") == "42"
    assert score("all", ["7\x0b412345"], [["7412345"]]) == 0.0  # a control character splits the answer
    assert score("part", ["  Paris\x00"], [["paris"]]) == 100.0


def test_the_table_averages_per_length_and_overall(tmp_path: Path) -> None:
    table = Table(tasks=["niah_single_1", "vt", "qa_1"], lengths=[1024, 2048])
    values = {("niah_single_1", 1024): 100.0, ("vt", 1024): 50.0, ("qa_1", 1024): 20.0,
              ("niah_single_1", 2048): 80.0, ("vt", 2048): 40.0}  # fmt: skip
    for key, value in values.items():
        table.scores[key], table.samples[key], table.nulls[key] = value, 2, 0
    assert table.average(1024) == 56.67
    assert table.average(2048) == 60.0
    assert table.overall() == 58.34  # round((56.67 + 60.0) / 2, 2)
    text = table.format()
    assert "| vt | 50.00 | 40.00 |" in text and "| qa_1 | 20.00 | - |" in text
    assert "| **average** | 56.67 | 60.00 |" in text
    table.write(tmp_path)
    assert (tmp_path / "summary.csv").read_text().splitlines()[0] == "task,1024,2048"
    assert json.loads((tmp_path / "scores.json").read_text())["average"] == 58.34


def test_an_echoed_answer_prefix_is_removed() -> None:
    prefix = " The special magic number for apple-tree mentioned in the provided text is"
    assert strip_echo(prefix.strip() + " 4412321.", prefix) == " 4412321."
    assert strip_echo(" 4412321.", prefix) == " 4412321."


class Scripted:
    """A backend that answers right for even sample indices and wrong for odd ones, and counts calls."""

    name = "scripted"

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.encoding = quicktok.get_encoding("o200k_base")

    def count(self, prompt: str, answer_prefix: str) -> int:
        return int(self.encoding.count(prompt + answer_prefix))

    def predict(self, samples: Sequence[Sample]) -> list[tuple[str, str | None]]:
        self.sent += [s.index for s in samples]
        return [(" ".join(s.outputs) if s.index % 2 == 0 else "no idea", None) for s in samples]


def test_a_run_scores_writes_and_resumes_without_asking_again(tmp_path: Path) -> None:
    cfg = RulerConfig(tasks=["niah_single_1", "vt", "qa_1"], lengths=[1000], samples=4, output_dir=tmp_path)
    backend, lines = Scripted(), []
    table = run_ruler(cfg, backend, counter_name="o200k", echo=lines.append)
    assert table.tasks == ["niah_single_1", "vt"]  # qa_1 has no SQuAD file: skipped, and said so
    assert any("qa_1 skipped" in line and "--squad" in line for line in lines)
    assert table.scores == {("niah_single_1", 1000): 50.0, ("vt", 1000): 50.0}
    assert sorted(backend.sent) == [0, 0, 1, 1, 2, 2, 3, 3]
    again = Scripted()
    assert run_ruler(cfg, again, counter_name="o200k", echo=lambda _: None).scores == table.scores
    assert again.sent == []  # everything came back from the files
    with pytest.raises(ConfigError, match="other settings"):
        run_ruler(cfg.model_copy(update={"seed": 7}), again, counter_name="o200k", echo=lambda _: None)


def test_a_local_transformers_model_answers_through_its_chat_template() -> None:
    pytest.importorskip("torch")
    from wildlong.train.config import TinyModel
    from wildlong.train.ruler_backends import LocalBackend, render_prompt
    from wildlong.train.tiny import byte_tokenizer, tiny_llama

    tokenizer = byte_tokenizer()
    model = tiny_llama(tokenizer, TinyModel(hidden_size=32, intermediate_size=64), seed=1)
    backend = LocalBackend("tiny", mode="prefill", model=model, tokenizer=tokenizer)
    prompt = render_prompt(tokenizer, "What is the number?", " The number is", "prefill")
    assert prompt == "<|im_start|>user\nWhat is the number?<|im_end|>\n<|im_start|>assistant\n The number is"
    special = 2 * (len("<|im_start|>") - 1) + (len("<|im_end|>") - 1)  # one token each, the rest bytes
    assert backend.count("What is the number?", " The number is") == len(prompt.encode()) - special
    sample = Sample("niah_single_1", 256, 0, "What is the number?", " The number is", ["7"], 40, 5)
    [(reply, reason)] = backend.predict([sample])
    assert reason is None and isinstance(reply, str)


def test_eval_ruler_errors_are_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from wildlong.cli import main
    from wildlong.cli.train_cmd import eval_group

    result = CliRunner().invoke(main, ["eval", "ruler", "--tasks", "qa_2", "-o", str(tmp_path)])
    if result.exit_code == 2 and "No such command" in result.output:  # not registered yet: call the group
        result = CliRunner().invoke(eval_group, ["ruler", "--tasks", "qa_2", "-o", str(tmp_path)])
        assert result.exit_code == 1 and isinstance(result.exception, ConfigError)
        assert "qa_2 needs the hotpotqa data set" in result.exception.one_line()
        return
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    # a missing data file is the user's to give: exit 2 (README's exit codes)
    assert result.exit_code == 2 and len(errors) == 1 and "--hotpotqa FILE" in errors[0], result.output
