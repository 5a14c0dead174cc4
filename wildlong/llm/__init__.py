"""The one LLM interface of WildLong (over ``openai.AsyncOpenAI``) and the embedded default model.

    from wildlong.llm import LLMClient, LLMSettings, LLMRequest, load_template, resolve_settings

    settings = resolve_settings(LLMSettings(base_url=..., model=..., api_key=...))  # none: embedded SmolLM2
    client = LLMClient(settings)
    template = load_template("extract_needs", package="wildlong.loader")
    results = client.run([LLMRequest(template.render(conversation=c), stage="extract", template=template,
                                     schema=Needs) for c in conversations])
    print(client.accounting.format())

Modules: ``client`` (the interface), ``batch`` (many requests), ``concurrency`` (AIMD limiter), ``retry``,
``structured``, ``cache`` (SQLite), ``accounting`` (+ ``prices.json``), ``tokens`` (offline counts, dry-run),
``prompts`` (template files), ``settings``, ``options`` (click options), ``embedded`` (SmolLM2 server).
"""

from wildlong.llm.accounting import Accounting, PriceTable
from wildlong.llm.batch import run_batch
from wildlong.llm.calls import FAILURE_REASONS, LLMRequest, LLMResult
from wildlong.llm.client import LLMClient
from wildlong.llm.prompts import PromptTemplate, load_template
from wildlong.llm.settings import LLMSettings, resolve_settings
from wildlong.llm.tokens import Estimate, count_messages

__all__ = [
    "FAILURE_REASONS",
    "Accounting",
    "Estimate",
    "LLMClient",
    "LLMRequest",
    "LLMResult",
    "LLMSettings",
    "PriceTable",
    "PromptTemplate",
    "count_messages",
    "load_template",
    "resolve_settings",
    "run_batch",
]
