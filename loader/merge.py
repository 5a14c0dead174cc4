"""Surface forms of one field -> canonical values: lexical keys first, then embedding neighbours.

1. **Lexical**: forms with the same :func:`lexical_key` (case, punctuation, hyphens and spaces, leading
   articles, simple plurals, ``-ise``/``-ize`` spellings) are one group: ``Bullet-point lists``,
   ``bullet point list`` and ``the bulletpoint list`` share the key ``bulletpointlist``.
2. **Embeddings** (optional): each lexical group's head is embedded (all-MiniLM-L6-v2, normalised); its
   ``neighbors`` nearest *more frequent* heads over the lowest threshold come from blocks of float32 BLAS
   products (a radius search: only the pairs over the threshold reach Python, no pairwise loop).
   Groups are taken by frequency (most queries first): a group joins
   the most similar *canonical* group before it when the cosine reaches ``threshold`` (``short_threshold``
   when either head is one word) and no guard objects, else it becomes canonical itself. Joining only
   canonical groups means no chaining drift: every member is close to its canonical value.
3. Guards against merging opposites, which embeddings put close: different numbers or quantity words
   (``under 200 words`` / ``under 300 words``, ``one query`` / ``two queries``), different head nouns
   after shared words (``data engineer`` / ``data scientist``), a negation on one side only (``formal`` /
   ``informal``, ``with code`` / ``without code``) and a short list of antonyms (``short`` / ``long``,
   ``positive`` / ``negative``).

The canonical name of a group is its most frequent surface form (ties: the shorter, then alphabetical).
:func:`near_duplicate_aliases` is the alias map the doc-type model keeps (``doctypes.merge_threshold``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from wildlong.loader.embed import Embedder
from wildlong.loader.normalize import AliasMap
from wildlong.loader.records import ExtractionRecord

ARTICLES = frozenset({"a", "an", "the"})
NEGATIONS = frozenset({"not", "no", "non", "without", "never", "anti", "nothing"})
NEGATION_PREFIXES = ("in", "un", "non", "dis", "im", "ir", "il", "a")
ANTONYMS = frozenset(
    frozenset(p)
    for p in [
        ("short", "long"), ("shorter", "longer"), ("positive", "negative"), ("pro", "con"), ("pros", "cons"),
        ("beginner", "advanced"), ("beginner", "expert"), ("simple", "complex"), ("increase", "decrease"),
        ("before", "after"), ("first", "last"), ("minimum", "maximum"), ("min", "max"), ("male", "female"),
        ("high", "low"), ("higher", "lower"), ("old", "new"), ("past", "future"), ("input", "output"),
        ("buy", "sell"), ("buyer", "seller"), ("client", "server"), ("frontend", "backend"),
        ("front", "back"), ("open", "closed"), ("include", "exclude"), ("add", "remove"), ("more", "less"),
        ("strength", "weakness"), ("advantage", "disadvantage"), ("formal", "casual"), ("big", "small"),
        ("large", "small"), ("fast", "slow"), ("easy", "hard"), ("easy", "difficult"), ("private", "public"),
        ("internal", "external"), ("start", "end"), ("success", "failure"), ("true", "false"),
        ("high", "middle"), ("middle", "elementary"), ("high", "elementary"), ("primary", "secondary"),
        ("junior", "senior"), ("upper", "lower"), ("top", "bottom"), ("left", "right"), ("light", "dark"),
    ]
)  # fmt: skip
QUANTITIES = frozenset(
    {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "single", "multiple",
     "several", "many", "few", "both", "each", "every", "all", "some", "couple", "dozen", "hundred",
     "thousand", "once", "twice", "double", "triple", "half", "none", "multi"}
)  # fmt: skip
_SPLIT = re.compile(r"[^a-z0-9+#]+")
_BLOCK = 1024  # rows per similarity block (1024 x n float32)


@dataclass(frozen=True)
class Grouping:
    """One field's forms: ``canonical[form]`` (every form, itself included) and the groups' forms."""

    canonical: dict[str, str]
    lexical_merges: int  # forms that joined another form by key
    embedding_merges: int  # forms that joined another group by embedding


def tokens(value: str) -> list[str]:
    """Lower-case tokens, leading articles dropped, each singularised and with ``-ise`` as ``-ize``."""
    parts = [p for p in _SPLIT.split(value.lower()) if p]
    while len(parts) > 1 and parts[0] in ARTICLES:
        parts = parts[1:]
    return [_stem(p) for p in parts]


def lexical_key(value: str) -> str:
    """Forms with one key are one value (see the module docstring)."""
    return "".join(tokens(value))


def _stem(token: str) -> str:
    if token.isdigit() or len(token) <= 3:
        return token
    for end, repl in (("isation", "ization"), ("ising", "izing"), ("ised", "ized"), ("ise", "ize")):
        if token.endswith(end) and len(token) > len(end) + 2:
            token = token[: -len(end)] + repl
            break
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "shes", "ches", "xes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is", "ys")):
        return token[:-1]
    return token


def conflict(a: list[str], b: list[str]) -> bool:
    """Whether two token lists must not merge: numbers or quantity words differ, one-sided negation, an
    antonym pair, or two phrases that share words but end in different head nouns (``data engineer`` /
    ``data scientist``, ``argument building`` / ``argument evaluation``) — a head that the other phrase
    holds too is no conflict (``react components`` / ``react component code``)."""
    if {t for t in a if any(c.isdigit() for c in t)} != {t for t in b if any(c.isdigit() for c in t)}:
        return True
    if {t for t in a if t in QUANTITIES} != {t for t in b if t in QUANTITIES}:
        return True
    only_a, only_b = set(a) - set(b), set(b) - set(a)
    if len(a) > 1 and len(b) > 1 and set(a) & set(b) and a[-1] not in b and b[-1] not in a:
        return True
    if (only_a | only_b) & NEGATIONS:
        return True
    for t in only_a:
        for u in only_b:
            if frozenset((t, u)) in ANTONYMS:
                return True
            long, short = (t, u) if len(t) > len(u) else (u, t)
            if any(long == p + short or long == p + "-" + short for p in NEGATION_PREFIXES):
                return True
    return False


def group_forms(
    counts: Mapping[str, int],
    embedder: Embedder | None,
    threshold: float | None,
    *,
    short_threshold: float | None = None,
    neighbors: int = 20,
) -> Grouping:
    """Every form of ``counts`` (form -> queries) mapped to its canonical value (module docstring)."""
    order = sorted(counts, key=lambda f: (-counts[f], len(f), f))
    heads: dict[str, str] = {}  # lexical key -> its most frequent form
    canonical: dict[str, str] = {}
    for form in order:
        head = heads.setdefault(lexical_key(form), form)
        canonical[form] = head
    lexical = len(canonical) - len(heads)
    totals: Counter[str] = Counter()
    for form, head in canonical.items():
        totals[head] += counts[form]
    groups = sorted(totals, key=lambda h: (-totals[h], len(h), h))
    if embedder is None or threshold is None or len(groups) < 2:
        return Grouping(canonical, lexical, 0)
    parent = _join_by_embedding(groups, embedder, threshold, short_threshold or threshold, neighbors)
    joined = 0
    for form, head in canonical.items():
        root = parent.get(head)
        if root is not None:
            canonical[form] = root
            joined += 1
    # the canonical name is the most frequent surface form of the whole group
    members: dict[str, list[str]] = {}
    for form, root in canonical.items():
        members.setdefault(root, []).append(form)
    for forms in members.values():
        best = min(forms, key=lambda f: (-counts[f], len(f), f))
        for form in forms:
            canonical[form] = best
    return Grouping(canonical, lexical, joined)


def _join_by_embedding(
    groups: list[str], embedder: Embedder, threshold: float, short_threshold: float, neighbors: int
) -> dict[str, str]:
    """head -> the canonical head it joins (heads in frequency order; only canonical ones are joined)."""
    vectors = embedder.encode(groups)
    toks = [tokens(g) for g in groups]
    is_canonical = np.zeros(len(groups), dtype=bool)
    parent: dict[str, str] = {}
    for i, candidates in enumerate(_earlier_neighbours(vectors, min(threshold, short_threshold), neighbors)):
        best, best_sim = -1, -1.0
        for j, sim in candidates:
            if not is_canonical[j] or sim <= best_sim:
                continue
            need = short_threshold if len(toks[i]) == 1 or len(toks[j]) == 1 else threshold
            if sim >= need and not conflict(toks[i], toks[j]):
                best, best_sim = j, sim
        if best < 0:
            is_canonical[i] = True
        else:
            parent[groups[i]] = groups[best]
    return parent


def _earlier_neighbours(
    vectors: np.ndarray, floor: float, neighbors: int
) -> Iterator[list[tuple[int, float]]]:
    """For each row i, its ``neighbors`` most similar rows j < i with cosine >= ``floor`` (blocks of
    BLAS products against the rows before; only the pairs over the floor reach Python)."""
    n = len(vectors)
    for start in range(0, n, _BLOCK):
        stop = min(n, start + _BLOCK)
        sims = vectors[start:stop] @ vectors[:stop].T
        sims[:, start:stop][np.triu_indices(stop - start)] = -1.0  # j >= i: not earlier
        rows, cols = np.nonzero(sims >= floor)
        found: list[list[tuple[int, float]]] = [[] for _ in range(stop - start)]
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            found[r].append((c, float(sims[r, c])))
        for hits in found:
            if len(hits) > neighbors:
                hits = sorted(hits, key=lambda h: -h[1])[:neighbors]
            yield hits


def value_counts(
    records: Iterable[ExtractionRecord], fields: Iterable[str] | None = None
) -> dict[str, Counter[str]]:
    """field -> value -> number of records that have it."""
    wanted = set(fields) if fields is not None else None
    counts: dict[str, Counter[str]] = {}
    for record in records:
        for name, values in record.fields.items():
            if wanted is None or name in wanted:
                counts.setdefault(name, Counter()).update(set(values))
    return counts


def near_duplicate_aliases(
    counts: Mapping[str, Counter[str]], embedder: Embedder, threshold: float
) -> AliasMap:
    """field -> {alias: canonical} for the forms that merge (fields without any merge are left out)."""
    aliases: AliasMap = {}
    for name in sorted(counts):
        grouping = group_forms(counts[name], embedder, threshold)
        table = {form: canon for form, canon in sorted(grouping.canonical.items()) if form != canon}
        if table:
            aliases[name] = table
    return aliases
