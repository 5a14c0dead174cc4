"""Gates that compare the answer with the instruction and the documents: ``echo``, ``verbatim_copy``,
``ungrounded_numbers`` and ``wrong_language``."""

from __future__ import annotations

import re

from wildlong.loader.language import detect
from wildlong.synth.gates.config import GateConfig
from wildlong.synth.gates.form import prose

WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?!\w)")
_LIST_MARKER = re.compile(r"^(\s*(?:#+\s*)?)\d{1,3}[.)](?=\s)", re.MULTILINE)
_STOP_TEXT = (
    "the a an and or but nor of to in on at by for with from into onto about as is are was were be been "
    "being has have had do does did this that these those it its they them their there here what which who "
    "whom whose when where why how all any each both few more most other some such no not only own same so "
    "than too very can will just should would could may might must shall also please me my we our you "
    "your he she his her i us one give list explain describe tell write summarize summarise document "
    "documents text based provide provided"
)
STOPWORDS = frozenset(_STOP_TEXT.split())


def content_words(text: str) -> list[str]:
    """Lower-cased words of three letters or more that are not stop words (numbers count)."""
    return [w for w in WORD.findall(text.lower()) if (len(w) >= 3 or w.isdigit()) and w not in STOPWORDS]


def echo(answer: str, instruction: str, config: GateConfig) -> str | None:
    """Why ``answer`` is mostly a restatement of ``instruction``, or None (code is left out; short
    answers and yes/no answers are not judged)."""
    words = content_words(prose(answer))
    asked = set(content_words(instruction))
    if len(words) < config.echo_min_words or not asked or re.match(r"\s*(yes|no)\b", answer, re.I):
        return None
    overlap = sum(w in asked for w in words) / len(words)
    new = set(words) - asked
    if overlap >= config.echo_min_overlap and len(new) <= config.echo_max_new_words:
        return f"restates the instruction ({overlap:.0%} of its words are the instruction's, {len(new)} new)"
    return None


def verbatim_copy(answer: str, documents: str, config: GateConfig) -> str | None:
    """Why ``answer`` (its prose: code is left out) is mostly text copied from ``documents`` (shared word
    n-grams), or None."""
    words = WORD.findall(prose(answer).lower())
    n = config.copy_ngram_words
    if len(words) < config.copy_min_words or len(words) < n:
        return None
    grams: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(words) - n + 1):
        grams.setdefault(tuple(words[i : i + n]), []).append(i)
    doc = WORD.findall(documents.lower())
    found = {g for i in range(len(doc) - n + 1) if (g := tuple(doc[i : i + n])) in grams}
    covered = [False] * len(words)
    for gram in found:
        for start in grams[gram]:
            covered[start : start + n] = [True] * n
    share = sum(covered) / len(words)
    if share > config.copy_max_coverage:
        return f"{share:.0%} of its words are copied from the documents ({n}-word runs)"
    return None


def numbers(text: str) -> set[str]:
    """The numbers in ``text`` as written without thousands separators (list markers left out)."""
    plain = _LIST_MARKER.sub(r"\1", text)
    return {_canonical(m.group()) for m in _NUMBER.finditer(plain)}


def _canonical(number: str) -> str:
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", number):
        number = number.replace(",", "")
    return number.rstrip(".,")


def ungrounded_numbers(answer: str, sources: str, config: GateConfig) -> str | None:
    """The numbers of ``answer`` found nowhere in ``sources`` (documents and instruction), when there are
    more than ``config.numbers_max_ungrounded`` of them; small whole numbers are not judged."""
    known = numbers(sources)
    missing = sorted(
        n
        for n in numbers(answer)
        if n not in known and not (n.isdigit() and int(n) < config.numbers_min_value)
    )
    if len(missing) > config.numbers_max_ungrounded:
        return f"{len(missing)} numbers not in the documents: {', '.join(missing[:5])}"
    return None


def wrong_language(answer: str, instruction: str, documents: str, config: GateConfig) -> str | None:
    """Why ``answer`` is not in the instruction's language (the documents' when the instruction is too
    short to tell), or None; short answers and code are not judged."""
    text = prose(answer)
    if len(text) < config.language_min_chars:
        return None
    said = detect(text, min_confidence=config.language_min_confidence)
    asked = detect(prose(instruction), min_confidence=config.language_min_confidence)
    if asked is None and documents:
        asked = detect(prose(documents), min_confidence=config.language_min_confidence)
    if said and asked and said != asked:
        return f"answer in {said}, instruction in {asked}"
    return None
