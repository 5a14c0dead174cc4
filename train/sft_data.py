"""Dataset files -> token ids with a label on every assistant token and on nothing else.

Records are what ``synth`` writes: JSONL or Parquet, one per line, with ``messages`` (an optional leading
system message, then user/assistant turns); other keys are provenance and are ignored. A bad record is
counted by reason, never a crash.

Assistant spans come from the chat template itself: with ``{% generation %}`` blocks, transformers' own
``assistant_masks``; otherwise by rendering prefixes — the text of ``messages[:i]`` with the generation
prompt, and of ``messages[:i+1]``, bound the i-th assistant turn (its content and end-of-turn marker) — then
tokenizing the full rendering once and labelling the tokens whose characters fall inside those spans.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wildlong.errors import InputError
from wildlong.records import Counts

IGNORE = -100
ROLES = {"system", "user", "assistant"}
GENERATION_BLOCK = re.compile(r"{%-?\s*generation\s*-?%}")


@dataclass
class Encoded:
    """One conversation as token ids; ``labels`` is ``IGNORE`` outside the assistant turns."""

    input_ids: list[int]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)


def read_records(paths: Sequence[Path]) -> Iterator[tuple[str, Any]]:
    """``(where, record)`` for every line of JSONL files and row of Parquet files; unparsable -> ``None``."""
    for path in paths:
        if not Path(path).is_file():
            raise InputError(f"dataset file {path} not found", hint="set `data:` in the config or --data")
        if str(path).endswith(".parquet"):
            import pyarrow.parquet as pq

            for i, row in enumerate(pq.read_table(path, columns=["messages"]).to_pylist(), 1):
                yield f"{path}:{i}", row
            continue
        with open(path, encoding="utf-8") as handle:
            for i, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield f"{path}:{i}", json.loads(line)
                except json.JSONDecodeError:
                    yield f"{path}:{i}", None


def conversation(record: Any) -> tuple[list[dict[str, str]] | None, str]:
    """The record's messages, or ``None`` and why not."""
    if not isinstance(record, dict):
        return None, "malformed"
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return None, "no_messages"
    out = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return None, "bad_message"
        content = message.get("content")
        if not isinstance(content, str):
            return None, "bad_message"
        out.append({"role": str(message["role"]), "content": content})
    if not any(m["role"] == "assistant" for m in out):
        return None, "no_assistant"
    return out, ""


def render(tokenizer: Any, messages: list[dict[str, str]], *, generation_prompt: bool = False) -> str:
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    return str(text)


