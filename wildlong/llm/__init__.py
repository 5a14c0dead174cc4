"""The one LLM interface of WildLong (:class:`LLM`, over ``openai.AsyncOpenAI``) and the embedded model.

    from wildlong.llm import LLM, LLMClient, LLMSettings, LLMRequest, load_template, resolve_settings

    settings = resolve_settings(LLMSettings(base_url=..., model=..., api_key=...))  # none: embedded SmolLM2
    client: LLM = LLMClient(settings)
    fields = FieldSchema.load()  # from wildlong.loader.schema: the meta-information fields
    template = load_template("extract", package="wildlong.loader")  # variables: fields, query
    requests = [LLMRequest(template.render(fields=fields.prompt_text(), query=q), stage="extract",
                           template=template, schema=fields.response_model()) for q in queries]
    results = client.run(requests)  # LLMResult per request, in order; value: the validated model
    print(client.accounting.format())

Modules: ``interface`` (the :class:`LLM` Protocol the stages type against), ``client`` (its implementation,
composing the layers ``caching`` -> ``budget`` -> ``attempts`` -> ``transport``), ``batch`` (many
requests), ``concurrency`` (AIMD limiter), ``retry``, ``structured``, ``replies``, ``cache`` (SQLite),
``accounting`` (+ ``prices.json``), ``tokens`` (offline counts, dry-run), ``prompts`` (template files),
``settings``, ``options`` (click options), ``embedded`` (SmolLM2 server).
"""

from wildlong.llm.accounting import Accounting, PriceTable
from wildlong.llm.batch import run_batch
from wildlong.llm.calls import FAILURE_REASONS, LLMRequest, LLMResult
from wildlong.llm.client import LLMClient
from wildlong.llm.interface import LLM
from wildlong.llm.prompts import PromptTemplate, load_template
from wildlong.llm.settings import LLMSettings, resolve_settings
from wildlong.llm.tokens import Estimate, count_messages

__all__ = [
    "FAILURE_REASONS",
    "LLM",
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
