"""Gates on the answer's form alone: cut off (``truncated``) or looping (``repetition``).

The repetition measures are Gopher's (Rae et al. 2021, table A1), computed as datatrove's
``GopherRepetitionFilter`` computes them (huggingface/datatrove, Apache-2.0), with words as ``\\w+`` runs
instead of an NLTK tokenizer (which needs downloaded data), plus a zlib compression ratio.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable

from wildlong.synth.gates.config import GateConfig

WORD = re.compile(r"\w+")
_CODE_BLOCK = re.compile(r"^\s*(```|~~~).*?(^\s*\1[^\n]*$|\Z)", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+\S")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_URL_END = re.compile(r"(?:https?://|www\.)\S+$")
_NUMBER_END = re.compile(r"\d[\d,.]*%?$")
_TERMINAL = (*".!?:;)]}\"”’'`*»…。！？」』）",)
_HANGING = tuple(",-–—/([{“‘«&+=")
# A last word no finished sentence or list item ends on.
_FUNCTION_TEXT = (
    "the a an of to and or but nor with for in on at by from into onto than that which who whose whom "
    "is are was were be been being has have had its their his her our your my this these those as if "
    "because when while where whether such very also including namely e.g i.e"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


def prose(text: str) -> str:
    """``text`` without its code blocks and inline code."""
    return _INLINE_CODE.sub(" ", _CODE_BLOCK.sub(" ", text)).strip()


def truncated(text: str, config: GateConfig, vocabulary: Iterable[str] = ()) -> str | None:
    """Why ``text`` looks cut off (mid-sentence, mid-word, an open code block, bracket or quote), or None.

    A clean last line passes: a sentence with final punctuation, a closed code fence, a table row, a
    complete list item, a URL, a number, or a short line (a heading, a signature, ``Label: value``).
    ``vocabulary`` (the documents' words) tells a cut word: a last
    word it lacks that is the start of one of its words (``"writ"`` of ``"written"``).
    """
    body = text.rstrip()
    if not body:
        return "empty"
    lines = body.splitlines()
    if body.count("```") % 2 or sum(1 for line in lines if line.lstrip().startswith("~~~")) % 2:
        return "unclosed code block"
    last = lines[-1].strip()
    if last.endswith(("```", "~~~")):
        return None
    paragraph = body.split("\n\n")[-1]
    if paragraph.count("(") > paragraph.count(")") or paragraph.count("[") > paragraph.count("]"):
        return f"unclosed bracket at the end ({_tail(body)})"
    if paragraph.count("“") > paragraph.count("”") or paragraph.count('"') % 2:
        return f"unclosed quote at the end ({_tail(body)})"
    if _TABLE_ROW.match(last):
        return None
    if last.endswith(_HANGING):
        return f"ends mid-sentence ({_tail(body)})"
    words = WORD.findall(last.lower())
    final = words[-1] if words else ""
    if final in _FUNCTION_WORDS and not last.endswith(_TERMINAL):
        return f"ends mid-sentence ({_tail(body)})"
    if final and not last.endswith(_TERMINAL) and _cut_word(final, vocabulary, text):
        return f"ends mid-word ({_tail(body)})"
    if last.endswith(_TERMINAL) or _URL_END.search(last) or _NUMBER_END.search(last):
        return None
    if _LIST_ITEM.match(last) or last.startswith("#") or len(words) <= config.truncated_max_bare_words:
        return None
    return f"ends mid-sentence ({_tail(body)})"


def _cut_word(word: str, vocabulary: Iterable[str], text: str) -> bool:
    if len(word) < 2 or word.isdigit():
        return False
    known = {w.lower() for w in vocabulary} | {w.lower() for w in WORD.findall(text[: -len(word) - 1])}
    if word in known:
        return False
    return any(len(w) > len(word) and w.startswith(word) for w in known)


def _tail(text: str, n: int = 40) -> str:
    flat = " ".join(text.split())
    return repr("…" + flat[-n:] if len(flat) > n else flat)


def repetition(text: str, config: GateConfig) -> str | None:
    """Which Gopher repetition measure (of the prose: code blocks repeat lines by nature) or the
    compression ratio (of the whole text) ``text`` exceeds, or None."""
    body = prose(text) or text.strip()
    if not body:
        return None
    size = len(body)
    paragraphs = re.split(r"\n{2,}", body)
    dup, chars = find_duplicates(paragraphs)
    if dup / len(paragraphs) > config.dup_para_frac:
        return f"duplicate paragraphs {dup}/{len(paragraphs)}"
    if chars / size > config.dup_para_char_frac:
        return f"duplicate paragraph characters {chars / size:.0%}"
    lines = [line for line in re.split(r"\n+", body) if line.strip()]
    dup, chars = find_duplicates(lines)
    if dup / len(lines) > config.dup_line_frac:
        return f"duplicate lines {dup}/{len(lines)}"
    if chars / size > config.dup_line_char_frac:
        return f"duplicate line characters {chars / size:.0%}"
    words = WORD.findall(body.lower())
    if len(words) >= config.repetition_min_words:
        why = _ngram_repetition(words, size, config)
        if why:
            return why
    raw = text.strip().encode("utf-8")
    if len(raw) >= config.compression_min_chars:
        ratio = len(zlib.compress(raw, 9)) / len(raw)
        if ratio < config.compression_min_ratio:
            return f"compresses to {ratio:.0%} of its size"
    return None


def _ngram_repetition(words: list[str], size: int, config: GateConfig) -> str | None:
    for n, limit in sorted(config.top_ngram_char_frac.items()):
        grams = ngrams(words, n)
        if grams and (share := top_duplicate_chars(grams) / size) > limit:
            return f"top {n}-gram {Counter(grams).most_common(1)[0][0]!r} covers {share:.0%}"
    for n, limit in sorted(config.dup_ngram_char_frac.items()):
        if (share := all_duplicate_chars(words, n) / size) > limit:
            return f"repeated {n}-grams cover {share:.0%}"
    return None


def ngrams(words: list[str], n: int) -> list[str]:
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def find_duplicates(items: list[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and their characters."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def top_duplicate_chars(grams: list[str]) -> int:
    """Characters of the most frequent n-gram times its count."""
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def all_duplicate_chars(words: list[str], n: int) -> int:
    """Characters in n-grams that repeat an earlier one (a repeat skips its n words, as datatrove does)."""
    seen: set[str] = set()
    chars = i = 0
    while i < len(words) - n + 1:
        gram = "".join(words[i : i + n])
        if gram in seen:
            chars += len(gram)
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars
