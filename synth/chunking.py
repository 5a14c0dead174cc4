"""Split material that exceeds the generator's context window into chunks that fit (for map-reduce)."""

from __future__ import annotations

from wildlong.llm.tokens import count_text, encoding_for


def chunk_budget(
    context_window: int, prompt_overhead: int, max_output_tokens: int, safety: float = 0.9
) -> int:
    """Tokens of material one call may carry: the window less the prompt around it and the reply."""
    budget = int((context_window - prompt_overhead - max_output_tokens) * safety)
    if budget < 256:
        raise ValueError(
            f"a context window of {context_window} tokens leaves {budget} for material "
            f"(prompt {prompt_overhead}, reply {max_output_tokens}): too small to chunk"
        )
    return budget


def split(text: str, max_tokens: int, model: str) -> list[str]:
    """Chunks of at most ``max_tokens`` tokens each, cut at paragraph, then line, then token boundaries."""
    if count_text(text, model) <= max_tokens:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for piece in _pieces(text, max_tokens, model):
        n = count_text(piece, model)
        if current and current_tokens + n + 1 > max_tokens:
            chunks.append("\n\n".join(current))
            current, current_tokens = [], 0
        current.append(piece)
        current_tokens += n + 1
    if current:
        chunks.append("\n\n".join(current))
    # Joining can merge tokens across a boundary: re-split any chunk that came out too long.
    fixed: list[str] = []
    for chunk in chunks:
        fixed.extend(
            _hard_split(chunk, max_tokens, model) if count_text(chunk, model) > max_tokens else [chunk]
        )
    return fixed


def _pieces(text: str, max_tokens: int, model: str) -> list[str]:
    pieces: list[str] = []
    for para in (p for p in text.split("\n\n") if p.strip()):
        if count_text(para, model) <= max_tokens:
            pieces.append(para)
            continue
        for line in (x for x in para.split("\n") if x.strip()):
            pieces.extend(
                [line] if count_text(line, model) <= max_tokens else _hard_split(line, max_tokens, model)
            )
    return pieces


def _hard_split(text: str, max_tokens: int, model: str) -> list[str]:
    enc = encoding_for(model)
    ids = enc.encode(text)
    step = max(1, max_tokens - 2)
    parts = [enc.decode(ids[i : i + step]) for i in range(0, len(ids), step)]
    return [p for p in parts if p.strip()]
