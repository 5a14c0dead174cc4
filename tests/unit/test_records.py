"""The records module: JSONL in (a bad line counted as file:line, or raised), JSONL out (atomic), Counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from wildlong.errors import InputError
from wildlong.records import (
    Counts,
    append_jsonl,
    content_hash,
    read_jsonl,
    remove_partials,
    write_jsonl,
)


class Row(BaseModel):
    id: int
    text: str


def rows(*ids: int) -> list[Row]:
    return [Row(id=i, text=f"row {i}") for i in ids]


def test_a_bad_line_in_the_middle_is_counted_as_file_line_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"id": 1, "text": "a"}\n'
        "\n"  # blank: skipped, not a problem
        '{"id": 2, "text": "b"\n'  # cut JSON
        '{"id": "x", "text": "c"}\n'  # valid JSON, not a Row
        '{"id": 4, "text": "d"}\n',
        encoding="utf-8",
    )
    counts = Counts("read")
    got = list(read_jsonl(path, Row, counts))
    assert [r.id for r in got] == [1, 4]
    assert dict(counts.dropped) == {"malformed": 2}
    assert counts.messages == [
        f"{path}:3: invalid JSON (Expecting ',' delimiter at column 23)",
        f"{path}:4: id: Input should be a valid integer, unable to parse string as an integer",
    ]


def test_bytes_that_are_not_utf8_are_a_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"id": 1, "text": "a"}\n{"id": 2, "text": "caf\xe9"}\n{"id": 3, "text": "c"}\n')
    counts = Counts("read")
    assert [r.id for r in read_jsonl(path, Row, counts)] == [1, 3]
    assert counts.messages == [f"{path}:2: not UTF-8 (byte 0xe9 at column 23)"]


def test_a_bom_at_the_start_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes("\ufeff".encode() + b'{"id": 1, "text": "a"}\r\n{"id": 2, "text": "\xc3\xa9"}\r\n')
    counts = Counts("read")
    assert list(read_jsonl(path, Row, counts)) == [Row(id=1, text="a"), Row(id=2, text="é")]
    assert not counts.dropped


def test_strict_or_no_counts_raises_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": 1, "text": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"rows\.jsonl:2: invalid JSON") as raised:
        list(read_jsonl(path, Row, Counts("read"), strict=True))
    assert "--strict" in raised.value.one_line()
    with pytest.raises(InputError, match=r"rows\.jsonl:2: invalid JSON"):
        list(read_jsonl(path, Row))
    with pytest.raises(InputError, match=r"cannot read .*missing\.jsonl"):
        list(read_jsonl(tmp_path / "missing.jsonl", Row))


def test_write_is_atomic_and_leaves_the_old_file_when_the_records_fail(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "rows.jsonl"
    assert write_jsonl(path, rows(1, 2)) == 2  # parents are made
    before = path.read_bytes()
    assert before == b'{"id":1,"text":"row 1"}\n{"id":2,"text":"row 2"}\n'
    assert list(path.parent.iterdir()) == [path]  # no .part left behind

    def failing() -> Iterator[Row]:
        yield from rows(3)
        raise RuntimeError("the stage broke")

    with pytest.raises(RuntimeError, match="the stage broke"):
        write_jsonl(path, failing())
    assert path.read_bytes() == before
    assert list(path.parent.iterdir()) == [path]


def test_append_adds_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rows.jsonl"
    assert append_jsonl(path, []) == 0 and path.read_text() == ""  # created, empty
    append_jsonl(path, rows(1))
    append_jsonl(path, rows(2, 3))
    assert list(read_jsonl(path, Row)) == rows(1, 2, 3)


def test_remove_partials_deletes_only_part_files(tmp_path: Path) -> None:
    (tmp_path / "dataset").mkdir()
    keep = tmp_path / "walks.jsonl"
    keep.write_text("")
    left = [tmp_path / "pairs.jsonl.part", tmp_path / "dataset" / "train.parquet.part"]
    for p in left:
        p.write_text("half")
    assert remove_partials(tmp_path) == sorted(left)
    assert keep.exists() and not any(p.exists() for p in left)
    assert remove_partials(tmp_path) == []
    assert remove_partials(tmp_path / "no-such-run") == []


def test_counts_format_and_dict() -> None:
    counts = Counts("read", max_messages=1)
    counts.seen = 500
    counts.keep(470)
    counts.drop("too_short", n=10)
    counts.drop("language", "f.jsonl:3: language fr", n=20)
    counts.drop("language", "f.jsonl:9: language de")  # past max_messages: counted, not kept as text
    counts.note("language_detected", 3)
    assert counts.format() == (
        "read: 500 seen, 470 kept, 31 dropped (language=21, too_short=10); language_detected=3"
    )
    assert counts.to_dict() == {
        "stage": "read",
        "seen": 500,
        "kept": 470,
        "dropped": {"language": 21, "too_short": 10},
        "notes": {"language_detected": 3},
        "messages": ["f.jsonl:3: language fr"],
    }
    counts.per_doc_type.update({"report": 2, "email": 1})
    assert list(counts.to_dict()["per_doc_type"].items()) == [("email", 1), ("report", 2)]


def test_content_hash() -> None:
    assert content_hash("abc") == content_hash(b"abc") == "ba7816bf8f01"
    assert len(content_hash("abc", n=8)) == 8
