"""The code's shape: imports run one way with no circles (imports inside functions and under
TYPE_CHECKING count too), the layers keep their order, and no module outgrows ~400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# import name -> folder (pyproject's package-dir)
PACKAGES = {
    "wildlong": ROOT / "wildlong",
    "wildlong.loader": ROOT / "loader",
    "wildlong.synth": ROOT / "synth",
    "wildlong.train": ROOT / "train",
    "wildlong.cypher": ROOT / "cypher",
}
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join([package, *parts])
            if name.startswith("wildlong.loader") and package == "wildlong":
                continue
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in known else base)
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def test_there_are_no_import_circles() -> None:
    edges = graph()
    # an import of a parent package is only a cycle when the package's __init__ imports back: keep them
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _layer(name: str) -> int:
    if name.startswith("wildlong.cli"):
        return 3
    if name.startswith("wildlong.run"):
        return 2
    if name.startswith(("wildlong.loader", "wildlong.synth", "wildlong.train", "wildlong.analytics")):
        return 1
    return 0  # the core: records, config, errors, llm, graph, neo4j_server, cypher, executor


def test_imports_run_one_way_cli_run_stages_core() -> None:
    wrong = [
        f"{a} -> {b}"
        for a, targets in graph().items()
        for b in targets
        if _layer(b) > _layer(a) and not (a == "wildlong" or a.startswith("wildlong.api"))
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = "def f():\n    from wildlong.run import pipeline\n"
    path = tmp_path / "x.py"
    path.write_text(source)
    assert imports_of("wildlong.x", path, {"wildlong.run", "wildlong.run.pipeline"}) == {
        "wildlong.run.pipeline"
    }
