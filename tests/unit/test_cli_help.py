"""Every command's --help exits 0, has a one-line summary and an example; errors are one line."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from wildlong import __version__
from wildlong.cli import main


def _walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        if isinstance(cmd, click.Group):
            paths += _walk(cmd, click.Context(cmd, parent=ctx, info_name=name), (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


ALL_COMMANDS = _walk(main, click.Context(main, info_name="wildlong"), ())


def test_the_tree_has_the_foundation_commands() -> None:
    names = {" ".join(p) for p in ALL_COMMANDS}
    for expected in (
        "neo4j install",
        "neo4j start",
        "neo4j status",
        "neo4j stop",
        "neo4j logs",
        "graph info",
    ):
        assert expected in names


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "wildlong")
def test_help_exits_zero_and_teaches(path: tuple[str, ...]) -> None:
    for flag in ("--help", "-h"):
        result = CliRunner().invoke(main, [*path, flag])
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output
    assert "Example" in result.output or "example" in result.output or "Quick start" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_missing_tool_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("WILDLONG_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["neo4j", "install"])
    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1
    assert "java not found" in error_lines[0] and "apt-get install openjdk-17-jre-headless" in error_lines[0]
    assert "Traceback" not in result.output
