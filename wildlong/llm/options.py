"""The LLM endpoint's command-line options, one decorator for every command that calls an LLM.

    @click.command()
    @llm_options
    def extract(..., llm_settings: LLMSettings) -> None:
        client = LLMClient(resolve_settings(llm_settings))

Only the options given on the command line (or through their environment variables) are set, so the
settings' defaults, and a YAML config merged underneath with ``base.model_copy(update=...)``, stay visible.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import SecretStr, ValidationError

from wildlong.errors import ConfigError
from wildlong.llm.settings import LLMSettings

F = TypeVar("F", bound=Callable[..., Any])

# option name -> LLMSettings field
_FIELDS = {
    "base_url": "base_url",
    "model": "model",
    "api_key": "api_key",
    "max_concurrency": "max_concurrency",
    "request_timeout": "request_timeout_s",
    "max_retries": "max_retries",
    "max_cost": "max_cost",
    "cache_path": "cache_path",
    "prices": "prices_path",
}

_OPTIONS = [
    click.option(
        "--base-url",
        envvar=["WILDLONG_LLM_BASE_URL", "OPENAI_BASE_URL"],
        show_envvar=True,
        help="OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, Ollama...), e.g. "
        "http://localhost:8000/v1. Unset (and no --model): the embedded SmolLM2 server, started when "
        "needed; 'embedded' forces it.",
    ),
    click.option(
        "--replica",
        "replicas",
        multiple=True,
        metavar="URL",
        help="Another base URL serving the same model (a vLLM replica); repeat it. Each request goes to "
        "the endpoint with the fewest requests in flight.",
    ),
    click.option(
        "-m",
        "--model",
        envvar="WILDLONG_LLM_MODEL",
        show_envvar=True,
        help="Model name as the server knows it.",
    ),
    click.option(
        "--api-key",
        envvar=["WILDLONG_LLM_API_KEY", "OPENAI_API_KEY"],
        show_envvar=True,
        help="API key (self-hosted servers usually need none).",
    ),
    click.option("--max-concurrency", type=click.IntRange(1, 1000), help="Requests in flight at most [16]."),
    click.option(
        "--fixed-concurrency",
        is_flag=True,
        help="Keep --max-concurrency fixed instead of adapting below it (AIMD) to errors and latency.",
    ),
    click.option(
        "--request-timeout",
        type=click.FloatRange(min=0, min_open=True),
        help="Seconds per request, not counting the wait for a free slot [300].",
    ),
    click.option("--max-retries", type=click.IntRange(0), help="Retries per request [5]."),
    click.option(
        "--max-cost",
        type=click.FloatRange(min=0),
        help="USD: stop sending before the run would cost more (cached replies are kept).",
    ),
    click.option(
        "--cache-path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="WILDLONG_LLM_CACHE",
        show_envvar=True,
        help="SQLite cache of replies [<WILDLONG_HOME>/llm/cache.sqlite].",
    ),
    click.option("--no-cache", is_flag=True, help="Neither read nor write the reply cache."),
    click.option(
        "--prices",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help='Price table overriding the shipped one: {"model": {"input": USD/1M, "output": USD/1M}}.',
    ),
]


# option name -> the run config's dotted key (``wildlong run`` and the stage commands layer them).
OPTION_KEYS: dict[str, str] = {name: f"llm.{field}" for name, field in _FIELDS.items()} | {
    "replicas": "llm.replicas",
    "fixed_concurrency": "llm.adaptive",
    "no_cache": "llm.cache",
}
NEGATED = {"fixed_concurrency", "no_cache"}  # flags that turn a setting off
OPTIONS = _OPTIONS


def llm_options(func: F) -> F:
    """Add the endpoint options to a click command; it receives them as ``llm_settings: LLMSettings``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["llm_settings"] = settings_from_options(kwargs)
        return func(*args, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def settings_from_options(kwargs: dict[str, Any], base: LLMSettings | None = None) -> LLMSettings:
    """Pop the options from a command's kwargs and lay them over ``base`` (or the defaults)."""
    update: dict[str, Any] = {}
    for option, name in _FIELDS.items():
        value = kwargs.pop(option, None)
        if value is not None:
            update[name] = SecretStr(value) if name == "api_key" else value
    replicas = kwargs.pop("replicas", ())
    if replicas:
        update["replicas"] = list(replicas)
    if kwargs.pop("fixed_concurrency", False):
        update["adaptive"] = False
    if kwargs.pop("no_cache", False):
        update["cache"] = False
    base = base or LLMSettings()
    try:
        return LLMSettings.model_validate({**base.model_dump(exclude_unset=True), **update})
    except ValidationError as exc:
        raise ConfigError(f"invalid LLM settings: {exc.errors()[0]['msg']}") from None
