"""``wildlong llm``: the embedded SmolLM2 server (start, status, stop) and a one-call endpoint check."""

from __future__ import annotations

import time
from typing import Any

import click

from wildlong.cli.options import HELP
from wildlong.errors import WildLongError
from wildlong.llm import embedded
from wildlong.llm.calls import LLMRequest
from wildlong.llm.client import LLMClient
from wildlong.llm.options import llm_options
from wildlong.llm.settings import LLMSettings, resolve_settings


class _Group(click.Group):
    """A ``WildLongError`` becomes one line, also when this group runs on its own."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WildLongError as exc:
            raise click.ClickException(exc.one_line()) from None


@click.group(cls=_Group, context_settings=HELP)
def llm() -> None:
    """The LLM endpoint: the embedded SmolLM2 server, and a one-call check of any endpoint.

    \b
    Every command that needs an LLM takes --base-url, --model and --api-key (or
    WILDLONG_LLM_BASE_URL / OPENAI_BASE_URL, WILDLONG_LLM_MODEL, OPENAI_API_KEY).
    With none of them it uses the embedded SmolLM2-135M-Instruct server on 127.0.0.1,
    starting it when needed: no key, no network, ~110 tokens/s on 2 cores. That model is
    for trying the whole pipeline on any machine; real runs point at OpenAI or vLLM.

    \b
    Example:
      wildlong llm start && wildlong llm chat "Name three uses of a long context."
    """


@llm.command(context_settings=HELP)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 = a free port.")
@click.option(
    "--parallel", type=click.IntRange(1, 64), default=2, show_default=True, help="Requests decoded together."
)
@click.option(
    "--ctx-per-slot",
    type=click.IntRange(512, 8192),
    default=8192,
    show_default=True,
    help="Context window per request.",
)
def start(port: int, parallel: int, ctx_per_slot: int) -> None:
    """Start the embedded SmolLM2-135M-Instruct server on 127.0.0.1 (does nothing if it runs).

    This server outlives the command, until `wildlong llm stop`; one that a run starts dies with it.

    \b
    Example:
      wildlong llm start --parallel 2
    """
    before = embedded.running()
    info = embedded.start(port=port, parallel=parallel, ctx_per_slot=ctx_per_slot, detached=True)
    verb = "already running" if before is not None else "started"
    click.echo(f"embedded LLM {verb}: {info.model} at {info.base_url} (pid {info.pid}, log {info.log})")
    if info.owner is not None:
        click.echo(
            f"  it stops when its owner, pid {info.owner}, exits: "
            "`wildlong llm stop` then `wildlong llm start` for a lasting one"
        )


@llm.command(context_settings=HELP)
def status() -> None:
    """Say whether the embedded server runs, where, and with which model.

    \b
    Example:
      wildlong llm status
    """
    info = embedded.status()
    if info is None:
        alive = embedded.running()
        if alive is not None:
            click.echo(f"embedded LLM: pid {alive.pid} runs but does not answer (see {alive.log})")
        else:
            click.echo("embedded LLM: not running (`wildlong llm start` starts it)")
        return
    click.echo(
        f"embedded LLM: running, {info.model} at {info.base_url}\n"
        f"  pid {info.pid}, {info.parallel} slots x {info.ctx_per_slot} tokens, log {info.log}"
    )
    if info.owner is not None:
        click.echo(f"  started by pid {info.owner}: it stops when that process exits")


@llm.command(context_settings=HELP)
def stop() -> None:
    """Stop the embedded server (SIGTERM, then wait).

    \b
    Example:
      wildlong llm stop
    """
    click.echo("embedded LLM stopped" if embedded.stop() else "embedded LLM was not running")


@llm.command(context_settings=HELP)
@click.argument("prompt")
@click.option("-s", "--system", help="A system message before the prompt.")
@click.option(
    "--max-tokens", type=click.IntRange(1), default=256, show_default=True, help="Reply length at most."
)
@click.option(
    "-t", "--temperature", type=click.FloatRange(0), default=0.0, show_default=True, help="0 = greedy."
)
@llm_options
def chat(
    prompt: str, system: str | None, max_tokens: int, temperature: float, llm_settings: LLMSettings
) -> None:
    """Send one chat completion to the configured endpoint and print the reply (never cached).

    \b
    Examples:
      wildlong llm chat "Say hello."                       # the embedded model
      wildlong llm chat -m gpt-4o-mini "Say hello."        # OpenAI, with OPENAI_API_KEY
      wildlong llm chat --base-url http://localhost:8000/v1 -m Qwen/Qwen2.5-7B-Instruct "Hi"
    """
    settings = resolve_settings(llm_settings.model_copy(update={"cache": False, "max_retries": 1}))
    client = LLMClient(settings)
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": prompt}
    ]
    started = time.monotonic()
    request = LLMRequest(
        messages, stage="chat", params={"max_tokens": max_tokens, "temperature": temperature}
    )
    [result] = client.run([request], progress=False, desc="chat")
    seconds = time.monotonic() - started
    cut = result.reason == "truncated"  # a real reply, cut off: show it, and say so
    if not result.ok and not cut:
        raise click.ClickException(
            f"{settings.model} at {settings.base_url}: {result.reason}: {result.detail}"
        )
    click.echo(result.text)
    click.echo(
        f"[{settings.model} at {settings.base_url}: {result.input_tokens} tokens in, "
        f"{result.output_tokens} out, {seconds:.2f} s" + ("; cut off at --max-tokens" if cut else "") + "]",
        err=True,
    )
