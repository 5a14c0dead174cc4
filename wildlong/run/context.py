"""What the stages of a run share: the config, the run folder and connections opened on first use.

Only this module builds the driver, the LLM client and the embedder of a run; stage functions receive
them through the context (``ctx.graph.driver``, ``ctx.client``), never from a global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wildlong.run.config import RunConfig
from wildlong.run.manifest import Manifest

if TYPE_CHECKING:
    from wildlong.graph import Graph
    from wildlong.llm import LLM
    from wildlong.loader.doctypes import DocTypeModel
    from wildlong.loader.embed import Embedder


@dataclass
class Context:
    cfg: RunConfig
    run_dir: Path
    manifest: Manifest
    progress: bool | None = None
    dry: bool = False  # a dry-run: the LLM client only counts (the embedded server is not started)
    echo: Callable[[str], None] = print
    _graph: Graph | None = None
    _client: LLM | None = None
    _embedder: Embedder | None = None
    notes: list[str] = field(default_factory=list)

    def path(self, name: str) -> Path:
        """A file of the run folder (``queries.jsonl``, ``dataset/train.jsonl``...)."""
        return self.run_dir / name

    def section(self, name: str) -> Any:
        return getattr(self.cfg, name)

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            from wildlong.graph import connect

            self._graph = connect(self.cfg.graph)
        return self._graph

    @property
    def client(self) -> LLM:
        if self._client is None:
            from wildlong.executor import make_client
            from wildlong.executor_config import ExecutorConfig
            from wildlong.llm import resolve_settings

            # The reply cache is shared by runs (default <WILDLONG_HOME>/llm/cache.sqlite): an ablation
            # that changes only the walks pays nothing again for the extraction.
            settings = resolve_settings(self.cfg.llm, start_embedded=not self.dry)
            executor = ExecutorConfig() if self.dry else self.cfg.executor
            self._client = make_client(settings, executor, self.run_dir / "shards")
        return self._client

    @property
    def model_name(self) -> str:
        """The generator's name, without starting a server to learn it."""
        if self._client is not None:
            return self._client.model
        from wildlong.llm import resolve_settings

        return resolve_settings(self.cfg.llm, start_embedded=False).model or ""

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from wildlong.loader.embed import Embedder

            self._embedder = Embedder(batch_size=self.cfg.doctypes.embed_batch_size)
        return self._embedder

    def doctype_model(self) -> DocTypeModel:
        from wildlong.loader.doctypes import DocTypeModel

        return DocTypeModel.load(self.path("doctypes.json"))

    def llm_requests(self) -> dict[str, int]:
        """Requests sent so far, per LLM call kind (``extract``, ``rewrite``...)."""
        if self._client is None:
            return {}
        stats = self._client.accounting.to_dict().get("stages", [])
        out: dict[str, int] = {}
        for row in stats:
            out[row["stage"]] = out.get(row["stage"], 0) + int(row.get("requests", 0))
        return out

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None
        if self._client is not None:
            self._client.close()
            self._client = None
