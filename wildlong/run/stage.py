"""The stage contract: one declaration per stage, from which the run, its manifest, ``--until``, the
dry-run, the per-stage commands and README's stage table are all made.

    Stage(name="walk", section="walk", summary="weighted walks ...", outputs=("walks.jsonl",),
          depends=("load", "documents"), sections=("walk",), graph=True,
          run="wildlong.run.stages_synth:run_walk", plan="wildlong.run.stages_synth:plan_walk",
          flags=(Flag(("-n", "--walks"), "walk.walks", "walks to keep", int),))

``run(ctx) -> Counts`` reads its inputs from the run folder and writes its outputs there;
``plan(ctx, forecast) -> StagePlan`` says what it would send (calls expected and at worst, tokens) from
the same config values, and how many records it expects to hand on. Both may be given as
``"module:function"`` so that listing the stages imports none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from wildlong.records import Counts

if TYPE_CHECKING:
    from wildlong.run.context import Context


@dataclass(frozen=True)
class Flag:
    """A stage command's own option, mapped onto one config key (``--limit`` -> ``read.limit``)."""

    decls: tuple[str, ...]
    key: str
    help: str
    type: Any = None
    is_flag: bool = False
    multiple: bool = False
    argument: bool = False  # a positional argument (nargs=-1) instead of an option


@dataclass
class PlanRow:
    """The calls of one kind a stage would send (``rewrite``, ``answer``...)."""

    stage: str
    call: str
    calls: int = 0  # expected: one attempt each, nothing rejected
    worst: int = 0  # every attempt the gates and repairs allow
    cached: int = 0  # already paid for: free
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0


@dataclass
class StagePlan:
    """What one stage would do: its LLM calls, the records it expects to hand on, notes."""

    stage: str
    rows: list[PlanRow] = field(default_factory=list)
    records: int | None = None
    notes: list[str] = field(default_factory=list)
    exact: bool = False  # counted from real inputs (else forecast from the config)
    complete: bool = False  # done already with this config: nothing to send


@dataclass
class Forecast:
    """What the stages planned so far expect to produce, for the plans after them."""

    records: dict[str, int] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)  # stages done with this config: their files are inputs


RunFn = Callable[["Context"], Counts]
PlanFn = Callable[["Context", Forecast], StagePlan]


@dataclass(frozen=True)
class Stage:
    """One stage of a run, declared once (see the module docstring)."""

    name: str
    summary: str
    outputs: tuple[str, ...]
    run: RunFn | str
    plan: PlanFn | str | None = None
    section: str | None = None  # the config section holding this stage's settings
    sections: tuple[str, ...] = ()  # config sections its output depends on (fingerprint)
    depends: tuple[str, ...] = ()  # upstream stages: their outputs are its inputs
    llm: bool = False
    graph: bool = False
    flags: tuple[Flag, ...] = ()
    config: type[BaseModel] | None = None  # the section's model when RunConfig does not declare it
    example: str = ""
    optional_outputs: tuple[str, ...] = ()  # written when there is something to write
    after: tuple[str, ...] = ()  # upstream stages whose outputs it uses when they are there (not required)
    runs_first: tuple[str, ...] = ()  # upstream stages its lone command runs first when not complete
    takes: str | None = None  # the upstream stage whose output a FILE argument of its command stands for

    def run_fn(self) -> RunFn:
        return _resolve(self.run)

    def plan_fn(self) -> PlanFn | None:
        return None if self.plan is None else _resolve(self.plan)


def _resolve(target: Any) -> Any:
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def by_name(stages: Sequence[Stage], name: str) -> Stage:
    for stage in stages:
        if stage.name == name:
            return stage
    raise KeyError(name)
