"""Settings of the managed Neo4j server (the embedded default)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from wildlong import paths

NEO4J_VERSION = "5.26.30"
APOC_VERSION = "5.26.19"
BROWSER_VERSION = "5.24.0"


class ServerSettings(BaseModel):
    """Where and how the managed server runs. Sized for a 2-core, 24 GiB machine by default."""

    home: Path = Field(default_factory=paths.neo4j_home, description="conf/, data/, logs/, run/ live here")
    dist: Path | None = Field(
        default=None, description="jar cache (lib/, plugins/); default: <WILDLONG_HOME>/dist/neo4j-VERSION"
    )
    bolt_port: int = Field(default=7687, ge=1, le=65535)
    http_port: int = Field(default=7474, ge=1, le=65535)
    heap: str = Field(default="2g", pattern=r"^\d+[kmgKMG]$", description="JVM heap (initial = max)")
    pagecache: str = Field(default="2g", pattern=r"^\d+[kmgKMG]$", description="Neo4j page cache")
    start_timeout_s: float = Field(default=120.0, gt=0)
    stop_timeout_s: float = Field(default=60.0, gt=0)
    version: str = NEO4J_VERSION
    apoc_version: str = APOC_VERSION
    browser_version: str = BROWSER_VERSION
    conf_overrides: dict[str, str] = Field(
        default_factory=dict,
        description="settings that replace or add to the managed ones: apoc.* keys go to apoc.conf, the "
        "rest to neo4j.conf (e.g. a test server as permissive as a user's own)",
    )

    @field_validator("conf_overrides")
    @classmethod
    def _one_line_each(cls, value: dict[str, str]) -> dict[str, str]:
        for key, setting in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_.]*", key) or "\n" in setting or "\r" in setting:
                raise ValueError(f"conf_overrides: {key!r}={setting!r} is not one NAME=VALUE line")
        return value

    def dist_dir(self) -> Path:
        return self.dist if self.dist is not None else paths.home() / "dist" / f"neo4j-{self.version}"

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def browser_url(self) -> str:
        return f"{self.http_url}/browser/"
