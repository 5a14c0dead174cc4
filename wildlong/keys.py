"""Stable ids shared by the loader, the walks and the dataset's provenance."""

from __future__ import annotations

import hashlib

SEP = "\x1f"


def value_key(doc_type: str, field: str, value: str) -> str:
    """The id of a ``(:Value)``: 16 hex chars of sha1 over doc type, field and normalised value."""
    return hashlib.sha1(SEP.join((doc_type, field, value)).encode("utf-8")).hexdigest()[:16]
