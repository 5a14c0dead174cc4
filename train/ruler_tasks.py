"""RULER's 13 tasks generated at a chosen length, seeded, with the needles at stated depths.

Each task kind builds a sample from a number of haystack units (words, sentences, lines, documents); the
largest number whose prompt plus answer budget fits the length (counted with the evaluated model's
tokenizer) is found by binary search, as RULER does. Needles go in at depths drawn from RULER's grid of 40
depths (0..100%): a needle at depth d follows the first d% of the haystack's units. The prompts, answer
prefixes and task settings are RULER's (``ruler_tasks.yaml``).
"""

from __future__ import annotations

import bisect
import itertools
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from wildlong.errors import ConfigError
from wildlong.train.ruler_haystack import (
    NOISE,
    Haystack,
    QASet,
    common_words,
    extended_words,
    key_word,
    load_qa,
    sentences,
)

DEPTHS = [round(i * 100 / 39) for i in range(40)]  # RULER's np.linspace(0, 100, 40), rounded
Counter = Callable[[str, str], int]  # (prompt, answer prefix) -> tokens the model reads


@dataclass(frozen=True)
class TaskSpec:
    name: str
    kind: str
    args: dict[str, Any]
    template: str
    answer_prefix: str
    tokens_to_generate: int
    metric: str  # "all" or "part"


@dataclass
class Sample:
    """One prompt, its references, and where its needles are."""

    task: str
    length: int  # the target: prompt tokens + answer budget <= length
    index: int
    input: str
    answer_prefix: str
    outputs: list[str]
    input_tokens: int
    max_new_tokens: int
    needles: list[str] = field(default_factory=list)  # in order of appearance
    depths: list[int] = field(default_factory=list)  # their stated depths, % of the haystack

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Draft:
    input: str
    answer_prefix: str
    outputs: list[str]
    needles: list[str] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)


def load_specs() -> dict[str, TaskSpec]:
    data = yaml.safe_load(resources.files("wildlong.train").joinpath("ruler_tasks.yaml").read_text("utf-8"))
    specs = {}
    for name, args in data["tasks"].items():
        args = dict(args)
        kind = args.pop("kind")
        k = data["kinds"][kind]
        specs[name] = TaskSpec(name, kind, args, k["template"], k["answer_prefix"], k["tokens_to_generate"],
                               k["metric"])  # fmt: skip
    return specs


def interleave(units: list[str], inserts: list[str], depths: list[int], sep: str,
               sizes: list[int] | None = None) -> str:  # fmt: skip
    """``units`` with ``inserts[i]`` after the first ``depths[i]``% of them (depths ascending).

    With ``sizes`` (the units' token counts) the share is of tokens: the cut is the unit boundary nearest
    to it, so a needle's depth holds in tokens although sentences differ in length. Without, every unit
    weighs the same: RULER's ``int(n * depth%)``.
    """
    sizes = sizes or [1] * len(units)
    total = sum(sizes)
    bounds = list(itertools.accumulate(sizes, initial=0))
    parts, last = [], 0
    for item, depth in zip(inserts, depths, strict=True):
        goal = total * depth / 100
        cut = bisect.bisect_left(bounds, goal)
        if cut > 0 and goal - bounds[cut - 1] < bounds[min(cut, len(units))] - goal:
            cut -= 1
        cut = max(last, min(cut, len(units)))
        parts.extend(units[last:cut])
        parts.append(item)
        last = cut
    parts.extend(units[last:])
    return sep.join(parts)


def _random_value(kind: str, rng: random.Random) -> str:
    if kind == "numbers":
        return str(rng.randint(10**6, 10**7 - 1))
    if kind == "words":
        return key_word(rng)
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_niah(spec: TaskSpec, size: int, rng: random.Random, ctx: Context, index: int) -> Draft:
    a = spec.args
    kinds_v = a["type_needle_v"]
    needle = "One of the special magic {v} for {key} is: {value}."
    keys, values, needles = [], [], []
    for _ in range(max(a["num_needle_k"], a["num_needle_q"])):
        keys.append(_random_value(a["type_needle_k"], rng))
        values.append([_random_value(kinds_v, rng) for _ in range(a["num_needle_v"])])
        needles += [needle.format(v=kinds_v, key=keys[-1], value=v) for v in values[-1]]
    rng.shuffle(needles)
    depths = sorted(rng.sample(DEPTHS, len(needles)))
    if a["type_haystack"] == "essay":
        units = sentences(ctx.haystack.text(size))
        sizes = [ctx.count(u, "") for u in units] if ctx.count else None
        context = interleave(units, needles, depths, " ", sizes)
    elif a["type_haystack"] == "noise":
        context = interleave([NOISE] * size, needles, depths, "\n")
    else:
        fillers = [needle.format(v=kinds_v, key=_random_value(a["type_needle_k"], rng),
                                 value=_random_value(kinds_v, rng)) for _ in range(size)]  # fmt: skip
        context = interleave(fillers, needles, depths, "\n")
    asked = rng.sample(range(len(keys)), a["num_needle_q"])
    queries = [keys[i] for i in asked]
    query = ", ".join(queries[:-1]) + ", and " + queries[-1] if len(queries) > 1 else queries[0]
    template, prefix, noun = spec.template, spec.answer_prefix, kinds_v
    if a["num_needle_q"] * a["num_needle_v"] == 1:  # RULER's singular wording
        for old, new in (("Some", "A"), ("are all", "is"), ("are", "is"), ("answers", "answer")):
            template, prefix = template.replace(old, new), prefix.replace(old, new)
        noun = kinds_v[:-1]
    return Draft(
        template.format(type_needle_v=noun, context=context, query=query),
        prefix.format(type_needle_v=noun, query=query),
        [v for i in asked for v in values[i]],
        needles,
        depths,
    )


