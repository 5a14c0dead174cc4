"""Every knob of the LLM client in one model, and how an unset endpoint becomes the embedded server.

Endpoint rules (``resolve_settings``):
  - ``base_url`` set (any OpenAI-compatible server: vLLM, llama.cpp, Ollama, Together...): used as is;
    ``model`` is required, the key may be empty for self-hosted servers.
  - no ``base_url`` but a ``model``: OpenAI itself (``https://api.openai.com/v1``); a key is required.
  - neither, or ``base_url="embedded"``: the embedded SmolLM2-135M-Instruct server on 127.0.0.1,
    started when needed (``wildlong llm start`` starts it explicitly).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from wildlong.errors import ConfigError
from wildlong.paths import llm_home

OPENAI_BASE_URL = "https://api.openai.com/v1"
EMBEDDED = "embedded"


class LLMSettings(BaseModel):
    """The LLM endpoint and the client's behaviour. Unset values take the defaults documented here."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL; None or 'embedded' = SmolLM2"
    )
    model: str | None = Field(default=None, description="model name as the server knows it")
    replicas: list[str] = Field(
        default_factory=list,
        description="more base URLs serving the same model (vLLM replicas); requests go to the least busy",
    )
    api_key: SecretStr | None = Field(
        default=None, description="API key (never written to the resolved config)"
    )
    max_concurrency: int = Field(default=16, ge=1, le=1000, description="requests in flight at most")
    adaptive: bool = Field(default=True, description="adapt concurrency (AIMD) below max_concurrency")
    request_timeout_s: float = Field(default=300.0, gt=0, description="per request, not counting slot waits")
    max_retries: int = Field(default=5, ge=0, description="retries per request after the first attempt")
    backoff_base_s: float = Field(default=1.0, gt=0, description="first backoff step; doubles per retry")
    backoff_cap_s: float = Field(default=60.0, gt=0, description="longest backoff between retries")
    temperature: float | None = Field(default=None, ge=0, description="None = the server's default")
    max_tokens: int | None = Field(default=1024, ge=1, description="output tokens at most per call")
    expected_output_tokens: int | None = Field(
        default=None, ge=0, description="dry-run guess; None = max_tokens"
    )
    cache: bool = Field(default=True, description="reuse replies already paid for")
    cache_path: Path | None = Field(
        default=None, description="SQLite file; None = <WILDLONG_HOME>/llm/cache.sqlite"
    )
    prices_path: Path | None = Field(default=None, description="price table overriding the shipped one")
    max_cost: float | None = Field(default=None, ge=0, description="USD; stop sending before exceeding it")
    max_unanswered_share: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="share of a stage's requests that may go unanswered (outage, rate limit, timeout) with "
        "the stage still complete; 0 = none: any request without an answer leaves the stage incomplete",
    )
    requests_per_s: float | None = Field(
        default=None,
        gt=0,
        description="the endpoint's throughput, for the dry-run's wall time; null = measured by the stages "
        "already run in the run folder (or the embedded model's known speed)",
    )

    @property
    def is_embedded(self) -> bool:
        return self.base_url is None or self.base_url == EMBEDDED

    def endpoints(self) -> list[str]:
        """Every base URL requests may go to: ``base_url`` first, then the replicas."""
        first = [self.base_url] if self.base_url else []
        return first + [url for url in self.replicas if url not in first]

    def resolved_cache_path(self) -> Path | None:
        if not self.cache:
            return None
        return self.cache_path if self.cache_path is not None else llm_home() / "cache.sqlite"

    def key(self) -> str:
        return self.api_key.get_secret_value() if self.api_key is not None else ""

    def public_dict(self) -> dict[str, object]:
        """The settings to write next to a run's outputs (no key)."""
        data = self.model_dump(mode="json", exclude={"api_key"})
        data["api_key_set"] = bool(self.key())
        return data


def resolve_settings(settings: LLMSettings, *, start_embedded: bool = True) -> LLMSettings:
    """A copy with a concrete ``base_url`` and ``model``.

    With no endpoint configured this uses the embedded server, starting it when ``start_embedded`` (a
    dry-run passes False: it needs the model's name, not a running server).
    """
    if settings.base_url is None and settings.model is not None:
        if not settings.key():
            raise ConfigError(
                f"model {settings.model!r} without --base-url means OpenAI, which needs a key",
                hint="set OPENAI_API_KEY, or --base-url for another OpenAI-compatible server",
            )
        return settings.model_copy(update={"base_url": OPENAI_BASE_URL})
    if not settings.is_embedded:
        if not settings.model:
            raise ConfigError(f"--base-url {settings.base_url} needs --model", hint="or WILDLONG_LLM_MODEL")
        return settings
    return _embedded_settings(settings, start=start_embedded)


def _embedded_settings(settings: LLMSettings, *, start: bool) -> LLMSettings:
    from wildlong.llm import embedded

    update: dict[str, object] = {"model": embedded.MODEL_ALIAS}
    info = embedded.start() if start else embedded.status()
    if info is not None:
        update["base_url"] = info.base_url
        update["api_key"] = SecretStr(info.api_key)
        if "max_concurrency" not in settings.model_fields_set:
            update["max_concurrency"] = info.parallel
    elif start:  # pragma: no cover - start() raises instead
        raise ConfigError("the embedded LLM server did not start")
    return settings.model_copy(update=update)
