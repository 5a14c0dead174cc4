"""Trace a walk to the real queries behind it: which queries hold which of its values, and their words.

Definitions (as in :mod:`wildlong.analytics.health`):

* holders: the real (:Query) nodes holding >= 1 of the walk's values (one HAS edge each), ordered by how
  many of the walk's values they hold (most first), then by id.
* replay: one query holds every value of the walk. unheld: a value of the walk is held by no query (the
  graph changed since the walk). novel: every value is held, by no single query: the walk combines them.

The query text comes from the graph (``q.text``, stored by default: ``load.store_text``); for a graph
loaded without text it is looked up in the run folder's ``queries.jsonl``, then ``extractions.jsonl``
(streamed, only the ids shown). One read call per walk (``cypher/analytics/trace_walk.cypher``), the rest
pure functions over its rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import neo4j

from wildlong import cypher
from wildlong.analytics.queries import _read
from wildlong.errors import InputError
from wildlong.graph import lost_as_unavailable
from wildlong.loader.records import ExtractionRecord, QueryRecord
from wildlong.records import Counts, read_jsonl
from wildlong.synth.walks import Walk

cypher.require("analytics/trace_walk")

TEXT_WIDTH = 300  # characters of a query's text on its one line
TextRecord = QueryRecord | ExtractionRecord
TEXT_FILES: tuple[tuple[str, type[TextRecord]], ...] = (
    ("queries.jsonl", QueryRecord),
    ("extractions.jsonl", ExtractionRecord),
)


@dataclass(frozen=True)
class Holder:
    """A real query holding some of a walk's values (``keys``, in walk order)."""

    query_id: str
    keys: tuple[str, ...]
    source: str | None
    conversation_id: str | None
    language: str | None
    text: str | None
    text_from: str = "graph"  # or the run folder's file the text was found in; "" = found nowhere


@dataclass(frozen=True)
class Trace:
    """One walk and the queries behind it (``shown``: at most the limit, most values first)."""

    walk: Walk
    keys: tuple[str, ...]  # the walk's distinct value keys, in walk order
    holders: tuple[int, ...]  # per key: the number of queries holding it
    queries: int  # queries holding >= 1 of the values
    replays: int  # queries holding all of them
    shown: tuple[Holder, ...]

    @property
    def verdict(self) -> str:
        if self.replays:
            return "replay"
        return "unheld" if 0 in self.holders or not self.keys else "novel"

    def field_value(self, key: str) -> tuple[str, str]:
        i = self.walk.node_ids.index(key)
        return self.walk.fields[i], self.walk.values[i]

    def label(self, key: str) -> str:
        """``field: value`` of one of the walk's keys."""
        return ": ".join(self.field_value(key))


def select_walks(path: Path, walk_ids: Sequence[str], n: int) -> list[Walk]:
    """The walks named by ``walk_ids`` (in that order), else the first ``n`` of the file; streamed."""
    wanted = list(dict.fromkeys(walk_ids))
    if not wanted:
        first: list[Walk] = []
        for walk in read_jsonl(path, Walk):
            first.append(walk)
            if len(first) == n:
                break
        if not first:
            raise InputError(f"{path} holds no walks", hint="run the walk stage first")
        return first
    found: dict[str, Walk] = {}
    seen = 0
    for walk in read_jsonl(path, Walk):
        seen += 1
        if walk.walk_id in wanted:
            found[walk.walk_id] = walk
            if len(found) == len(wanted):
                break
    missing = [w for w in wanted if w not in found]
    if missing:
        raise InputError(
            f"no walk {', '.join(repr(m) for m in missing)} in {path} ({seen:,} walks)",
            hint="walk ids look like 'weighted-s0-d0-0': see the walk_id of its lines",
        )
    return [found[w] for w in wanted]


@lost_as_unavailable
def fetch_trace(driver: neo4j.Driver, database: str, walk: Walk, limit: int | None) -> Trace:
    """The queries behind one walk, at most ``limit`` of them (None = all), read in one call."""
    keys = tuple(dict.fromkeys(walk.node_ids))
    text = cypher.query("analytics/trace_walk").text
    df = _read(driver, database, text, {"keys": list(keys), "limit": limit})
    return trace_of(walk, keys, df.to_dict("records"))


def trace_of(walk: Walk, keys: tuple[str, ...], rows: Sequence[dict[str, Any]]) -> Trace:
    """A Trace from the rows of ``trace_walk`` (no rows: no query holds any of the values)."""
    order = {k: i for i, k in enumerate(keys)}
    shown = sorted(
        (
            Holder(
                query_id=str(r["query_id"]),
                keys=tuple(sorted(r["keys"], key=order.__getitem__)),
                source=r["source"],
                conversation_id=r["conversation_id"],
                language=r["language"],
                text=r["text"],
            )
            for r in rows
        ),
        key=lambda h: (-len(h.keys), h.query_id),
    )
    first: dict[str, Any] = rows[0] if rows else {"holders": [0] * len(keys), "queries": 0, "replays": 0}
    return Trace(walk, keys, tuple(int(h) for h in first["holders"]), int(first["queries"]),
                 int(first["replays"]), tuple(shown))  # fmt: skip


