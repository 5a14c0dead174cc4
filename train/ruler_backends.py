"""Who answers RULER's prompts: an OpenAI-compatible endpoint, or a local transformers model.

Both use the model's chat template: one user turn holding the task prompt. RULER puts its answer prefix
("The special magic number for ... is") at the start of the model's reply; ``answer_prefix`` says how:

- ``prefill`` (default): the reply is pre-filled with it. Locally, it is appended after the chat template's
  generation prompt; on an endpoint, a trailing assistant message carries it, with vLLM's
  ``continue_final_message`` (llama.cpp's server pre-fills such a message by itself). A reply that echoes
  the prefix has it removed.
- ``user``: appended to the user's message instead (endpoints that cannot pre-fill, OpenAI's own).
- ``none``: left out.

Greedy decoding (temperature 0), the task's answer budget as ``max_tokens``, a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from wildlong.errors import ConfigError
from wildlong.train.ruler_tasks import Sample

PREFIX_MODES = ("prefill", "user", "none")


class Backend(Protocol):
    name: str

    def count(self, prompt: str, answer_prefix: str) -> int:
        """Tokens the model reads for this prompt (chat template included where known)."""
        ...

    def predict(self, samples: Sequence[Sample]) -> list[tuple[str, str | None]]:
        """(prediction, failure reason or None) per sample, in order."""
        ...


def user_text(sample_input: str, answer_prefix: str, mode: str) -> str:
    return sample_input + answer_prefix if mode == "user" else sample_input


def strip_echo(reply: str, answer_prefix: str) -> str:
    """Drop the answer prefix when the server returned it in front of the continuation."""
    head = answer_prefix.strip()
    text = reply.lstrip()
    return text[len(head) :] if head and text.startswith(head) else reply


def chat_counter(tokenizer: Any, mode: str) -> Callable[[str, str], int]:
    """Exact prompt tokens through a transformers tokenizer and its chat template."""

    def count(prompt: str, answer_prefix: str) -> int:
        return len(tokenizer(render_prompt(tokenizer, prompt, answer_prefix, mode), add_special_tokens=False)
                   ["input_ids"])  # fmt: skip

    return count


def render_prompt(tokenizer: Any, prompt: str, answer_prefix: str, mode: str) -> str:
    messages = [{"role": "user", "content": user_text(prompt, answer_prefix, mode)}]
    text = str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
    return text + answer_prefix if mode == "prefill" else text


class EndpointBackend:
    """Any OpenAI-compatible server through the project's one LLM client (cache, retries, concurrency)."""

    def __init__(self, client: Any, *, mode: str, seed: int, tokenizer: Any | None = None) -> None:
        self.client, self.mode, self.seed = client, mode, seed
        self.name = f"endpoint {client.settings.base_url} model {client.model}"
        self._count = chat_counter(tokenizer, mode) if tokenizer is not None else None

    def count(self, prompt: str, answer_prefix: str) -> int:
        if self._count is not None:
            return self._count(prompt, answer_prefix)
        from wildlong.llm.tokens import count_messages

        messages = [{"role": "user", "content": user_text(prompt, answer_prefix, self.mode)}]
        if self.mode == "prefill":
            messages.append({"role": "assistant", "content": answer_prefix})
        return count_messages(messages, self.client.model)

    def predict(self, samples: Sequence[Sample]) -> list[tuple[str, str | None]]:
        from wildlong.llm import LLMRequest

        requests = []
        for s in samples:
            messages = [{"role": "user", "content": user_text(s.input, s.answer_prefix, self.mode)}]
            params: dict[str, Any] = {"temperature": 0.0, "max_tokens": s.max_new_tokens, "seed": self.seed}
            if self.mode == "prefill":
                messages.append({"role": "assistant", "content": s.answer_prefix})
                params.update(continue_final_message=True, add_generation_prompt=False)
            requests.append(LLMRequest(messages, stage=f"ruler:{s.task}", params=params))
        results = self.client.run(requests, desc="RULER")
        out: list[tuple[str, str | None]] = []
        for s, r in zip(samples, results, strict=True):
            text = strip_echo(r.text or "", s.answer_prefix) if self.mode == "prefill" else r.text or ""
            usable = r.ok or r.reason == "truncated"  # RULER scores what came within max_new_tokens
            out.append((text, None if usable else r.reason or "failed"))
        return out


class LocalBackend:
    """A transformers causal LM on this machine (GPU when there is one), one prompt at a time."""

    def __init__(self, path: str, *, mode: str, model: Any = None, tokenizer: Any = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.mode, self.name = mode, f"local model {path}"
        try:
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(path)
            dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
            loaded: Any = model or AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load the local model {path}: {exc}".splitlines()[0]) from None
        self.model: Any = loaded.to("cuda") if torch.cuda.is_available() else loaded
        self.model.eval()
        self._count = chat_counter(self.tokenizer, mode)

    def count(self, prompt: str, answer_prefix: str) -> int:
        return self._count(prompt, answer_prefix)

    def predict(self, samples: Sequence[Sample]) -> list[tuple[str, str | None]]:
        import torch

        out: list[tuple[str, str | None]] = []
        for s in samples:
            text = render_prompt(self.tokenizer, s.input, s.answer_prefix, self.mode)
            ids = self.tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
            ids = ids.to(self.model.device)
            with torch.no_grad():
                generated = self.model.generate(
                    ids, attention_mask=torch.ones_like(ids), max_new_tokens=s.max_new_tokens,
                    do_sample=False, pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
                )  # fmt: skip
            reply = self.tokenizer.decode(generated[0, ids.shape[1] :], skip_special_tokens=True)
            out.append((str(reply), None))
        return out
