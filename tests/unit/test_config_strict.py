"""Strict configs: every section of the run, train and eval configs refuses a misspelt key, through the
YAML and through --set, with exit 2 and one line naming the source, the key and the closest valid key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel

from wildlong.cli import main
from wildlong.config import _model_of
from wildlong.run.config import RunConfig
from wildlong.train.config import SFTConfig
from wildlong.train.ruler_run import RulerConfig


def misspell(key: str) -> str:
    return key[:2] + key[3] + key[2] + key[4:] if len(key) >= 5 and key[2] != key[3] else key + "x"


def sections(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """(path of a section, one of its scalar keys) for the model and every nested section."""
    out = []
    scalars = [n for n, f in model.model_fields.items() if _model_of(f.annotation) is None]
    if scalars:
        out.append((prefix, scalars[-1]))
    for name, info in model.model_fields.items():
        nested = _model_of(info.annotation)
        if nested is not None:
            out += sections(nested, (*prefix, name))
    return out


def nest(path: tuple[str, ...], key: str, value: object) -> dict[str, object]:
    data: dict[str, object] = {key: value}
    for part in reversed(path):
        data = {part: data}
    return data


RUN_SECTIONS = [s for s in sections(RunConfig) if s[0]]
TRAIN_SECTIONS = sections(SFTConfig)
EVAL_SECTIONS = sections(RulerConfig)


def test_every_section_of_the_run_config_is_walked() -> None:
    walked = {p[0] for p, _ in RUN_SECTIONS}
    assert {"graph", "llm", "executor", "read", "extract", "walk", "instruct", "documents", "pair"} <= walked
    assert {"generate", "doctypes", "load"} <= walked
    assert ("extract", "normalize") in {p for p, _ in RUN_SECTIONS}


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("path", "key"), RUN_SECTIONS, ids=lambda v: ".".join(v) if isinstance(v, tuple) else v
)
def test_a_misspelt_run_key_in_the_yaml_is_exit_2_with_a_suggestion(
    path: tuple[str, ...], key: str, tmp_path: Path
) -> None:
    bad = misspell(key)
    config = tmp_path / "run.yaml"
    config.write_text("name: strict\n" + yaml.safe_dump(nest(path, bad, 1)))
    code, out = _run(["run", str(config), "--dry-run"])
    dotted = ".".join((*path, bad))
    line = len(path) + 2  # "name:" first, then one line per level down to the key
    assert code == 2, out
    expected = f"{config}:{line}: {dotted}: unknown key; did you mean {'.'.join((*path, key))}?"
    assert expected in out, out
    assert "Traceback" not in out and len([ln for ln in out.splitlines() if ln.startswith("Error:")]) == 1


@pytest.mark.parametrize(
    ("path", "key"), RUN_SECTIONS, ids=lambda v: ".".join(v) if isinstance(v, tuple) else v
)
def test_a_misspelt_run_key_through_set_is_exit_2_with_a_suggestion(
    path: tuple[str, ...], key: str, tmp_path: Path
) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("name: strict\n")
    dotted = ".".join((*path, misspell(key)))
    code, out = _run(["run", str(config), "--set", f"{dotted}=1", "--dry-run"])
    assert code == 2, out
    assert f"--set {dotted}=1: {dotted}: unknown key; did you mean {'.'.join((*path, key))}?" in out, out


@pytest.mark.parametrize(
    ("path", "key"), TRAIN_SECTIONS, ids=lambda v: ".".join(v) if isinstance(v, tuple) else v
)
def test_a_misspelt_train_key_yaml_and_set(path: tuple[str, ...], key: str, tmp_path: Path) -> None:
    config = tmp_path / "sft.yaml"
    body = {"model": "tiny", "data": [str(tmp_path / "d.jsonl")], **nest(path, misspell(key), 1)}
    config.write_text(yaml.safe_dump(body))
    dotted = ".".join((*path, misspell(key)))
    code, out = _run(["train", "sft", str(config)])
    assert code == 2, out
    assert re.search(
        rf"{re.escape(str(config))}:\d+: {re.escape(dotted)}: unknown key; did you mean ", out
    ), out
    config.write_text(yaml.safe_dump({"model": "tiny", "data": [str(tmp_path / "d.jsonl")]}))
    code, out = _run(["train", "sft", str(config), "--set", f"{dotted}=1"])
    assert code == 2, out
    assert f"--set {dotted}=1: {dotted}: unknown key; did you mean {'.'.join((*path, key))}?" in out, out


@pytest.mark.parametrize(
    ("path", "key"), EVAL_SECTIONS, ids=lambda v: ".".join(v) if isinstance(v, tuple) else v
)
def test_a_misspelt_eval_key_yaml_and_set(path: tuple[str, ...], key: str, tmp_path: Path) -> None:
    config = tmp_path / "ruler.yaml"
    config.write_text(yaml.safe_dump(nest(path, misspell(key), 1)))
    dotted = ".".join((*path, misspell(key)))
    code, out = _run(["eval", "ruler", "--config", str(config)])
    assert code == 2, out
    assert f"{config}:1: {dotted}: unknown key; did you mean {'.'.join((*path, key))}?" in out, out
    code, out = _run(["eval", "ruler", "--set", f"{dotted}=1"])
    assert code == 2, out
    assert f"--set {dotted}=1: {dotted}: unknown key; did you mean {'.'.join((*path, key))}?" in out, out


def test_two_bad_keys_in_one_file_are_both_reported(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "walk:\n  lenght: 8\n  walks: 3\ngenerate:\n  answer_max_tokes: 5\n  temperature: hot\n"
    )
    code, out = _run(["run", str(config), "--dry-run"])
    assert code == 2
    errors = [ln for ln in out.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 3, out
    assert f"{config}:2: walk.lenght: unknown key; did you mean walk.length?" in errors[0]
    assert any(
        f"{config}:5: generate.answer_max_tokes: unknown key; did you mean generate.answer_max_tokens?" in e
        for e in errors
    )
    assert any(f"{config}:6: generate.temperature:" in e and "'hot'" in e for e in errors)


def test_set_works_on_an_empty_section(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("walk:\ngenerate:\n")
    code, out = _run(["config", "show", str(config), "--set", "walk.length=4"])
    assert code == 0, out
    assert yaml.safe_load(out)["walk"]["length"] == 4


def test_precedence_flags_over_set_over_yaml_over_environment(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("seed: 3\nllm:\n  model: from-yaml\n")
    env = {"OPENAI_BASE_URL": "http://env.invalid/v1", "WILDLONG_LLM_MODEL": "from-env"}
    code, out = _run(["config", "show", str(config), "--set", "llm.base_url=http://set.invalid/v1"], env)
    assert code == 0, out
    shown = yaml.safe_load(out)
    assert shown["llm"]["base_url"] == "http://set.invalid/v1"  # --set beats the environment
    assert shown["llm"]["model"] == "from-yaml"  # the YAML beats the environment
    code, out = _run(
        ["config", "show", str(config), "--set", "llm.model=from-set", "--model", "from-flag"], env
    )
    assert yaml.safe_load(out)["llm"]["model"] == "from-flag"  # a flag beats --set
    code, out = _run(["config", "show", str(config)], env)
    assert yaml.safe_load(out)["llm"]["base_url"] == "http://env.invalid/v1"  # the environment beats defaults


def test_bad_values_and_bad_files_are_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("walk:\n  length: six\n")
    code, out = _run(["run", str(config), "--dry-run"])
    assert code == 2 and f"{config}:2: walk.length: Input should be a valid integer" in out, out
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    code, out = _run(["run", str(binary)])
    assert code == 2 and "not a text file" in out and "Traceback" not in out, out
    broken = tmp_path / "broken.yaml"
    broken.write_text("walk: [1, 2\n")
    code, out = _run(["run", str(broken)])
    assert code == 2 and f"{broken}:" in out and "not valid YAML" in out, out
    code, out = _run(["run", str(config), "--set", "nodot"])
    assert code == 2 and "not SECTION.KEY=VALUE" in out


def test_accepted_but_unimplemented_options_are_gone() -> None:
    assert "classify_with" not in RunConfig.model_fields["documents"].annotation.model_fields  # type: ignore[union-attr]
