"""One YAML per run: one strict pydantic section per stage. The resolved config is written next to the
outputs (without secrets).

Precedence, lowest first: the models' defaults, the environment (``NEO4J_URI``, ``OPENAI_BASE_URL``...),
the YAML file, ``--set SECTION.KEY=VALUE``, the command's own flags. See :mod:`wildlong.config`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model

from wildlong.config import Layer, set_layer, validate, yaml_layer
from wildlong.executor_config import ExecutorConfig
from wildlong.graph import GraphSettings
from wildlong.llm.settings import LLMSettings
from wildlong.loader.canonical import CanonicalConfig
from wildlong.loader.config import DocTypeConfig, ExtractConfig, LoadConfig, ReadConfig
from wildlong.synth.documents import DocumentConfig
from wildlong.synth.generate import GenerateConfig
from wildlong.synth.instructions import InstructConfig
from wildlong.synth.pairing import PairConfig
from wildlong.synth.walks import WalkConfig

PRECEDENCE = "flags > --set > YAML > environment > defaults"


class RunConfig(BaseModel):
    """A whole synthesis run. Every section has defaults; a YAML file sets what differs."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("wildlong-run", description="the run's name (dataset card, report)")
    out: Path = Field(
        Path("runs/wildlong-run"), description="run folder: every stage's output and the manifest"
    )
    seed: int = Field(0, description="one seed for walks, pairing, K-Means and the LLM's sampling")
    graph: GraphSettings = Field(
        default_factory=GraphSettings, description="which Neo4j: the managed server unless uri is set"
    )
    llm: LLMSettings = Field(
        default_factory=LLMSettings, description="the LLM endpoint and the client's behaviour"
    )
    executor: ExecutorConfig = Field(
        default_factory=ExecutorConfig, description="local, or ray: the LLM stages as Ray Data pipelines"
    )
    read: ReadConfig = Field(default_factory=ReadConfig, description="conversations -> first user turns")
    extract: ExtractConfig = Field(
        default_factory=ExtractConfig, description="queries -> meta-information fields (LLM)"
    )
    doctypes: DocTypeConfig = Field(
        default_factory=DocTypeConfig, description="document_type values -> K named doc types"
    )
    canonical: CanonicalConfig = Field(
        default_factory=CanonicalConfig, description="free-text values -> canonical values, junk rejected"
    )
    load: LoadConfig = Field(default_factory=LoadConfig, description="extractions -> the Neo4j graph")
    walk: WalkConfig = Field(default_factory=WalkConfig, description="weighted walks over the graph")
    instruct: InstructConfig = Field(
        default_factory=InstructConfig, description="one instruction per walk (LLM)"
    )
    documents: DocumentConfig = Field(
        default_factory=DocumentConfig, description="long documents, token-counted and classified"
    )
    pair: PairConfig = Field(
        default_factory=PairConfig, description="instructions meet documents (and bundles) of their type"
    )
    generate: GenerateConfig = Field(
        default_factory=GenerateConfig, description="rewrite to fit the documents, then answer (LLM)"
    )

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


def model_for(stages: Any) -> type[RunConfig]:
    """RunConfig, plus a section for every stage that declares its own config model."""
    extra = {
        s.section: (s.config, Field(default_factory=s.config, description=s.summary))
        for s in stages
        if s.config is not None and s.section and s.section not in RunConfig.model_fields
    }
    if not extra:
        return RunConfig
    return create_model("RunConfig", __base__=RunConfig, **extra)  # type: ignore[call-overload]


def resolve(
    model: type[RunConfig],
    path: Path | None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    env: Layer | None = None,
    flags: Layer | None = None,
    base: Path | None = None,
) -> RunConfig:
    """The run config from every layer, in the one precedence (``PRECEDENCE``); ``base`` is a run
    folder's ``config.resolved.yaml``, taken as the defaults of a stage command run there."""
    layers = [yaml_layer(base)] if base is not None else []
    layers.append(env or Layer("environment"))
    if path is not None:
        layers.append(yaml_layer(path))
    layers += [set_layer(list(overrides)), flags or Layer("flags")]
    return validate(model, layers, hint="`wildlong config keys SECTION` lists the valid keys")


def load_config(path: Path, overrides: list[str] | None = None) -> RunConfig:
    """A run YAML with ``--set`` overrides and nothing else (for Python callers and tests)."""
    return resolve(RunConfig, path, overrides or [])


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def write_resolved(cfg: RunConfig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# The resolved config of this run (flags applied, secrets left out).\n"
    text += yaml.safe_dump(cfg.public_dict(), sort_keys=False, allow_unicode=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
