"""Assemble a Neo4j Community server from Maven Central jars (no Docker, no tarball).

``mvn dependency:copy-dependencies`` on the shipped ``pom.xml`` copies the server's runtime jars into
``<dist>/lib`` and APOC into ``<dist>/plugins``. A marker file lists what was installed; a second
install with the marker in place downloads nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from wildlong.errors import GraphError
from wildlong.neo4j_server.settings import ServerSettings
from wildlong.neo4j_server.tools import find_java, find_mvn

MARKER = "installed.json"
APOC_ARTIFACTS = "apoc-core,apoc-common"


def installed(settings: ServerSettings) -> bool:
    """True when the jar cache is complete for these versions."""
    marker = settings.dist_dir() / MARKER
    if not marker.exists():
        return False
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if info.get("versions") != _versions(settings):
        return False
    dist = settings.dist_dir()
    return all((dist / rel).exists() for rel in info.get("files", []))


def install(settings: ServerSettings, *, force: bool = False) -> bool:
    """Fetch the jars unless they are cached. Returns True when something was installed."""
    find_java()
    if installed(settings) and not force:
        return False
    mvn = find_mvn()
    dist = settings.dist_dir()
    dist.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dist.name}-", dir=dist.parent))
    try:
        with resources.as_file(resources.files("wildlong.neo4j_server") / "pom.xml") as pom:
            _copy(mvn, pom, settings, staging / "lib", exclude=APOC_ARTIFACTS)
            _copy(mvn, pom, settings, staging / "plugins", include=APOC_ARTIFACTS)
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*.jar"))
        (staging / MARKER).write_text(json.dumps({"versions": _versions(settings), "files": files}, indent=1))
        if dist.exists():
            shutil.rmtree(dist)
        staging.rename(dist)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return True


def _versions(settings: ServerSettings) -> dict[str, str]:
    return {"neo4j": settings.version, "apoc": settings.apoc_version, "browser": settings.browser_version}


def _copy(
    mvn: Path,
    pom: Path,
    settings: ServerSettings,
    out: Path,
    *,
    include: str | None = None,
    exclude: str | None = None,
) -> None:
    cmd = [
        str(mvn),
        "-B",
        "-q",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={out}",
        f"-Dneo4j.version={settings.version}",
        f"-Dapoc.version={settings.apoc_version}",
        f"-Dbrowser.version={settings.browser_version}",
    ]
    if include:
        cmd.append(f"-DincludeArtifactIds={include}")
    if exclude:
        cmd.append(f"-DexcludeArtifactIds={exclude}")
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise GraphError(
            f"mvn could not fetch Neo4j {settings.version} from Maven Central: {tail}",
            hint="check that Maven Central is reachable (a proxy goes in ~/.m2/settings.xml)",
        )
