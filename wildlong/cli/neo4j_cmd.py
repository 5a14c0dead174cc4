"""`wildlong neo4j …`: install and run the managed Neo4j Community server (no Docker needed)."""

from __future__ import annotations

import sys
import time

import click

from wildlong.cli.options import HELP, server_options
from wildlong.neo4j_server.settings import ServerSettings


@click.group(context_settings=HELP)
def neo4j() -> None:
    """Install and run a real Neo4j 5.26 on 127.0.0.1, assembled from Maven Central.

    \b
    Needs Java 17 (or 21) and Maven; no Docker. Data, logs and the generated password
    live under <WILDLONG_HOME>/neo4j (WILDLONG_HOME defaults to the per-user data folder).
    Example:
      wildlong neo4j start && wildlong neo4j status
    """


@neo4j.command(context_settings=HELP)
@click.option("--force", is_flag=True, help="Fetch the jars again even if they are cached.")
@server_options
def install(server: ServerSettings, force: bool) -> None:
    """Fetch the Neo4j server, APOC and Browser jars from Maven Central (cached).

    Example: wildlong neo4j install
    """
    from wildlong.neo4j_server.install import install as do_install

    dist = server.dist_dir()
    click.echo(
        f"Neo4j Community {server.version} (APOC {server.apoc_version}, Browser {server.browser_version})"
    )
    t0 = time.monotonic()
    if do_install(server, force=force):
        click.echo(f"installed in {dist} ({time.monotonic() - t0:.0f} s)")
    else:
        click.echo(f"already installed in {dist}: nothing downloaded")


@neo4j.command(context_settings=HELP)
@server_options
def start(server: ServerSettings) -> None:
    """Start the server (installing it first if needed) and wait until Bolt answers.

    Idempotent: a running server is left alone. Example: wildlong neo4j start --heap 4g
    """
    from wildlong.neo4j_server.server import ManagedNeo4j

    managed = ManagedNeo4j(server)
    if managed.pid() is not None:
        click.echo(f"already running (pid {managed.pid()}) on {managed.running_settings().bolt_uri}")
        return
    t0 = time.monotonic()
    click.echo(f"starting Neo4j {server.version} in {server.home} ...")
    managed.start()
    _print_status(managed)
    click.echo(f"started in {time.monotonic() - t0:.0f} s")


@neo4j.command(context_settings=HELP)
@server_options
def status(server: ServerSettings) -> None:
    """Say whether the server runs, where it listens and where Neo4j Browser is.

    Exit status 0 when running, 3 when stopped. Example: wildlong neo4j status
    """
    from wildlong.neo4j_server.server import ManagedNeo4j

    if not _print_status(ManagedNeo4j(server)):
        sys.exit(3)


@neo4j.command(context_settings=HELP)
@server_options
def stop(server: ServerSettings) -> None:
    """Stop the server (SIGTERM, then wait); the data stays for the next start.

    Example: wildlong neo4j stop
    """
    from wildlong.neo4j_server.server import ManagedNeo4j

    if ManagedNeo4j(server).stop():
        click.echo("stopped")
    else:
        click.echo("not running")


@neo4j.command(context_settings=HELP)
@click.option("-n", "--lines", default=40, show_default=True, help="How many lines from the end.")
@click.option("--file", "name", type=click.Choice(["neo4j", "debug", "console", "query", "http"]),
              default="neo4j", show_default=True, help="Which log.")  # fmt: skip
@server_options
def logs(server: ServerSettings, lines: int, name: str) -> None:
    """Print the end of a server log.

    Example: wildlong neo4j logs --file debug -n 100
    """
    from wildlong.neo4j_server.server import ManagedNeo4j

    click.echo(ManagedNeo4j(server).log_tail(lines, f"{name}.log"))


def _print_status(managed: object) -> bool:
    from wildlong.neo4j_server.server import ManagedNeo4j

    assert isinstance(managed, ManagedNeo4j)
    st = managed.status()
    state = f"running (pid {st.pid})" if st.running else "stopped"
    click.echo(f"Neo4j {st.version}: {state}")
    click.echo(f"  home:     {st.home}")
    click.echo(f"  bolt:     {st.bolt_uri}   user: neo4j   password file: {st.password_file}")
    click.echo(f"  browser:  {st.browser_url}")
    if not st.installed:
        click.echo("  not installed yet: `wildlong neo4j install` (or `start`) fetches it")
    return st.running
