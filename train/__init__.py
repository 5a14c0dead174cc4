"""Fine-tuning on WildLong's dataset files, and RULER-style long-context evaluation.

Fine-tuning (``wildlong train sft CONFIG``): ``config`` (the one pydantic model), ``sft_data`` (records ->
token ids with labels on assistant tokens only), ``packing`` (packs without cross-sample attention),
``attention`` (flash-attn / PyTorch varlen / block-diagonal SDPA), ``rope`` (RoPE base and scaling),
``model`` (tokenizer, model, LoRA), ``loss`` (chunked loss over target tokens), ``metrics``, ``sft`` (the
recipe: setup / train / cleanup, exact resume), ``tiny`` (a random tiny Llama for tests).

Evaluation (``wildlong eval ruler``): ``ruler_tasks.yaml`` (RULER's 13 tasks), ``ruler_haystack``,
``ruler_tasks`` (seeded samples at token-counted lengths), ``ruler_score`` (string match, tables),
``ruler_backends`` (endpoint through the LLM client, or local transformers), ``ruler_run`` (resumable run).

Nothing here imports neo4j; openai is reached only through ``wildlong.llm`` by the endpoint backend.
"""
