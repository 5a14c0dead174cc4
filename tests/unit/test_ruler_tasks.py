"""RULER samples: needles at their stated depths, lengths that fit (token-counted), seeded, QA from files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import quicktok

from wildlong.errors import ConfigError
from wildlong.train.ruler_haystack import Haystack, load_haystack
from wildlong.train.ruler_run import RulerConfig, select_tasks
from wildlong.train.ruler_tasks import DEPTHS, Context, generate, interleave, load_specs

ROOT = Path(__file__).resolve().parents[2]
MOBY = ROOT.parent / "shared" / "data" / "haystack" / "pd_moby_dick.txt"  # never copied into the repo
ENCODING = quicktok.get_encoding("o200k_base")


def count(prompt: str, answer_prefix: str) -> int:
    return int(ENCODING.count(prompt + answer_prefix))


@pytest.fixture(scope="module")
def haystack() -> Haystack:
    return load_haystack(MOBY if MOBY.exists() else None)


def test_the_thirteen_tasks_have_rulers_settings() -> None:
    specs = load_specs()
    assert list(specs) == [
        "niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1", "niah_multikey_2",
        "niah_multikey_3", "niah_multivalue", "niah_multiquery", "vt", "cwe", "fwe", "qa_1", "qa_2",
    ]  # fmt: skip
    assert specs["niah_multikey_1"].args["num_needle_k"] == 4
    assert specs["niah_multikey_3"].args["type_needle_k"] == "uuids"
    assert specs["vt"].args == {"type_haystack": "noise", "num_chains": 1, "num_hops": 4}
    assert specs["cwe"].args == {"freq_cw": 30, "freq_ucw": 3, "num_cw": 10}
    assert specs["fwe"].args == {"alpha": 2.0}
    assert [specs[t].tokens_to_generate for t in ("niah_single_1", "vt", "cwe", "fwe", "qa_1")] == [
        128, 30, 120, 50, 32,
    ]  # fmt: skip
    assert {t: s.metric for t, s in specs.items()} == {
        t: ("part" if t.startswith("qa") else "all") for t in specs
    }
    assert len(DEPTHS) == 40 and DEPTHS[0] == 0 and DEPTHS[-1] == 100


def test_interleave_puts_each_insert_after_its_share_of_units() -> None:
    units = [f"u{i}" for i in range(10)]
    assert interleave(units, ["A", "B", "C"], [0, 50, 100], " ") == "A u0 u1 u2 u3 u4 B u5 u6 u7 u8 u9 C"


def _context_span(text: str) -> tuple[int, int]:
    """The haystack part of a NIAH/VT prompt: between the instruction line(s) and the question."""
    start = text.index("\n\n") + 2 if text.startswith("Memorize") else text.index("\n") + 1
    return start, text.rindex("\nQuestion:" if "\nQuestion:" in text else "\nWhat")


@pytest.mark.parametrize("task", ["niah_single_1", "niah_single_2", "niah_multikey_1", "niah_multikey_2",
                                  "niah_multikey_3", "niah_multivalue", "niah_multiquery", "vt"])  # fmt: skip
def test_needles_sit_at_their_stated_depths_and_the_sample_fits(task: str, haystack: Haystack) -> None:
    spec = load_specs()[task]
    length = 3000
    for sample in generate(spec, length, 3, ctx=Context(haystack), count=count, seed=7):
        assert sample.input_tokens == count(sample.input, sample.answer_prefix)
        assert sample.input_tokens + sample.max_new_tokens <= length
        assert sample.input_tokens + sample.max_new_tokens >= 0.9 * length
        text = sample.input.split("\n\n", 2)[-1] if task == "vt" else sample.input  # past VT's worked example
        start, end = _context_span(text)
        total = count(text[start:end], "")
        assert sample.depths == sorted(sample.depths) and len(sample.depths) == len(sample.needles)
        for needle, depth in zip(sample.needles, sample.depths, strict=True):
            at = text.index(needle.strip(), start)
            measured = 100 * count(text[start:at], "") / total
            assert abs(measured - depth) <= 4.0, (needle, depth, measured)
        if task.startswith("niah"):
            for value in sample.outputs:
                assert sum(value in n for n in sample.needles) == 1


def test_samples_are_seeded(haystack: Haystack) -> None:
    spec = load_specs()["niah_multivalue"]
    a = generate(spec, 1500, 2, ctx=Context(haystack), count=count, seed=1)
    b = generate(spec, 1500, 2, ctx=Context(haystack), count=count, seed=1)
    c = generate(spec, 1500, 2, ctx=Context(haystack), count=count, seed=2)
    assert [s.to_json() for s in a] == [s.to_json() for s in b]
    assert [s.outputs for s in a] != [s.outputs for s in c]
    assert a[0].outputs != a[1].outputs


@pytest.mark.parametrize("task", ["cwe", "fwe"])
def test_aggregation_tasks_fit_and_their_answers_are_the_most_frequent(task: str, haystack: Haystack) -> None:
    spec = load_specs()[task]
    sample = generate(spec, 2500, 1, ctx=Context(haystack), count=count, seed=3)[0]
    assert 0.9 * 2500 <= sample.input_tokens + sample.max_new_tokens <= 2500
    body = sample.input.split("\n")[-2] if task == "cwe" else sample.input
    words = [w for w in body.split() if not w.rstrip(".").isdigit()]
    frequencies = {w: words.count(w) for w in set(words)}
    expected = len(sample.outputs)
    top = sorted(frequencies.values(), reverse=True)
    for answer in sample.outputs:
        assert frequencies[answer] >= top[expected] if task == "cwe" else frequencies[answer] in top[1:4]


def _squad(path: Path) -> Path:
    paragraphs = [
        {"context": f"Paragraph {i} about the river Orinoco and its {i} tributaries.",
         "qas": [{"question": f"How many tributaries in paragraph {i}?", "is_impossible": False,
                  "answers": [{"text": f"{i} tributaries"}, {"text": str(i)}]}]}
        for i in range(40)
    ]  # fmt: skip
    path.write_text(json.dumps({"data": [{"title": "Orinoco", "paragraphs": paragraphs}]}))
    return path


def _hotpot(path: Path) -> Path:
    rows = [{"question": f"Who built tower {i}?", "answer": f"Builder {i}",
             "context": [[f"Tower {i}", [f"Tower {i} was built by Builder {i}. "]],
                         [f"Town {i}", [f"Town {i} has a tower. "]]]} for i in range(30)]  # fmt: skip
    path.write_text(json.dumps(rows))
    return path


@pytest.mark.parametrize("task", ["qa_1", "qa_2"])
def test_qa_samples_hold_the_gold_document_among_distractors(task: str, tmp_path: Path) -> None:
    files = {"squad": _squad(tmp_path / "squad.json"), "hotpotqa": _hotpot(tmp_path / "hotpot.json")}
    ctx = Context(load_haystack(None), qa_files=files)
    short, long = (generate(load_specs()[task], n, 2, ctx=ctx, count=count, seed=5) for n in (300, 900))
    for sample in short + long:
        assert sample.input_tokens + 32 <= sample.length
        index = sample.index
        gold = (
            f"Paragraph {index} about" if task == "qa_1" else f"Tower {index} was built by Builder {index}."
        )
        assert gold in sample.input
    assert short[0].outputs == (["0 tributaries", "0"] if task == "qa_1" else ["Builder 0"])
    assert long[0].input.count("Document ") > short[0].input.count("Document ") > 1


def test_a_length_too_short_for_the_task_is_refused(haystack: Haystack) -> None:
    with pytest.raises(ConfigError, match="vt does not fit in 600 tokens"):
        generate(load_specs()["vt"], 600, 1, ctx=Context(haystack), count=count, seed=0)


def test_missing_qa_files_are_skipped_with_a_note_or_refused_when_asked_for() -> None:
    runnable, notes = select_tasks(RulerConfig(), explicit=False)
    assert runnable == [t for t in load_specs() if not t.startswith("qa")]
    assert len(notes) == 2 and "--squad" in notes[0] and "--hotpotqa" in notes[1]
    with pytest.raises(ConfigError, match="qa_1 needs the squad data set"):
        select_tasks(RulerConfig(tasks=["qa_1"]), explicit=True)
    with pytest.raises(ConfigError, match="unknown RULER task"):
        select_tasks(RulerConfig(tasks=["niah_single_9"]), explicit=True)
