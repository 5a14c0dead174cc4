"""Packaging: a normal (non-editable) install exposes one namespace, `wildlong`; docker-compose matches."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from wildlong.neo4j_server.settings import NEO4J_VERSION

ROOT = Path(__file__).resolve().parents[2]


def test_non_editable_install_has_one_namespace(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", *map(str, wheels.glob("*.whl"))], check=True
    )
    probe = (
        "import importlib, wildlong.loader, wildlong.cypher, wildlong.synth, wildlong.train\n"
        "from wildlong.cypher import registry\n"
        "assert 'site-packages' in wildlong.loader.__file__, wildlong.loader.__file__\n"
        "assert len(registry()) >= 5\n"
        "for name in ('loader', 'train', 'synth', 'cypher'):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit(f'top-level {name} is importable')\n"
        "import importlib.resources as r\n"
        "assert (r.files('wildlong.neo4j_server') / 'pom.xml').is_file()\n"
        "print('ok')\n"
    )
    out = subprocess.run([str(py), "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_docker_compose_runs_the_managed_version() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["neo4j"]
    assert service["image"] == f"neo4j:{NEO4J_VERSION}-community"
    assert service["environment"]["NEO4J_PLUGINS"] == '["apoc"]'
    assert "healthcheck" in service and service["healthcheck"]["test"]
    assert all(p.startswith("127.0.0.1:") for p in service["ports"])
    assert "neo4j-data" in compose["volumes"]


def test_pom_pins_the_managed_version() -> None:
    pom = (ROOT / "wildlong" / "neo4j_server" / "pom.xml").read_text()
    assert f"<neo4j.version>{NEO4J_VERSION}</neo4j.version>" in pom


def test_pom_and_settings_agree_on_every_version() -> None:
    from wildlong.neo4j_server.settings import APOC_VERSION, BROWSER_VERSION

    pom = (ROOT / "wildlong" / "neo4j_server" / "pom.xml").read_text()
    assert f"<apoc.version>{APOC_VERSION}</apoc.version>" in pom
    assert f"<browser.version>{BROWSER_VERSION}</browser.version>" in pom
