"""Who spent what: calls, cache hits, tokens, retries and failures by reason, cost, per (stage, model).

Prices come from ``prices.json`` (shipped next to this module), overridden or extended by a user file of the
same format. A ``max_cost`` budget is enforced *before* a request is sent: each request reserves its
worst case (its input tokens plus ``max_tokens`` of output) and settles to the real cost when it returns,
so concurrent requests can never together overshoot the limit.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from wildlong.errors import BudgetExceeded, ConfigError


@dataclass(frozen=True)
class ModelPrice:
    input: float  # USD per 1M input tokens
    output: float  # USD per 1M output tokens

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


class PriceTable:
    """Model name -> price: an exact (case-insensitive) match, else the longest prefix after which the name
    goes on with ``-``, ``:`` or ``@`` (``gpt-4o-2024-08-06`` is ``gpt-4o``; ``gpt-4.5`` is not ``gpt-4``)."""

    def __init__(self, prices: dict[str, ModelPrice]) -> None:
        self._prices = {name.lower(): price for name, price in prices.items()}

    @classmethod
    def load(cls, user_file: str | Path | None = None) -> PriceTable:
        shipped = json.loads(resources.files("wildlong.llm").joinpath("prices.json").read_text("utf-8"))
        prices = _parse(shipped, where="wildlong/llm/prices.json")
        if user_file is not None:
            try:
                data = json.loads(Path(user_file).read_text("utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"cannot read the price table {user_file}: {exc}") from None
            prices.update(_parse(data, where=str(user_file)))
        return cls(prices)

    def price_for(self, model: str) -> ModelPrice | None:
        name = model.lower()
        for candidate in (name, name.rsplit("/", 1)[-1]):
            if candidate in self._prices:
                return self._prices[candidate]
            prefixes = [key for key in self._prices if _extends(candidate, key)]
            if prefixes:
                return self._prices[max(prefixes, key=len)]
        return None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        price = self.price_for(model)
        return None if price is None else price.cost(input_tokens, output_tokens)


def _extends(name: str, prefix: str) -> bool:
    return name.startswith(prefix) and name[len(prefix) : len(prefix) + 1] in ("-", ":", "@")


def _parse(data: Any, *, where: str) -> dict[str, ModelPrice]:
    if not isinstance(data, dict):
        raise ConfigError(f"price table {where}: expected an object of model -> {{input, output}}")
    prices = {}
    for name, entry in data.items():
        if name.startswith("_"):
            continue
        try:
            prices[name] = ModelPrice(float(entry["input"]), float(entry["output"]))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"price table {where}: {name!r} needs numeric 'input' and 'output' (USD per 1M tokens)"
            ) from None
    return prices


@dataclass
class StageStats:
    """Counters for one (stage, model)."""

    stage: str
    model: str
    requests: int = 0  # HTTP requests sent, retries included
    responses: int = 0  # replies received (billed)
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0  # None when the model has no price
    ok: int = 0  # records that succeeded
    failures: Counter[str] = field(default_factory=Counter)  # records that failed, by reason
    retries: Counter[str] = field(default_factory=Counter)  # attempts retried, by reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "model": self.model,
            "requests": self.requests,
            "responses": self.responses,
            "cache_hits": self.cache_hits,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "ok": self.ok,
            "failures": dict(self.failures),
            "retries": dict(self.retries),
        }


class Accounting:
    """The counters of one client; ``max_cost`` (USD) turns it into a budget."""

    def __init__(self, prices: PriceTable, *, max_cost: float | None = None) -> None:
        self.prices = prices
        self.max_cost = max_cost
        self.stages: dict[tuple[str, str], StageStats] = {}
        self._spent = 0.0
        self._reserved = 0.0

    def stats(self, stage: str, model: str) -> StageStats:
        return self.stages.setdefault((stage, model), StageStats(stage, model))

    @property
    def cost_usd(self) -> float:
        """What was spent so far (unpriced models count 0)."""
        return self._spent

    def reserve(self, model: str, input_tokens: int, max_output_tokens: int) -> float:
        """Book a request's worst-case cost, or raise :class:`BudgetExceeded` if it would break the budget."""
        if self.max_cost is None:
            return 0.0
        worst = self.prices.cost(model, input_tokens, max_output_tokens) or 0.0
        if self._spent + self._reserved + worst > self.max_cost:
            raise BudgetExceeded(
                f"the LLM budget of ${self.max_cost:.4f} is reached (spent ${self._spent:.4f})",
                hint="cached replies are kept: raise --max-cost and run again to resume",
            )
        self._reserved += worst
        return worst

    def settle(self, reserved: float) -> None:
        self._reserved = max(0.0, self._reserved - reserved)

    def record_response(self, stage: str, model: str, input_tokens: int, output_tokens: int) -> None:
        stats = self.stats(stage, model)
        stats.responses += 1
        stats.input_tokens += input_tokens
        stats.output_tokens += output_tokens
        cost = self.prices.cost(model, input_tokens, output_tokens)
        if cost is None:
            stats.cost_usd = None
        else:
            self._spent += cost
            if stats.cost_usd is not None:
                stats.cost_usd += cost

    def record_outcome(self, stage: str, model: str, reason: str | None) -> None:
        """A record finished: ``reason`` None means it succeeded."""
        stats = self.stats(stage, model)
        if reason is None:
            stats.ok += 1
        elif reason != "budget_exceeded":
            stats.failures[reason] += 1

    def merge(self, other: dict[str, Any]) -> None:
        """Add the counters of another client's ``to_dict()`` (a Ray actor's, for one shard)."""
        for entry in other.get("stages", []):
            stats = self.stats(entry["stage"], entry["model"])
            for name in ("requests", "responses", "cache_hits", "input_tokens", "output_tokens", "ok"):
                setattr(stats, name, getattr(stats, name) + int(entry[name]))
            stats.failures.update(entry["failures"])
            stats.retries.update(entry["retries"])
            if entry["cost_usd"] is None or stats.cost_usd is None:
                stats.cost_usd = None
            else:
                stats.cost_usd += float(entry["cost_usd"])
        self._spent += float(other.get("cost_usd") or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"cost_usd": self._spent, "stages": [s.to_dict() for s in self.stages.values()]}

    def format(self) -> str:
        """A small table for the end of a run."""
        head = (
            f"{'stage':<20} {'model':<28} {'req':>6} {'hits':>6} {'in tok':>9} {'out tok':>9} {'cost $':>9}"
        )
        lines = [f"{head}  failures"]
        for s in self.stages.values():
            cost = "unpriced" if s.cost_usd is None else f"{s.cost_usd:.4f}"
            failures = ", ".join(f"{k}={v}" for k, v in sorted(s.failures.items())) or "-"
            lines.append(
                f"{s.stage:<20} {s.model[:28]:<28} {s.requests:>6} {s.cache_hits:>6} "
                f"{s.input_tokens:>9} {s.output_tokens:>9} {cost:>9}  {failures}"
            )
        return "\n".join(lines)
