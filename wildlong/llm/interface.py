"""The one LLM interface every stage types against: :class:`LLM`, a :class:`typing.Protocol`.

It holds exactly what the stages use: the model name and settings (for provenance and the dry-run's
guesses), the accounting, the budget flag, a batch (``run``), single calls (``submit``, ``structured``,
``complete``), the dry-run's ``estimate`` and closing. Implementations:

- :class:`wildlong.llm.client.LLMClient`: in this process, over ``openai.AsyncOpenAI``;
- :class:`wildlong.ray_exec.RayClient`: an ``LLMClient`` for single calls, batches spread over Ray;
- ``tests.doubles.fake_llm.FakeLLM``: the test double, scripted in-process (no HTTP).

The Protocol is ``runtime_checkable``: ``isinstance(client, LLM)`` checks that the members exist (not
their signatures; mypy checks those).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from wildlong.llm.accounting import Accounting
from wildlong.llm.calls import LLMRequest, LLMResult
from wildlong.llm.prompts import ChatMessage, PromptTemplate
from wildlong.llm.settings import LLMSettings
from wildlong.llm.tokens import Estimate

M = TypeVar("M", bound=BaseModel)


@runtime_checkable
class LLM(Protocol):
    """What a stage may ask of an LLM client. A failed record is an ``LLMResult(ok=False, reason=...)``;
    only what stops every record raises (``BudgetExceeded`` inside ``submit``, ``LLMError``)."""

    @property
    def model(self) -> str:
        """The model name (goes into the records' provenance)."""
        ...

    @property
    def settings(self) -> LLMSettings:
        """The resolved settings (``public_dict()`` for provenance, ``expected_output_tokens``...)."""
        ...

    @property
    def accounting(self) -> Accounting:
        """Calls, cache hits, tokens, failures by reason and cost, per (stage, model)."""
        ...

    # set by a batch when ``max_cost`` is reached: the stages stop feeding new requests
    budget_exceeded: bool

    def run(
        self, requests: Sequence[LLMRequest], *, progress: bool | None = None, desc: str = "LLM"
    ) -> list[LLMResult[Any]]:
        """A batch from synchronous code; results in input order (unsent ones: ``budget_exceeded``)."""
        ...

    async def submit(self, request: LLMRequest) -> LLMResult[Any]:
        """One request: ``structured`` when it has a schema, else ``complete``."""
        ...

    async def structured(
        self,
        messages: list[ChatMessage],
        schema: type[M],
        *,
        stage: str = "default",
        template: PromptTemplate | None = None,
        **params: Any,
    ) -> LLMResult[M]:
        """A reply validated against ``schema`` (``value`` is the model)."""
        ...

    async def complete(
        self,
        messages: list[ChatMessage],
        *,
        stage: str = "default",
        template: PromptTemplate | None = None,
        **params: Any,
    ) -> LLMResult[str]:
        """A plain chat completion (``value`` is the text)."""
        ...

    def estimate(self, requests: Sequence[LLMRequest]) -> Estimate:
        """The dry-run: calls, tokens and cost the requests would take; nothing is sent."""
        ...

    async def aclose(self) -> None:
        """Close the connections of the running event loop."""
        ...

    def close(self) -> None:
        """Release what the client holds (the cache file); call once it is no longer used."""
        ...
