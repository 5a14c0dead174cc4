"""The field schema: which meta-information fields are extracted (a YAML file users can replace).

schema = FieldSchema.load()              # the shipped loader/fields.yaml
schema.names                             # ('document_type', 'domain', ...)
schema.response_model()                  # pydantic model the LLM reply is validated against
schema.prompt_text()                     # the field list as the prompt shows it
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, Field, create_model

from wildlong.errors import ConfigError
from wildlong.records import content_hash

DOCUMENT_TYPE = "document_type"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    description: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class FieldSchema:
    fields: tuple[FieldSpec, ...]
    version: str  # content hash of the file (12 hex)
    source: str
    max_values: int = 3

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @classmethod
    def load(cls, path: Path | None = None, *, max_values: int = 3) -> FieldSchema:
        """The schema in ``path``, or the shipped ``fields.yaml``."""
        if path is None:
            text = resources.files("wildlong.loader").joinpath("fields.yaml").read_text("utf-8")
            source = "wildlong/loader/fields.yaml"
        else:
            try:
                text = Path(path).read_text("utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot read the field schema {path}: {exc.strerror}") from None
            source = str(path)
        return cls.from_text(text, source=source, max_values=max_values)

    @classmethod
    def from_text(cls, text: str, *, source: str = "<text>", max_values: int = 3) -> FieldSchema:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"field schema {source} is not valid YAML: {exc}") from None
        entries = data.get("fields") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise ConfigError(f"field schema {source} needs a non-empty 'fields' list")
        specs = tuple(_spec(entry, index, source) for index, entry in enumerate(entries))
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ConfigError(f"field schema {source} names a field twice")
        if DOCUMENT_TYPE not in names:
            raise ConfigError(f"field schema {source} has no '{DOCUMENT_TYPE}' field (doc types need it)")
        return cls(specs, content_hash(text), source, max_values)

    def prompt_text(self) -> str:
        lines = []
        for spec in self.fields:
            examples = ", ".join(f'"{e}"' for e in spec.examples)
            lines.append(
                f"- {spec.name}: {spec.description}" + (f" Examples: {examples}." if examples else "")
            )
        return "\n".join(lines)

    def response_model(self, max_chars: int | None = None) -> type[BaseModel]:
        return _response_model(self.names, self.max_values, max_chars)


@functools.cache
def _response_model(names: tuple[str, ...], max_values: int, max_chars: int | None) -> type[BaseModel]:
    """Every field a list of strings. The JSON schema caps a list at ``max_values`` items and a phrase at
    ``max_chars`` characters (servers with constrained decoding keep to it); validation does not: extra or
    long phrases are cut and counted by normalisation, not turned into a failed record."""
    item: Any = (
        str if max_chars is None else Annotated[str, Field(json_schema_extra={"maxLength": max_chars})]
    )
    definitions: dict[str, Any] = {
        name: (list[item], Field(default_factory=list, json_schema_extra={"maxItems": max_values}))
        for name in names
    }
    model: type[BaseModel] = create_model("MetaInformation", **definitions)
    return model


def _spec(entry: Any, index: int, source: str) -> FieldSpec:
    if not isinstance(entry, dict):
        raise ConfigError(f"field schema {source}: field {index} is not a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"field schema {source}: field {index} needs a snake_case 'name', got {name!r}")
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"field schema {source}: field {name!r} needs a 'description'")
    examples = entry.get("examples") or []
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise ConfigError(f"field schema {source}: 'examples' of {name!r} must be a list of strings")
    return FieldSpec(name, " ".join(description.split()), tuple(examples))
