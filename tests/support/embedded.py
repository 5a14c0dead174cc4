"""The embedded SmolLM2 server for a test module: a private WILDLONG_HOME, 2 slots, stopped afterwards.

from tests.support.embedded import server   # then take `server` as a fixture
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wildlong.llm import embedded
from wildlong.llm.embedded import EmbeddedInfo


@pytest.fixture(scope="module", name="server")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedInfo]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WILDLONG_HOME", str(tmp_path_factory.mktemp("wildlong-home")))
        for name in ("WILDLONG_LLM_BASE_URL", "OPENAI_BASE_URL", "WILDLONG_LLM_MODEL"):
            patch.delenv(name, raising=False)
        info = embedded.start(port=0, parallel=2, ctx_per_slot=4096)
        try:
            yield info
        finally:
            embedded.stop()
