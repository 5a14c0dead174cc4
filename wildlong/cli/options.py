"""Click options shared by several commands: the graph connection and the managed server."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# Every command takes -h as well as --help (set on each command: click caches its help option).
HELP: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def graph_options(func: F) -> F:
    """--uri/--user/--password/--database with the standard NEO4J_* environment variables."""
    opts = [
        click.option("--uri", envvar="NEO4J_URI", default=None, metavar="URI",
                     help="Neo4j to use (bolt://, neo4j://, neo4j+s://). Unset: the managed server, "
                          "started when needed.  [env: NEO4J_URI]"),
        click.option("--user", envvar="NEO4J_USER", default="neo4j", show_default=True,
                     help="User name.  [env: NEO4J_USER]"),
        click.option("--password", envvar="NEO4J_PASSWORD", default=None,
                     help="Password (for NEO4J_URI; the managed server's is read from its file).  "
                          "[env: NEO4J_PASSWORD]"),
        click.option("--database", envvar="NEO4J_DATABASE", default="neo4j", show_default=True,
                     help="Database name.  [env: NEO4J_DATABASE]"),
    ]  # fmt: skip
    for opt in reversed(opts):
        func = opt(func)
    return func


def server_options(func: F) -> F:
    """Options of the managed server, gathered into a ``server`` keyword (a ServerSettings)."""
    opts = [
        click.option("--home", "server_home", type=click.Path(path_type=Path), default=None,
                     envvar="WILDLONG_NEO4J_HOME",
                     help="Server home (conf, data, logs). Default: <WILDLONG_HOME>/neo4j."),
        click.option("--bolt-port", type=int, default=7687, show_default=True,
                     envvar="WILDLONG_NEO4J_BOLT_PORT",
                     help="Bolt port on 127.0.0.1."),
        click.option("--http-port", type=int, default=7474, show_default=True,
                     envvar="WILDLONG_NEO4J_HTTP_PORT",
                     help="HTTP port on 127.0.0.1 (Neo4j Browser)."),
        click.option("--heap", default="2g", show_default=True, envvar="WILDLONG_NEO4J_HEAP",
                     help="JVM heap, e.g. 1g, 4g."),
        click.option("--pagecache", default="2g", show_default=True, envvar="WILDLONG_NEO4J_PAGECACHE",
                     help="Page cache, e.g. 512m, 8g."),
    ]  # fmt: skip

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from wildlong.neo4j_server.settings import ServerSettings

        values = {k: kwargs.pop(k) for k in ("server_home", "bolt_port", "http_port", "heap", "pagecache")}
        home = values.pop("server_home")
        try:
            settings = ServerSettings(**values, **({"home": home.resolve()} if home else {}))
        except ValueError as exc:
            raise click.BadParameter(str(exc).splitlines()[-1]) from None
        return func(*args, server=settings, **kwargs)

    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper  # type: ignore[return-value]