def _chain(rng: random.Random, hops: int, letters: int, taken: set[str]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    while len(names) < hops + 1:
        name = "".join(rng.choices(string.ascii_uppercase, k=letters))
        if name not in taken:
            taken.add(name)
            names.append(name)
    lines = [f"VAR {names[0]} = {rng.randint(10000, 99999)}"]
    lines += [f"VAR {names[j + 1]} = VAR {names[j]} " for j in range(hops)]
    return names, lines


def _vt_text(spec: TaskSpec, size: int, rng: random.Random, letters: int) -> Draft:
    hops, taken = spec.args["num_hops"], set[str]()
    chains = [_chain(rng, hops, letters, taken) for _ in range(spec.args["num_chains"])]
    placed = []  # (depth, chain, hop, line): each chain in order, chains mixed
    for c, (_, lines) in enumerate(chains):
        placed += [(d, c, j, line) for j, (d, line) in enumerate(zip(sorted(rng.sample(DEPTHS, len(lines))),
                                                                       lines, strict=True))]  # fmt: skip
    placed.sort()
    context = interleave([NOISE] * size, [p[3] for p in placed], [p[0] for p in placed], "\n")
    value = chains[0][1][0].split("=")[-1].strip()
    fields = {"query": value, "num_v": hops + 1}
    return Draft(
        spec.template.format(context=context.replace(". \n", ".\n"), **fields),
        spec.answer_prefix.format(**fields),
        chains[0][0],
        [p[3] for p in placed],
        [p[0] for p in placed],
    )


def build_vt(spec: TaskSpec, size: int, rng: random.Random, ctx: Context, index: int) -> Draft:
    icl = _vt_text(spec, ctx.vt_icl_size, rng, letters=3)  # RULER's one worked example, 3-letter names
    example = icl.input + icl.answer_prefix + " " + " ".join(icl.outputs) + "\n"
    draft = _vt_text(spec, size, rng, letters=5)
    draft.input = example + "\n" + draft.input
    return draft


def _cwe_list(words: list[str], n: int, common_rep: int, rare_rep: int, num_cw: int,
              rng: random.Random) -> tuple[str, list[str]]:  # fmt: skip
    chosen = rng.sample(words, n)
    common, rare = chosen[:num_cw], chosen[num_cw:]
    listed = common * common_rep + rare * rare_rep
    rng.shuffle(listed)
    return " ".join(f"{i + 1}. {w}" for i, w in enumerate(listed)), common


def build_cwe(spec: TaskSpec, size: int, rng: random.Random, ctx: Context, index: int) -> Draft:
    a = spec.args
    short = ctx.length < 4096
    words = list(common_words()) if size <= len(common_words()) else extended_words(ctx.haystack, size)
    shot_ctx, shot_answer = _cwe_list(list(common_words()), 20 if short else 40, 3 if short else 10,
                                      1 if short else 3, a["num_cw"], rng)  # fmt: skip
    main_ctx, answer = _cwe_list(words, size, 6 if short else a["freq_cw"], 1 if short else a["freq_ucw"],
                                 a["num_cw"], rng)  # fmt: skip
    shot = spec.template.format(context=shot_ctx) + spec.answer_prefix + " "
    shot += " ".join(f"{i + 1}. {w}" for i, w in enumerate(shot_answer))
    return Draft(shot + "\n" + spec.template.format(context=main_ctx), spec.answer_prefix, answer)


def build_fwe(spec: TaskSpec, size: int, rng: random.Random, ctx: Context, index: int) -> Draft:
    from scipy.special import zeta

    alpha = float(spec.args["alpha"])
    vocab_size = max(10, (ctx.length - spec.tokens_to_generate) // 50)
    vocab: set[str] = set()
    while len(vocab) < vocab_size:
        vocab.add("".join(rng.choices(string.ascii_lowercase, k=6)))
    ranked = sorted(vocab)
    rng.shuffle(ranked)
    ranked[0] = "..."  # the most frequent "word" is noise
    counts = [int(size * (k**-alpha) / zeta(alpha)) for k in range(1, len(ranked) + 1)]
    text = [w for w, c in zip(ranked, counts, strict=True) for _ in range(c)]
    rng.shuffle(text)
    return Draft(spec.template.format(context=" ".join(text)), spec.answer_prefix, ranked[1:4])


def build_qa(spec: TaskSpec, size: int, rng: random.Random, ctx: Context, index: int) -> Draft:
    qa = ctx.qa(spec.args["dataset"])
    item = qa.items[index % len(qa.items)]
    if size < len(qa.docs):
        gold = list(item.gold)
        extra = list(item.related)
        if size - len(gold) > len(extra):
            others = [i for i in range(len(qa.docs)) if i not in set(gold + extra)]
            chosen = gold + extra + rng.sample(others, max(0, size - len(gold) - len(extra)))
        else:
            chosen = gold + rng.sample(extra, max(0, size - len(gold)))
        docs = [qa.docs[i] for i in chosen]
    else:
        docs = (list(qa.docs) * (-(-size // len(qa.docs))))[:size]
    rng.shuffle(docs)
    context = "\n\n".join(f"Document {i + 1}:\n{d}" for i, d in enumerate(docs))
    return Draft(spec.template.format(context=context, query=item.query), spec.answer_prefix,
                 list(item.outputs))  # fmt: skip


BUILDERS = {
    "niah": build_niah,
    "variable_tracking": build_vt,
    "common_words_extraction": build_cwe,
    "freq_words_extraction": build_fwe,
    "qa": build_qa,
}


@dataclass
class Context:
    """What builders share for one (task, length): the haystack, QA files, the length."""

    haystack: Haystack
    length: int = 0
    qa_files: dict[str, Path | None] = field(default_factory=dict)
    vt_icl_size: int = 20  # noise lines of VT's worked example (RULER fits it into 500 tokens)
    count: Counter | None = None  # the evaluated model's token counter (set by ``generate``)
    _qa: dict[str, QASet] = field(default_factory=dict)

    def qa(self, dataset: str) -> QASet:
        if dataset not in self._qa:
            self._qa[dataset] = load_qa(dataset, self.qa_files.get(dataset))
        return self._qa[dataset]


def step_for(spec: TaskSpec) -> int:
    """Units added or removed at a time (RULER's ``incremental``)."""
    haystack = spec.args.get("type_haystack")
    return {"niah": 500 if haystack == "essay" else 25, "variable_tracking": 10}.get(spec.kind, 10)


def generate(spec: TaskSpec, length: int, n: int, *, ctx: Context, count: Counter, seed: int) -> list[Sample]:
    """``n`` samples of ``spec`` that fit ``length`` tokens (prompt plus the task's answer budget)."""
    ctx.length, ctx.count = length, count
    build = BUILDERS[spec.kind]
    budget = length - spec.tokens_to_generate
    if budget <= 0:
        raise ConfigError(f"length {length} leaves no room for {spec.name}'s answer")
    step = max(1, min(step_for(spec), length // 400))

    def tokens(size: int, rng: random.Random, index: int) -> tuple[int, Draft]:
        draft = build(spec, size, rng, ctx, index)
        return count(draft.input, draft.answer_prefix), draft

    def fits(size: int) -> bool:
        return tokens(size, random.Random(f"{seed}:{spec.name}:{length}:{size}"), 0)[0] <= budget

    high = step
    while fits(high):  # grow until too long, then bisect
        high *= 2
    low, best = 1, 1
    while low <= high:
        mid = (low + high) // 2
        if fits(mid):
            best, low = mid, mid + 1
        else:
            high = mid - 1
    rng = random.Random(f"{seed}:{spec.name}:{length}")
    samples = []
    for index in range(n):
        size = best
        used, draft = tokens(size, rng, index)
        while used > budget and size > step:
            size -= step
            used, draft = tokens(size, rng, index)
        if used > budget:
            need = f"its smallest prompt has {used} plus {spec.tokens_to_generate} to answer"
            raise ConfigError(
                f"{spec.name} does not fit in {length} tokens ({need})", hint="use a longer length"
            )
        samples.append(Sample(spec.name, length, index, draft.input, draft.answer_prefix, draft.outputs,
                              used, spec.tokens_to_generate, draft.needles, draft.depths))  # fmt: skip
    return samples
