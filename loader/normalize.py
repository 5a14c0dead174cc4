"""From the phrases an LLM wrote to graph values: case, whitespace, punctuation, limits, aliases.

``normalise_phrase`` is applied to every phrase when an extraction record is written; the optional
near-duplicate merge (:mod:`wildlong.loader.merge`) later maps aliases to a canonical value per field,
and the load applies that map (:func:`apply_aliases`). Both the phrases as written (``raw``) and the alias
map are kept, so every graph value can be traced back to what the LLM said.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from wildlong.loader.config import NormalizeConfig
from wildlong.records import Counts

# field -> {alias: canonical}
AliasMap = dict[str, dict[str, str]]

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "«": '"', "»": '"'})
_EDGE = " \t\r\n\"'`.,;:!?()[]{}<>*_~|\\/-–—…"
# What models write instead of leaving a field empty.
PLACEHOLDERS = frozenset(
    {
        "none", "n/a", "na", "null", "nil", "unknown", "not specified", "unspecified", "not applicable",
        "not mentioned", "not provided", "not given", "not stated", "no", "nothing", "empty", "other",
    }
)  # fmt: skip


def normalise_phrase(text: str, config: NormalizeConfig) -> tuple[str | None, str | None]:
    """``(value, None)``, or ``(None, reason)`` with reason ``empty``, ``placeholder`` or ``too_long``."""
    value = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    value = _SPACE.sub(" ", value).strip(_EDGE)
    value = _SPACE.sub(" ", value)
    if config.lowercase:
        value = value.lower()
    if not value:
        return None, "empty"
    if value.lower() in PLACEHOLDERS:
        return None, "placeholder"
    if len(value) > config.max_chars:
        return None, "too_long"
    return value, None


def normalise_fields(
    raw: Mapping[str, Sequence[object]],
    names: Sequence[str],
    config: NormalizeConfig,
    counts: Counts | None = None,
) -> dict[str, list[str]]:
    """Every field of ``names`` (missing ones empty): normalised, deduplicated in order, at most
    ``max_values``. What was dropped is noted in ``counts`` as ``value_<reason>``."""
    fields: dict[str, list[str]] = {}
    for name in names:
        kept: list[str] = []
        for item in raw.get(name) or []:
            value, reason = normalise_phrase(item, config) if isinstance(item, str) else (None, "not_text")
            if value is None:
                _note(counts, f"value_{reason}")
            elif value in kept:
                _note(counts, "value_duplicate")
            elif len(kept) >= config.max_values:
                _note(counts, "value_over_limit")
            else:
                kept.append(value)
        fields[name] = kept
    return fields


def apply_aliases(fields: Mapping[str, Sequence[str]], aliases: AliasMap) -> dict[str, list[str]]:
    """Each value replaced by its canonical form (per field); duplicates this creates are removed."""
    result: dict[str, list[str]] = {}
    for name, values in fields.items():
        table = aliases.get(name, {})
        mapped: list[str] = []
        for value in values:
            canonical = table.get(value, value)
            if canonical not in mapped:
                mapped.append(canonical)
        result[name] = mapped
    return result


def _note(counts: Counts | None, what: str) -> None:
    if counts is not None:
        counts.note(what)
