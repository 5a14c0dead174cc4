"""Prompt templates: declared variables, exact rendering, content versions, package data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from wildlong.errors import ConfigError
from wildlong.llm.prompts import PromptTemplate, load_template

TEXT = """# Extract needs.
# variables: conversation, language
### system
Answer in $language. Reply as {"needs": [...]} and keep $$ signs.
### user
${conversation}
"""


def test_render_gives_the_messages_with_values_substituted() -> None:
    template = PromptTemplate.from_text("extract", TEXT)
    assert template.variables == {"conversation", "language"}
    assert template.render(conversation="hi there", language="French") == [
        {"role": "system", "content": 'Answer in French. Reply as {"needs": [...]} and keep $ signs.'},
        {"role": "user", "content": "hi there"},
    ]


def test_version_is_the_sha256_of_the_file_content(tmp_path: Path) -> None:
    path = tmp_path / "extract.tmpl"
    path.write_text(TEXT, encoding="utf-8")
    template = PromptTemplate.from_file(path)
    assert template.name == "extract"
    assert template.version == hashlib.sha256(TEXT.encode()).hexdigest()
    path.write_text(TEXT.replace("Extract needs.", "Extract the needs."), encoding="utf-8")
    assert PromptTemplate.from_file(path).version != template.version


def test_missing_or_unknown_variables_raise_config_error() -> None:
    template = PromptTemplate.from_text("extract", TEXT)
    with pytest.raises(ConfigError, match=r"missing variables \['language'\]"):
        template.render(conversation="x")
    with pytest.raises(ConfigError, match=r"unknown variables \['tone'\]"):
        template.render(conversation="x", language="en", tone="dry")


def test_placeholders_must_match_the_declared_variables() -> None:
    with pytest.raises(ConfigError, match="differ from the declared"):
        PromptTemplate.from_text("bad", "# variables: a\n### user\n$a and $b\n")
    with pytest.raises(ConfigError, match="differ from the declared"):
        PromptTemplate.from_text("bad", "# variables: a, unused\n### user\n$a\n")
    with pytest.raises(ConfigError, match="unknown role"):
        PromptTemplate.from_text("bad", "### narrator\nhello\n")


def test_a_body_without_roles_is_one_user_message() -> None:
    template = PromptTemplate.from_text("plain", "# variables: q\nAnswer: $q\n")
    assert template.render(q="why?") == [{"role": "user", "content": "Answer: why?"}]


def test_templates_load_from_package_data_or_a_user_path(tmp_path: Path) -> None:
    repair = load_template("repair")
    assert repair.variables == {"error"} and repair.source == "wildlong.llm/repair.tmpl"
    path = tmp_path / "mine.tmpl"
    path.write_text("# variables: x\n$x\n", encoding="utf-8")
    assert load_template(path).render(x="1") == [{"role": "user", "content": "1"}]
    with pytest.raises(ConfigError, match=r"no prompt template 'nope\.tmpl'"):
        load_template("nope")
