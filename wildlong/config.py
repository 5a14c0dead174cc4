"""One way to read a config: layers merged in one precedence, validated strictly, every error listed.

    flags  >  --set SECTION.KEY=VALUE  >  the YAML file  >  the environment  >  the models' defaults

Each layer is a nested mapping plus, for every dotted key it sets, where that came from (``file:line``,
``--set walk.length=4``, ``--seed``, ``env OPENAI_BASE_URL``), so that a bad key or value is reported as
one line naming its source, the dotted key, what was wrong and the closest valid key:

    configs/my.yaml:37: walk.lenght: unknown key; did you mean walk.length?

Used by ``wildlong run`` and the stage commands, ``wildlong train sft`` and ``wildlong eval ruler``.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from wildlong.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


@dataclass
class Layer:
    """One source of settings: a nested mapping and where each dotted key came from."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)

    def set(self, dotted: str, value: Any, where: str) -> None:
        keys = dotted.split(".")
        node = self.data
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[keys[-1]] = value
        self.where[dotted] = where


def yaml_layer(path: Path) -> Layer:
    """A YAML config file as a layer, with the line of every key (a bad file is one clear line)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file (byte {exc.start + 1} is not UTF-8)", hint="give a YAML config"
        ) from None
    if "\x00" in text:
        raise ConfigError(f"{path}: not a text file (it holds NUL bytes)", hint="give a YAML config")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if data is None:
        return Layer(str(path))
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: a config is a mapping of sections (read:, walk:, ...), not a list or text"
        )
    layer = Layer(str(path), data)
    _lines(node, "", str(path), layer.where)
    return layer


def _lines(node: yaml.Node | None, prefix: str, path: str, out: dict[str, str]) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        dotted = f"{prefix}{key_node.value}"
        out[dotted] = f"{path}:{key_node.start_mark.line + 1}"
        _lines(value_node, dotted + ".", path, out)


def set_layer(items: list[str] | tuple[str, ...]) -> Layer:
    """``--set SECTION.KEY=VALUE`` overrides (values parsed as YAML: 4, true, [a, b], null)."""
    layer = Layer("--set")
    for item in items:
        dotted, sep, raw = item.partition("=")
        dotted = dotted.strip()
        if not sep or not dotted or any(not part for part in dotted.split(".")):
            raise ConfigError(f"--set {item}: not SECTION.KEY=VALUE", hint="e.g. --set walk.length=4")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        layer.set(dotted, value, f"--set {item}")
    return layer


def merge(layers: list[Layer]) -> Layer:
    """The layers in order of precedence, lowest first: later ones win, mappings merge key by key."""
    out = Layer("merged")
    for layer in layers:
        out.data = _merge(out.data, layer.data)
        out.where.update(layer.where)
    return out


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def validate(model: type[M], layers: list[Layer], *, hint: str | None = None) -> M:
    """The merged layers as ``model``; every error listed, one line each (see the module docstring)."""
    merged = merge(layers)
    try:
        return model.model_validate(_empty_sections(model, merged.data))
    except ValidationError as exc:
        lines = [error_line(model, err, merged.where) for err in exc.errors()]
        raise ConfigError(
            lines[0], hint=hint or "`wildlong config keys` lists every key", details=lines
        ) from None


def _empty_sections(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """A section left empty in the YAML (``walk:``) is an empty mapping, not null."""
    out = dict(data)
    for name, value in data.items():
        info = model.model_fields.get(name)
        nested = _model_of(info.annotation) if info is not None else None
        if nested is None or (info is not None and _is_optional(info.annotation)):
            continue
        if value is None:
            out[name] = {}
        elif isinstance(value, dict):
            out[name] = _empty_sections(nested, value)
    return out


def error_line(model: type[BaseModel], err: Any, where: dict[str, str]) -> str:
    loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
    dotted = ".".join(loc) or "(config)"
    source = _source(dotted, where)
    if err["type"] == "extra_forbidden":
        parent = ".".join(loc[:-1])
        options = sorted(field_names(model, loc[:-1]))
        guess = difflib.get_close_matches(loc[-1], options, n=1, cutoff=0.5)
        what = "unknown key"
        if guess:
            what += f"; did you mean {parent + '.' if parent else ''}{guess[0]}?"
        elif options:
            what += f"; valid keys here: {', '.join(options)}"
    else:
        what = str(err["msg"])
        if err["type"] not in ("missing", "model_type", "dict_type") and "input" in err:
            what += f" (got {err['input']!r})"
    return f"{source}: {dotted}: {what}" if source else f"{dotted}: {what}"


def _source(dotted: str, where: dict[str, str]) -> str:
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        found = where.get(".".join(parts[:n]))
        if found:
            return found
    return ""


def field_names(model: type[BaseModel], path: list[str]) -> set[str]:
    """The keys valid at ``path`` inside ``model`` (empty when the path leaves the models)."""
    current: type[BaseModel] | None = model
    for key in path:
        info = current.model_fields.get(key) if current is not None else None
        current = _model_of(info.annotation) if info is not None else None
        if current is None:
            return set()
    return set(current.model_fields) if current is not None else set()


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Key:
    """One documented config key: ``walk.length  int  6  nodes per walk``."""

    dotted: str
    type: str
    default: str
    description: str


def keys(model: type[BaseModel], prefix: str = "") -> list[Key]:
    """Every key of ``model`` (nested models expanded), in declaration order."""
    out: list[Key] = []
    for name, info in model.model_fields.items():
        dotted = f"{prefix}{name}"
        nested = _model_of(info.annotation)
        if nested is not None and not _is_optional(info.annotation):
            out.append(Key(dotted, "section", "", _first_line(info.description or nested.__doc__ or "")))
            out += keys(nested, dotted + ".")
            continue
        out.append(Key(dotted, _type_name(info.annotation), _default(info), info.description or ""))
    return out


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _type_name(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "null"
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    return getattr(annotation, "__name__", str(annotation))


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        try:
            value = info.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return "(computed)"
    elif info.is_required():
        return "(required)"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return "(section)"
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "get_secret_value"):
        return "(secret)"
    try:
        return (
            yaml.safe_dump(value, default_flow_style=True, width=100_000).strip().removesuffix("...").strip()
        )
    except yaml.YAMLError:
        return str(value)
