"""Offline token counts (quicktok ships OpenAI's cl100k/o200k BPE files) and the dry-run estimate.

Chat input is counted the way OpenAI's cookbook does: 3 tokens per message, plus its role's and content's
tokens, plus 3 that prime the reply. Models quicktok does not know are counted with o200k_base: for an
open model that is an estimate, not its own tokenizer's count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import quicktok

from wildlong.llm.prompts import ChatMessage

DEFAULT_ENCODING = "o200k_base"
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING = 3


def encoding_for(model: str) -> quicktok.Tokenizer:
    """The model's encoding when quicktok knows the model name, else o200k_base."""
    try:
        return quicktok.encoding_for_model(model)
    except KeyError:
        return quicktok.get_encoding(DEFAULT_ENCODING)


def count_text(text: str, model: str) -> int:
    return int(encoding_for(model).count(text))


def count_messages(messages: Iterable[ChatMessage], model: str) -> int:
    """Input tokens of a chat request (OpenAI's accounting of the chat format)."""
    encoding = encoding_for(model)
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for value in message.values():
            total += int(encoding.count(value))
    return total


@dataclass
class EstimateRow:
    """The dry-run's forecast for one (stage, model)."""

    stage: str
    model: str
    calls: int = 0  # requests that would be sent
    cached: int = 0  # requests the cache already answers (free)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0  # None when the model has no price


@dataclass
class Estimate:
    """What a set of requests would cost: ``--dry-run`` prints it before anything is sent."""

    rows: dict[tuple[str, str], EstimateRow] = field(default_factory=dict)

    def row(self, stage: str, model: str) -> EstimateRow:
        return self.rows.setdefault((stage, model), EstimateRow(stage, model))

    @property
    def calls(self) -> int:
        return sum(row.calls for row in self.rows.values())

    @property
    def cached(self) -> int:
        return sum(row.cached for row in self.rows.values())

    @property
    def input_tokens(self) -> int:
        return sum(row.input_tokens for row in self.rows.values())

    @property
    def output_tokens(self) -> int:
        return sum(row.output_tokens for row in self.rows.values())

    @property
    def cost_usd(self) -> float | None:
        costs = [row.cost_usd for row in self.rows.values()]
        return None if any(cost is None for cost in costs) else sum(c for c in costs if c is not None)

    def format(self) -> str:
        lines = [
            f"{'stage':<20} {'model':<28} {'calls':>7} {'cached':>7} {'in tok':>10} {'out tok':>10}"
            f" {'cost $':>9}"
        ]
        for row in self.rows.values():
            lines.append(
                f"{row.stage:<20} {row.model[:28]:<28} {row.calls:>7} {row.cached:>7} "
                f"{row.input_tokens:>10} {row.output_tokens:>10} {_money(row.cost_usd):>9}"
            )
        lines.append(
            f"{'total':<20} {'':<28} {self.calls:>7} {self.cached:>7} "
            f"{self.input_tokens:>10} {self.output_tokens:>10} {_money(self.cost_usd):>9}"
        )
        return "\n".join(lines)


def _money(value: float | None) -> str:
    return "unpriced" if value is None else f"{value:.4f}"