def find_texts(path: Path, model: type[TextRecord], ids: set[str]) -> dict[str, str]:
    """Query id -> text for the ``ids`` found in a JSONL file of ``model`` (streamed, stops when all are)."""
    found: dict[str, str] = {}
    counts = Counts(path.name)  # a malformed line is skipped: the lookup is best effort
    for record in read_jsonl(path, model, counts):
        if record.query_id in ids and record.text is not None:
            found[record.query_id] = record.text
            if len(found) == len(ids):
                break
    return found


def resolve_texts(traces: Sequence[Trace], run_dir: Path) -> list[Trace]:
    """Fill the texts the graph lacks from ``run_dir``'s queries.jsonl, then extractions.jsonl."""
    missing = {h.query_id for t in traces for h in t.shown if h.text is None}
    texts: dict[str, tuple[str, str]] = {}
    for name, model in TEXT_FILES:
        path = run_dir / name
        wanted = missing - set(texts)
        if wanted and path.is_file():
            texts.update({qid: (text, name) for qid, text in find_texts(path, model, wanted).items()})
    out = []
    for t in traces:
        shown = []
        for h in t.shown:
            if h.text is None:
                text, source = texts.get(h.query_id, (None, ""))
                h = replace(h, text=text, text_from=source)
            shown.append(h)
        out.append(replace(t, shown=tuple(shown)))
    return out


def one_line(text: str, width: int = TEXT_WIDTH) -> str:
    """The text on one line (whitespace runs become one space), cut at ``width`` characters with '…'."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word[:-1]}ies" if word.endswith("y") else f"{n:,} {word}s"


def _hold(n: int) -> str:
    return "1 query holds" if n == 1 else f"{n:,} queries hold"


def summary_line(t: Trace) -> str:
    """Whether one query holds all the walk's values (a replay) or how many queries it combines."""
    n = len(t.keys)
    if t.verdict == "replay":
        full = [h.query_id for h in t.shown if len(h.keys) == n]
        who = f"{full[0]} holds" if t.replays == 1 else f"{_hold(t.replays)} ({', '.join(full)})"
        return f"replay: {who} all {n} values; {_hold(t.queries)} >= 1 of them"
    if t.verdict == "unheld":
        lost = "; ".join(t.label(k) for k, c in zip(t.keys, t.holders, strict=True) if c == 0)
        return f"unheld: no query holds {lost} (not in the graph?); {_hold(t.queries)} the rest"
    most = len(t.shown[0].keys)
    return (f"novel: no query holds all {n} values (at most {most}, {t.shown[0].query_id}); it combines "
            f"{_plural(t.queries, 'query')}")  # fmt: skip


def _text_of(h: Holder, run_dir: Path) -> str:
    if h.text is not None:
        note = "" if h.text_from == "graph" else f"  (text from {h.text_from})"
        return one_line(h.text) + note
    if not any((run_dir / name).is_file() for name, _ in TEXT_FILES):
        return "(no text: loaded without text and the run folder has no queries.jsonl)"
    return f"(no text: loaded without text, and not in {run_dir}'s queries.jsonl or extractions.jsonl)"


def render_text(traces: Iterable[Trace], run_dir: Path) -> str:
    """Each walk: its values (with their holders), the summary line, then the queries and their words."""
    lines: list[str] = []
    for t in traces:
        n = len(t.keys)
        if lines:
            lines.append("")
        lines.append(f"walk {t.walk.walk_id}  ({t.walk.doc_type}, {_plural(n, 'value')})")
        labels = [t.label(k) for k in t.keys]
        width = max((len(label) for label in labels), default=0)
        lines += [f"  {label.ljust(width)}   held by {_plural(c, 'query')}"
                  for label, c in zip(labels, t.holders, strict=True)]  # fmt: skip
        lines.append(summary_line(t))
        for h in t.shown:
            lines.append(f"  {h.query_id}  {len(h.keys)}/{n}  {'; '.join(t.label(k) for k in h.keys)}")
            lines.append(f"      {_text_of(h, run_dir)}")
        more = t.queries - len(t.shown)
        if more > 0:
            most = len(t.shown[-1].keys) if t.shown else n
            lines.append(f"  … {_plural(more, 'more query')} (each holding <= {most} of the values; "
                         "--max-queries 0 shows all)")  # fmt: skip
    return "\n".join(lines)


def _fv(t: Trace, key: str) -> dict[str, str]:
    field, value = t.field_value(key)
    return {"field": field, "value": value}


def to_json(traces: Iterable[Trace]) -> Iterator[dict[str, Any]]:
    """Each walk as JSON-ready data (texts: the first 1,000 characters, verbatim; null when found nowhere)."""
    for t in traces:
        yield {
            "walk_id": t.walk.walk_id,
            "doc_type": t.walk.doc_type,
            "values": [{"key": k, **_fv(t, k), "queries": c} for k, c in zip(t.keys, t.holders, strict=True)],
            "verdict": t.verdict,
            "queries": t.queries,
            "replays": t.replays,
            "holders": [_holder_json(t, h) for h in t.shown],
        }


def _holder_json(t: Trace, h: Holder) -> dict[str, Any]:
    return {
        "query_id": h.query_id,
        "held": len(h.keys),
        "values": [_fv(t, k) for k in h.keys],
        "source": h.source,
        "conversation_id": h.conversation_id,
        "language": h.language,
        "text": None if h.text is None else h.text[:1000],
        "text_from": h.text_from or None,
    }
