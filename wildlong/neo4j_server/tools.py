"""Finding the programs the managed Neo4j needs: Java 17+ and Maven."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from wildlong.errors import ToolMissingError

MIN_JAVA = 17
# Neo4j 5.26 runs on Java 17 and 21.
MAX_JAVA = 21

JAVA_HINT = (
    "install a Java 17 or 21 runtime (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)"
    " or set JAVA_HOME"
)
MVN_HINT = (
    "install Maven (Debian/Ubuntu: apt-get install maven); it fetches the Neo4j jars from Maven Central"
)


def find_java() -> Path:
    """The ``java`` binary: ``$JAVA_HOME/bin/java`` if set, else ``java`` on PATH, checked for 17–21."""
    java_home = os.environ.get("JAVA_HOME")
    candidate: str | None = None
    if java_home and (Path(java_home) / "bin" / "java").exists():
        candidate = str(Path(java_home) / "bin" / "java")
    else:
        candidate = shutil.which("java")
    if candidate is None:
        raise ToolMissingError("java not found: the managed Neo4j 5.26 needs Java 17", hint=JAVA_HINT)
    major = java_major_version(Path(candidate))
    if major < MIN_JAVA or major > MAX_JAVA:
        raise ToolMissingError(
            f"{candidate} is Java {major}: Neo4j 5.26 needs Java {MIN_JAVA} to {MAX_JAVA}", hint=JAVA_HINT
        )
    return Path(candidate)


def java_major_version(java: Path) -> int:
    """Parse ``java -version`` (it prints to stderr): '17.0.15' -> 17, '1.8.0_392' -> 8."""
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise ToolMissingError(f"cannot run {java}: {exc}", hint=JAVA_HINT) from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise ToolMissingError(f"cannot read the version of {java}", hint=JAVA_HINT)
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    return major


def find_mvn() -> Path:
    """The ``mvn`` binary on PATH."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ToolMissingError("mvn not found: installing the managed Neo4j needs Maven", hint=MVN_HINT)
    return Path(mvn)
