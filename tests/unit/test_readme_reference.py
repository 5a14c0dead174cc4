"""README's stage table and configuration reference are made from the code: they must stay equal."""

from __future__ import annotations

from pathlib import Path

from wildlong.cli.config_cmd import reference
from wildlong.run.registry import STAGES, stage_table

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def between(marker: str) -> list[str]:
    body = README.split(f"<!-- {marker} -->", 1)[1].split(f"<!-- /{marker} -->", 1)[0]
    return [line for line in body.strip().splitlines() if line != "```"]


def test_the_stage_table_is_the_declared_stages_in_order() -> None:
    assert between("stage-table") == stage_table()
    rows = [line.split("|")[1].strip() for line in stage_table()[2:]]
    assert rows == [s.name for s in STAGES]


def test_the_config_reference_is_wildlong_config_keys() -> None:
    documented = between("config-keys")
    assert documented == reference(), "regenerate README's reference from `wildlong config keys`"
    # every key of every section is there
    assert any(line.strip().startswith("walk.length ") for line in documented)
    assert any(line.strip().startswith("llm.requests_per_s ") for line in documented)
    assert any(line.strip().startswith("train.lora.r ") for line in documented)
    assert any(line.strip().startswith("eval.samples ") for line in documented)


def test_no_key_lacks_a_description() -> None:
    from wildlong.cli.config_cmd import other_configs
    from wildlong.config import keys
    from wildlong.run.config import model_for

    missing = [k.dotted for k in [*keys(model_for(STAGES)), *other_configs()] if not k.description]
    assert not missing, missing
