"""One YAML per run: one pydantic section per stage. Flags override; the resolved config is written next
to the outputs (without secrets)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wildlong.errors import ConfigError
from wildlong.executor import ExecutorConfig
from wildlong.graph import GraphSettings
from wildlong.llm import LLMSettings
from wildlong.loader.config import DocTypeConfig, ExtractConfig, LoadConfig, ReadConfig
from wildlong.synth.documents import DocumentConfig
from wildlong.synth.generate import GenerateConfig
from wildlong.synth.instructions import InstructConfig
from wildlong.synth.pairing import PairConfig
from wildlong.synth.walks import WalkConfig


class RunConfig(BaseModel):
    """A whole synthesis run. Every section has defaults; a YAML file sets what differs."""

    model_config = ConfigDict(extra="forbid")

    name: str = "wildlong-run"
    out: Path = Field(
        Path("runs/wildlong-run"), description="run folder: every stage's output and the manifest"
    )
    seed: int = Field(0, description="one seed for walks, pairing and the LLM's sampling")
    graph: GraphSettings = Field(default_factory=GraphSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    executor: ExecutorConfig = Field(
        default_factory=ExecutorConfig, description="local, or ray: the LLM stages as Ray Data pipelines"
    )
    read: ReadConfig = Field(default_factory=ReadConfig)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    doctypes: DocTypeConfig = Field(default_factory=DocTypeConfig)
    load: LoadConfig = Field(default_factory=LoadConfig)
    walk: WalkConfig = Field(default_factory=WalkConfig)
    instruct: InstructConfig = Field(default_factory=InstructConfig)
    documents: DocumentConfig = Field(default_factory=DocumentConfig)
    pair: PairConfig = Field(default_factory=PairConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)

    def seeded(self) -> RunConfig:
        """Propagate the run's seed into the sections that draw random numbers."""
        return self.model_copy(
            update={
                "walk": self.walk.model_copy(update={"seed": self.seed}),
                "pair": self.pair.model_copy(update={"seed": self.seed}),
                "doctypes": self.doctypes.model_copy(update={"seed": self.seed}),
            }
        )

    def public_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["llm"] = self.llm.public_dict()
        data["llm"].pop("api_key_set", None)  # keeps the file loadable as a run config
        data["graph"].pop("password", None)
        return data

    def fingerprint(self, *sections: str) -> str:
        """A short hash of the named sections (what a stage's output depends on)."""
        data = self.public_dict()
        picked = {name: data.get(name) for name in sections}
        return hashlib.sha256(json.dumps(picked, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_config(path: Path, overrides: list[str] | None = None) -> RunConfig:
    """Read a run YAML and apply ``section.key=value`` overrides (values parsed as YAML)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read run config {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a run config is a mapping of sections (read:, walk:, generate: ...)")
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} is not SECTION.KEY=VALUE")
        _set(data, key.split("."), yaml.safe_load(raw))
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            f"{path}: {where}: {err['msg']}", hint="see `wildlong run --help` for the sections"
        ) from None


def _set(data: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value


def write_resolved(cfg: RunConfig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# The resolved config of this run (flags applied, secrets left out).\n"
    text += yaml.safe_dump(cfg.public_dict(), sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
