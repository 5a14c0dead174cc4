"""WildLong: realistic long-context instruction data from real user needs.

One import namespace. The design card's stage folders are subpackages:
``wildlong.loader``, ``wildlong.cypher``, ``wildlong.synth`` and ``wildlong.train``;
this folder holds the shared core (CLI, config, graph connection, LLM client, records, errors).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wildlong")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
