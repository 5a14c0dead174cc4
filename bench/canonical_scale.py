"""Benchmark: the ``canonical`` stage (``wildlong canonical``'s code path) at 150,000 queries.

    python bench/canonical_scale.py                          # 150,000 queries, after a 15,000 baseline
    python bench/canonical_scale.py --queries 30000 --baseline 0
    python bench/canonical_scale.py --from runs/extractions.jsonl   # grow a real run instead of the fixture

Records are grown from real extraction records (default: the 160 of
``tests/fixtures/graph/realistic_extractions.jsonl``, all 13 fields) the way ``bench/loader_load.py`` grows
them: per field, how many phrases a record has follows the seed, and each phrase comes from a
Chinese-restaurant process seeded with the seed's phrases (an earlier phrase comes back in proportion to its
count, a new one appears with probability beta * V / m), so the vocabulary grows by Heaps' law V ~ m^beta.
A new phrase must be a phrase, not ``domain new 17`` (the stage embeds and compares them): a lexical variant
of an earlier phrase (case, plural, hyphen, article, -ise/-ize: 20 %), a near paraphrase (a word added,
dropped or moved: 15 %) or a new need (one or two words of a seed phrase replaced by words of the seed's
real query texts, by their frequency there: 65 %). ``--junk-rate`` of the values are junk (placeholders,
field-name echoes, numbers, identifiers, overlong phrases) and ``--copy-rate`` of the records copied the
prompt's examples; every record carries a real query text (shared: RSS leaves out a real run's texts).

The stage runs as ``run_canonical`` runs it: ``canonicalise(records, CanonicalConfig(), Embedder(), Counts,
field_names=..., examples=...)`` from the shipped field schema. The model is loaded before the clock starts
(a run loads it in the doctypes stage). Phases are timed from outside by wrapping ``group_forms``,
``Embedder.encode`` and the neighbour search: junk (junk rejection and form counts), lexical (keys, then the
guarded joins), embedding, neighbour search, apply (records rewritten and the report). Printed: queries,
forms per field, values after merging, merges, junk by reason, phases, peak RSS and a verdict against the
budget (10 minutes on 2 cores); with ``--baseline N`` a smaller run first and the ratios side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # noqa: E402

from wildlong.loader import canonical, merge  # noqa: E402
from wildlong.loader.canonical import CanonicalConfig, CanonicalResult, canonicalise  # noqa: E402
from wildlong.loader.embed import Embedder  # noqa: E402
from wildlong.loader.junk import STOPWORDS  # noqa: E402
from wildlong.loader.records import ExtractionRecord  # noqa: E402
from wildlong.loader.schema import FieldSchema  # noqa: E402
from wildlong.records import Counts, read_jsonl  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "graph" / "realistic_extractions.jsonl"
BUDGET_S = 600.0
BUDGET_CORES = 2
MODIFIERS = ("detailed", "basic", "general", "specific", "custom", "online", "practical", "modern", "quick")
_WORD = re.compile(r"[a-z]{3,}")


def junk_values(name: str, seed_forms: list[str], rng: random.Random) -> str:
    """One junk value of the kinds the stage rejects (placeholder, field name, number, identifier, long)."""
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice(["n/a", "none", "not specified", "unknown", "<value>", "...", "N/A"])
    if kind == 1:
        return rng.choice([name.replace("_", " "), name, "type", "value"])
    if kind == 2:
        return rng.choice(["2023", "3.5", "100", "2021-05-01"])
    if kind == 3:
        return rng.choice(["user_id", "getUserName", "response_code_code", "9f3a2c7d1e"])
    return " ".join(rng.sample(seed_forms, 3)) + " and more"


class Growth:
    """The seed's per-field phrase counts and occurrences, and new phrases grown from them (module doc)."""

    def __init__(self, records: list[ExtractionRecord], beta: float = 0.6) -> None:
        self.beta = beta
        self.fields = sorted({name for r in records for name in r.fields})
        self.sizes: dict[str, Counter[int]] = {f: Counter() for f in self.fields}
        self.freq: dict[str, Counter[str]] = {f: Counter() for f in self.fields}
        for record in records:
            for name in self.fields:
                values = record.fields.get(name, [])
                self.sizes[name][len(values)] += 1
                self.freq[name].update(values)
        self.texts = sorted({r.text for r in records if r.text}) or [""]
        words: Counter[str] = Counter()
        for text in self.texts:
            words.update(w for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS)
        pairs = sorted(words.items()) or [("x", 1)]
        self.words = [w for w, _ in pairs]
        self.cum_weights = list(itertools.accumulate(n for _, n in pairs))

    def _variant(self, form: str, rng: random.Random) -> str:
        """The same value written differently (the lexical key stays)."""
        parts = form.split()
        kind = rng.randrange(5)
        if kind == 0:
            return form.title() if form != form.title() else form.upper()
        if kind == 1:
            last = parts[-1]
            parts[-1] = last[:-1] if last.endswith("s") and len(last) > 4 else last + "s"
        elif kind == 2 and len(parts) > 1:
            i = rng.randrange(len(parts) - 1)
            parts[i : i + 2] = [parts[i] + "-" + parts[i + 1]]
        elif kind == 3:
            return ("the " if not form.startswith("the ") else "a ") + form
        else:
            return re.sub(r"iz(e|ed|ing|ation)\b", r"is\1", form) if "iz" in form else form.capitalize()
        return " ".join(parts)

    def _paraphrase(self, form: str, rng: random.Random) -> str:
        """Near the same value: a modifier added or the first word dropped or two words swapped."""
        parts = form.split()
        kind = rng.randrange(3)
        if kind == 1 and len(parts) > 2:
            return " ".join(parts[1:])
        if kind == 2 and len(parts) > 1:
            i = rng.randrange(len(parts) - 1)
            parts[i], parts[i + 1] = parts[i + 1], parts[i]
            return " ".join(parts)
        return f"{rng.choice(MODIFIERS)} {form}"

    def _novel(self, seeds: list[str], rng: random.Random) -> str:
        """A new need: a seed phrase with one or two content words replaced by words of real queries."""
        parts = rng.choice(seeds).split()
        slots = [i for i, p in enumerate(parts) if p not in STOPWORDS and len(p) >= 3] or [len(parts) - 1]
        for i in rng.sample(slots, min(len(slots), 1 if rng.random() < 0.7 else 2)):
            parts[i] = rng.choices(self.words, cum_weights=self.cum_weights)[0]
        return " ".join(parts)

    def new_form(self, seeds: list[str], occurrences: list[str], seen: set[str], rng: random.Random) -> str:
        for _ in range(20):
            roll = rng.random()
            earlier = occurrences[rng.randrange(len(occurrences))] if occurrences else rng.choice(seeds)
            if roll < 0.20:
                form = self._variant(earlier, rng)
            elif roll < 0.35:
                form = self._paraphrase(earlier, rng)
            else:
                form = self._novel(seeds, rng)
            if form and form not in seen:
                return form
        return f"{self._novel(seeds, rng)} {rng.choice(self.words)}"

    def sample(
        self, n: int, seed: int, *, junk_rate: float = 0.01, copy_rate: float = 0.002,
        examples: dict[str, list[str]] | None = None,
    ) -> list[ExtractionRecord]:  # fmt: skip
        """``n`` records (each with a real query text); their phrases grow by Heaps' law."""
        rng = random.Random(seed)
        out: list[dict[str, list[str]]] = [{} for _ in range(n)]
        for name in self.fields:
            sizes = sorted(self.sizes[name])
            size_weights = [self.sizes[name][k] for k in sizes]
            occurrences = sorted(self.freq[name].elements())
            seeds = sorted(self.freq[name]) or [name.replace("_", " ")]
            seen = set(seeds)
            for i, k in enumerate(rng.choices(sizes, weights=size_weights, k=n)):
                chosen: list[str] = []
                for _ in range(k):
                    if rng.random() < junk_rate:
                        chosen.append(junk_values(name, seeds, rng))
                        continue
                    m = len(occurrences)
                    if m == 0 or rng.random() < self.beta * len(seen) / m:
                        value = self.new_form(seeds, occurrences, seen, rng)
                        seen.add(value)
                    else:
                        value = occurrences[rng.randrange(m)]
                    occurrences.append(value)
                    chosen.append(value)
                out[i][name] = list(dict.fromkeys(chosen))
        for fields in out:
            if examples and rng.random() < copy_rate:  # the prompt's examples copied into most fields
                for name in self.fields:
                    if examples.get(name):
                        fields[name] = [examples[name][0]]
        return [_record(i, f, self.texts[rng.randrange(len(self.texts))]) for i, f in enumerate(out)]


