"""Prompts are files with declared variables, versioned by their content.

A template file (``*.tmpl``) starts with ``#`` header lines, then one or more messages::

    # Ask for the user's needs in one conversation.
    # variables: conversation, language
    ### system
    You extract meta-information. Answer in $language.
    ### user
    $conversation

``$name`` / ``${name}`` are the placeholders (``string.Template``: JSON braces need no escaping; ``$$`` is a
literal dollar). The placeholders must be exactly the declared variables, checked when the file is loaded;
rendering with a missing or an unknown variable raises :class:`ConfigError`. Without any ``### role`` line
the whole body is one user message. ``version`` is the sha256 of the file's bytes: it goes into the LLM
cache key, so editing a template invalidates exactly the calls that used it.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from wildlong.errors import ConfigError

ROLES = ("system", "user", "assistant")
_VARIABLES = re.compile(r"^#\s*variables\s*:(.*)$", re.IGNORECASE)
_ROLE = re.compile(r"^###\s*(\w+)\s*$")

ChatMessage = dict[str, str]


@dataclass(frozen=True)
class PromptTemplate:
    """A parsed template: ``name``, declared ``variables``, its ``messages`` and content ``version``."""

    name: str
    variables: frozenset[str]
    messages: tuple[tuple[str, str], ...]  # (role, template text)
    version: str
    source: str

    @classmethod
    def from_text(cls, name: str, text: str, *, source: str = "<text>") -> PromptTemplate:
        header, body = _split_header(text)
        declared = _declared_variables(header, where=source)
        messages = _split_messages(body, where=source)
        used: set[str] = set()
        for _, content in messages:
            template = string.Template(content)
            if not template.is_valid():
                raise ConfigError(
                    f"prompt template {source}: a '$' is not followed by a name", hint="write $$"
                )
            used.update(template.get_identifiers())
        if used != declared:
            raise ConfigError(
                f"prompt template {source}: placeholders {sorted(used)} differ from the declared"
                f" {sorted(declared)}",
                hint="list every $placeholder on the '# variables:' line, and nothing else",
            )
        version = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return cls(name, frozenset(declared), tuple(messages), version, source)

    @classmethod
    def from_file(cls, path: str | Path) -> PromptTemplate:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read prompt template {path}: {exc.strerror}") from None
        return cls.from_text(path.stem, text, source=str(path))

    @classmethod
    def from_package(cls, package: str, name: str) -> PromptTemplate:
        """Load ``<name>.tmpl`` shipped as package data of ``package`` (e.g. ``wildlong.synth``)."""
        filename = name if name.endswith(".tmpl") else f"{name}.tmpl"
        try:
            text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
        except (FileNotFoundError, ModuleNotFoundError):
            raise ConfigError(f"no prompt template {filename!r} in package {package}") from None
        return cls.from_text(Path(filename).stem, text, source=f"{package}/{filename}")

    @property
    def short_version(self) -> str:
        return self.version[:12]

    def render(self, **values: object) -> list[ChatMessage]:
        """The chat messages with every variable substituted (values are turned into ``str``)."""
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise ConfigError(
                f"prompt template {self.name}: "
                + (f"missing variables {sorted(missing)} " if missing else "")
                + (f"unknown variables {sorted(extra)}" if extra else ""),
                hint=f"it declares {sorted(self.variables)}",
            )
        strings = {key: str(value) for key, value in values.items()}
        return [
            {"role": role, "content": string.Template(text).substitute(strings)}
            for role, text in self.messages
        ]


def load_template(ref: str | Path, *, package: str = "wildlong.llm") -> PromptTemplate:
    """A user's template file when ``ref`` is an existing path, else ``<ref>.tmpl`` from ``package``."""
    path = Path(ref)
    if path.is_file():
        return PromptTemplate.from_file(path)
    return PromptTemplate.from_package(package, str(ref))


def _split_header(text: str) -> tuple[list[str], str]:
    lines = text.splitlines()
    header: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("#") and not line.startswith("###"):
            header.append(line)
            continue
        return header, "\n".join(lines[index:])
    return header, ""


def _declared_variables(header: list[str], *, where: str) -> set[str]:
    for line in header:
        match = _VARIABLES.match(line)
        if match:
            names = [part.strip() for part in match.group(1).split(",") if part.strip()]
            bad = [name for name in names if not name.isidentifier()]
            if bad:
                raise ConfigError(f"prompt template {where}: bad variable names {bad}")
            return set(names)
    return set()


def _split_messages(body: str, *, where: str) -> list[tuple[str, str]]:
    messages: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        match = _ROLE.match(line)
        if match:
            role = match.group(1).lower()
            if role not in ROLES:
                raise ConfigError(
                    f"prompt template {where}: unknown role {role!r}", hint=f"use one of {ROLES}"
                )
            messages.append((role, []))
        elif messages:
            messages[-1][1].append(line)
        else:
            messages.append(("user", [line]))
    result = [(role, "\n".join(lines).strip("\n")) for role, lines in messages]
    result = [(role, text) for role, text in result if text.strip()]
    if not result:
        raise ConfigError(f"prompt template {where} has no message text")
    return result