def assistant_char_spans(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The full rendering and the character spans of its assistant turns (by prefix rendering)."""
    full = render(tokenizer, messages)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = render(tokenizer, messages[:i], generation_prompt=True) if i else ""
        upto = render(tokenizer, messages[: i + 1])
        if not (full.startswith(upto) and upto.startswith(before)):
            raise ValueError("template_not_prefix")
        spans.append((len(before), len(upto)))
    return full, spans


def encode(tokenizer: Any, messages: list[dict[str, str]]) -> Encoded:
    """Token ids and labels of one conversation (raises ``ValueError(reason)`` when it can't)."""
    template = getattr(tokenizer, "chat_template", None) or ""
    if GENERATION_BLOCK.search(template):
        out = tokenizer.apply_chat_template(
            messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        ids, mask = list(out["input_ids"]), list(out["assistant_masks"])
        return Encoded(ids, [t if m else IGNORE for t, m in zip(ids, mask, strict=True)])
    text, spans = assistant_char_spans(tokenizer, messages)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    labels = [IGNORE] * len(ids)
    span_index = 0
    for t, (start, end) in enumerate(enc["offset_mapping"]):
        while span_index < len(spans) and start >= spans[span_index][1]:
            span_index += 1
        if span_index < len(spans) and start >= spans[span_index][0] and end <= spans[span_index][1]:
            labels[t] = ids[t]
    return Encoded(ids, labels)


def fit(sample: Encoded, max_len: int, overlong: str) -> tuple[Encoded | None, str]:
    """Apply the length rule: keep, truncate (if any label is left) or drop."""
    if len(sample) <= max_len:
        pass
    elif overlong == "truncate":
        sample = Encoded(sample.input_ids[:max_len], sample.labels[:max_len])
    else:
        return None, "too_long"
    if all(label == IGNORE for label in sample.labels[1:]):
        return None, "no_label_tokens"
    return sample, ""


def encode_record(tokenizer: Any, record: Any, max_len: int, overlong: str) -> tuple[Encoded | None, str]:
    """One record -> a sample to train on, or ``None`` and the reason it was dropped."""
    messages, reason = conversation(record)
    if messages is None:
        return None, reason
    try:
        sample = encode(tokenizer, messages)
    except ValueError as exc:
        return None, str(exc) if str(exc) == "template_not_prefix" else "template_error"
    except Exception:  # a template that raises (roles out of order, system not supported...)
        return None, "template_error"
    return fit(sample, max_len, overlong)


def _rows(paths: list[str], stamp: list[Any]) -> Iterator[dict[str, str]]:
    """Rows for ``datasets``: the record as JSON text (``stamp`` only makes the cache key change)."""
    del stamp
    for where, record in read_records([Path(p) for p in paths]):
        yield {"where": where, "record": json.dumps(record) if record is not None else ""}


def _encode_batch(batch: dict[str, list[Any]], tokenizer: Any, max_len: int, overlong: str) -> dict[str, Any]:
    out: dict[str, list[Any]] = {"input_ids": [], "labels": [], "length": [], "n_targets": [], "reason": []}
    for text in batch["record"]:
        record = json.loads(text) if text else None
        sample, reason = encode_record(tokenizer, record, max_len, overlong)
        out["input_ids"].append(sample.input_ids if sample else [])
        out["labels"].append(sample.labels if sample else [])
        out["length"].append(len(sample) if sample else 0)
        out["n_targets"].append(sum(1 for t in sample.labels[1:] if t != IGNORE) if sample else 0)
        out["reason"].append(reason)
    return out


def build_dataset(
    paths: Sequence[Path], tokenizer: Any, *, max_len: int, overlong: str, num_proc: int, cache_dir: Path
) -> tuple[Any, Counts]:
    """Tokenize every record once (``datasets`` caches it in ``cache_dir``); kept samples and counts."""
    import datasets

    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        return _build(
            paths, tokenizer, max_len=max_len, overlong=overlong, num_proc=num_proc, cache_dir=cache_dir
        )
    finally:
        if bars:
            datasets.enable_progress_bars()


def _build(
    paths: Sequence[Path], tokenizer: Any, *, max_len: int, overlong: str, num_proc: int, cache_dir: Path
) -> tuple[Any, Counts]:
    from datasets import Dataset

    for p in paths:
        if not Path(p).is_file():
            raise InputError(f"dataset file {p} not found", hint="set `data:` in the config or --data")
    stamp = [[str(p), Path(p).stat().st_size, Path(p).stat().st_mtime_ns] for p in paths]
    raw = Dataset.from_generator(
        _rows, gen_kwargs={"paths": [str(p) for p in paths], "stamp": stamp}, cache_dir=str(cache_dir)
    )
    encoded = raw.map(
        _encode_batch,
        batched=True,
        batch_size=64,
        fn_kwargs={"tokenizer": tokenizer, "max_len": max_len, "overlong": overlong},
        remove_columns=["record"],
        num_proc=num_proc if num_proc > 1 else None,
    )
    # Counted from the cached columns, not while reading: a cache hit reads nothing and must count the same.
    counts = Counts("data", seen=len(encoded))
    counts.dropped.update(r for r in encoded["reason"] if r)
    kept = encoded.filter(lambda reason: reason == "", input_columns=["reason"])
    counts.keep(len(kept))
    if counts.kept == 0:
        raise InputError(f"no usable training sample in {', '.join(map(str, paths))}: {counts.format()}")
    return kept.remove_columns(["reason"]), counts