def _record(i: int, fields: dict[str, list[str]], text: str) -> ExtractionRecord:
    return ExtractionRecord(
        query_id=f"bench:{i}", source="bench", conversation_id=str(i), language="en", model="bench",
        prompt_name="extract", prompt_version="bench", fields=fields, text=text,
    )  # fmt: skip


class TimedEmbedder(Embedder):
    """The stage's embedder, timing its ``encode`` calls and counting the texts it embedded."""

    seconds = 0.0
    texts = 0

    def encode(self, texts: Any, *, progress: bool = False) -> Any:
        started = time.perf_counter()
        try:
            return super().encode(texts, progress=progress)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)


@contextlib.contextmanager
def phase_clock(embedder: TimedEmbedder) -> Iterator[dict[str, float]]:
    """Times ``canonicalise``'s phases from outside: wraps ``group_forms`` and the neighbour search."""
    marks: dict[str, float] = {"group_s": 0.0, "search_s": 0.0, "first": 0.0, "last": 0.0}
    group_forms, search = canonical.group_forms, merge._earlier_neighbours

    def timed_group(*args: Any, **kwargs: Any) -> merge.Grouping:
        started = time.perf_counter()
        marks["first"] = marks["first"] or started
        try:
            return group_forms(*args, **kwargs)
        finally:
            marks["last"] = time.perf_counter()
            marks["group_s"] += marks["last"] - started

    def timed_search(*args: Any, **kwargs: Any) -> Iterator[list[tuple[int, float]]]:
        rows = search(*args, **kwargs)
        while True:
            started = time.perf_counter()
            try:
                hits = next(rows)
            except StopIteration:
                return
            finally:
                marks["search_s"] += time.perf_counter() - started
            yield hits

    canonical.group_forms, merge._earlier_neighbours = timed_group, timed_search
    try:
        yield marks
    finally:
        canonical.group_forms, merge._earlier_neighbours = group_forms, search


def run_stage(records: list[ExtractionRecord], embedder: TimedEmbedder) -> tuple[CanonicalResult, dict]:
    """``canonicalise`` as ``run_canonical`` calls it (defaults, the shipped schema), timed by phase."""
    schema = FieldSchema.load()
    examples = {f.name: f.examples for f in schema.fields}
    embedder.seconds, embedder.texts = 0.0, 0
    with phase_clock(embedder) as marks:
        cpu, started = _cpu_s(), time.perf_counter()
        result = canonicalise(
            records, CanonicalConfig(), embedder, Counts("canonical"), field_names=schema.names,
            examples=examples,
        )  # fmt: skip
        stop, cpu = time.perf_counter(), _cpu_s() - cpu
    first, last = marks["first"] or stop, marks["last"] or stop
    times = {
        "junk_s": first - started,
        "lexical_s": marks["group_s"] - embedder.seconds - marks["search_s"],
        "embed_s": embedder.seconds,
        "search_s": marks["search_s"],
        "apply_s": stop - last,
        "total_s": stop - started,
        "cpu_s": cpu,
        "embedded": embedder.texts,
    }
    return result, times


def summary(records: list[ExtractionRecord], result: CanonicalResult, times: dict) -> dict[str, Any]:
    report = result.report
    rows = report["fields"]
    junk: Counter[str] = Counter()
    for row in rows.values():
        junk.update(row["junk"])
    return {
        "queries": len(records),
        "forms": report["forms"],
        "values": report["values"],
        "lexical": sum(r["lexical_merges"] for r in rows.values()),
        "embedding": sum(r["embedding_merges"] for r in rows.values()),
        "junk": report["junk"],
        "junk_by_reason": dict(sorted(junk.items())),
        "fields": {n: (r["forms"], r["values"], sum(r["junk"].values())) for n, r in rows.items()},
        **times,
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


ROWS = [
    ("queries", "queries", "{:,}"), ("surface forms", "forms", "{:,}"),
    ("values after merging", "values", "{:,}"), ("lexical merges", "lexical", "{:,}"),
    ("embedding merges", "embedding", "{:,}"), ("junk values", "junk", "{:,}"),
    ("texts embedded", "embedded", "{:,}"), ("junk phase s", "junk_s", "{:.1f}"),
    ("lexical + joins s", "lexical_s", "{:.1f}"), ("embedding s", "embed_s", "{:.1f}"),
    ("neighbour search s", "search_s", "{:.1f}"), ("apply + report s", "apply_s", "{:.1f}"),
    ("total s", "total_s", "{:.1f}"), ("CPU s (all threads)", "cpu_s", "{:.1f}"),
]  # fmt: skip


def print_table(runs: list[dict[str, Any]]) -> None:
    """One column per run, the last one's ratio to the first beside it (``bench/loader_load.py``'s way)."""
    head = f"{'':<22}" + "".join(f"{'run ' + str(i + 1):>14}" for i in range(len(runs)))
    print(head + (f"{'ratio':>9}" if len(runs) > 1 else ""))
    for label, key, fmt in ROWS:
        line = f"{label:<22}" + "".join(f"{fmt.format(r[key]):>14}" for r in runs)
        if len(runs) > 1:
            line += f"{'x' + format(runs[-1][key] / max(runs[0][key], 1e-9), '.2f'):>9}"
        print(line)
    last = runs[-1]
    print(f"\nper field (run {len(runs)}): {'forms':>9} {'values':>9} {'junk':>7}")
    for name, (forms, values, junk) in last["fields"].items():
        print(f"  {name:<28} {forms:>9,} {values:>9,} {junk:>7,}")
    print(f"junk by reason: {last['junk_by_reason']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=150_000, help="queries of the measured run")
    parser.add_argument("--baseline", type=int, default=15_000, help="queries of a run first (0 = none)")
    parser.add_argument("--from", dest="source", type=Path, default=FIXTURE, help="seed extraction records")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--heaps-beta", type=float, default=0.6, help="vocabulary growth (V ~ m^beta)")
    parser.add_argument("--junk-rate", type=float, default=0.01, help="share of values that are junk")
    parser.add_argument("--copy-rate", type=float, default=0.002, help="share of records copying the prompt")
    args = parser.parse_args()

    seed_records = list(read_jsonl(args.source, ExtractionRecord))
    growth = Growth(seed_records, args.heaps_beta)
    examples = {f.name: f.examples for f in FieldSchema.load().fields}
    print(f"seed: {len(seed_records):,} records of {args.source}, {len(growth.fields)} fields, "
          f"{len(growth.words):,} words of their query texts; Heaps beta {growth.beta}")  # fmt: skip
    embedder = TimedEmbedder()
    started = time.perf_counter()
    embedder.encode(["warm up"])
    wait = os.environ.get("OMP_WAIT_POLICY", "unset")
    print(f"model loaded in {time.perf_counter() - started:.1f} s (not counted); torch threads "
          f"{_torch_threads()} (OMP_WAIT_POLICY {wait}), cores {cores()}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    runs = []
    for n in [args.baseline, args.queries] if args.baseline else [args.queries]:
        started = time.perf_counter()
        records = growth.sample(
            n, args.seed, junk_rate=args.junk_rate, copy_rate=args.copy_rate, examples=examples
        )
        print(f"generated {n:,} records in {time.perf_counter() - started:.1f} s (not counted)", flush=True)
        result, times = run_stage(records, embedder)
        runs.append(summary(records, result, times))
        print(f"canonical on {n:,} queries: {times['total_s']:.1f} s, peak RSS so far {rss_mib():,.0f} MiB",
              flush=True)  # fmt: skip
        del records, result
    print()
    print_table(runs)
    last = runs[-1]
    print(f"peak RSS {rss_mib():,.0f} MiB (the whole process: model, generated records and the stage)")
    verdict = "within" if last["total_s"] <= BUDGET_S else "OVER"
    print(
        f"verdict: {last['queries']:,} queries, {last['forms']:,} surface forms in {last['total_s']:.1f} s "
        f"(CPU {last['cpu_s']:.0f} s) on {cores()} cores, load average {os.getloadavg()[2]:.1f} over 15 min: "
        f"{verdict} the budget of {BUDGET_S / 60:.0f} minutes on {BUDGET_CORES} cores"
    )


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


if __name__ == "__main__":
    main()
