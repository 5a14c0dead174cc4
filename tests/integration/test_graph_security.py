"""Read-only means read-only, on our server and on a user's; secrets stay off command lines.

`permissive` is a managed server configured the way a user's own often is (every APOC procedure loaded
and unrestricted, file URLs to the whole file system allowed in LOAD CSV and APOC). There each bypass
below really prints /etc/passwd (the first test shows it): only `wildlong graph query`'s checker stands
in the way. The managed server, as the project configures it, refuses them by itself as well.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import neo4j
import pytest
from click.testing import CliRunner
from neo4j.exceptions import ClientError

from tests.conftest import SESSION_SERVER
from tests.support.neo4j_helpers import small_server_settings
from wildlong.analytics import adhoc
from wildlong.cli import main
from wildlong.graph import Graph
from wildlong.neo4j_server.server import ManagedNeo4j, render_apoc_conf, render_conf
from wildlong.neo4j_server.tools import find_java

PASSWD = [line for line in Path("/etc/passwd").read_text().splitlines() if line.strip()]
# A password neo4j-admin must take verbatim: a leading '-', a space, a quote and a backslash.
AWKWARD_PASSWORD = '-wl awkward "pass\\word'
USERS_OWN_CONF = {
    "dbms.security.procedures.unrestricted": "apoc.*",
    "dbms.security.procedures.allowlist": "apoc.*",
    "dbms.security.allow_csv_import_from_file_urls": "true",
    "server.directories.import": "/",  # as if unset: file URLs reach the whole file system
    "apoc.import.file.enabled": "true",
    "apoc.import.file.use_neo4j_config": "false",
}
CSV_PASSWD = 'LOAD CSV FROM "file:///etc/passwd" AS r RETURN r'


@dataclass(frozen=True)
class Permissive:
    managed: ManagedNeo4j
    java_log: Path

    @property
    def env(self) -> dict[str, str]:
        return {"NEO4J_URI": self.managed.settings.bolt_uri, "NEO4J_PASSWORD": self.managed.password()}

    def driver(self) -> neo4j.Driver:
        return neo4j.GraphDatabase.driver(self.managed.settings.bolt_uri, auth=("neo4j", AWKWARD_PASSWORD))


@pytest.fixture(scope="module")
def permissive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Permissive]:
    """A user-like server, started through a `java` that logs every command line it is given."""
    root = tmp_path_factory.mktemp("permissive")
    java_log = root / "java-argv.log"
    shim = root / "jdk" / "bin" / "java"
    shim.parent.mkdir(parents=True)
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{java_log}"\nexec "{find_java()}" "$@"\n')
    shim.chmod(0o755)
    settings = small_server_settings(root / "neo4j").model_copy(update={"conf_overrides": USERS_OWN_CONF})
    managed = ManagedNeo4j(settings)
    managed.home.mkdir(parents=True)
    managed.password_file.write_text(AWKWARD_PASSWORD + "\n")  # umask's mode, on purpose
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAVA_HOME", str(root / "jdk"))
        managed.start()
    try:
        yield Permissive(managed, java_log)
    finally:
        managed.stop()


def _query(permissive: Permissive, text: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["graph", "query", "--cypher", text], env=permissive.env)
    return result.exit_code, result.output


def _leaks(text: str) -> list[str]:
    return [line for line in PASSWD if line in text] + (["root:x:0:0"] if "root:x:0:0" in text else [])


def test_the_bypass_is_real_on_a_users_server(permissive: Permissive) -> None:
    """Without the checker, the user-like server prints /etc/passwd: the refusals below mean something."""
    with permissive.driver() as driver:
        records, _, _ = driver.execute_query(
            "RETURN apoc.cypher.runFirstColumnMany($q, {}) AS rows", q=CSV_PASSWD, database_="neo4j"
        )
    assert _leaks(str(records[0]["rows"]))
    assert "root:x:0:0" in Path("/etc/passwd").read_text()


BYPASSES = {
    "apoc.cypher function": f"RETURN apoc.cypher.runFirstColumnMany('{CSV_PASSWD}', {{}}) AS x",
    "backticks": f"RETURN `apoc`.`cypher`.runFirstColumnMany('{CSV_PASSWD}', {{}}) AS x",
    "one backtick name": f"RETURN `apoc.cypher`.`runFirstColumnSingle`('{CSV_PASSWD}', {{}}) AS x",
    "mixed case": f"ReTuRn APOC.Cypher.runFirstColumnMany('{CSV_PASSWD}', {{}}) AS x",
    "comment in the name": f"RETURN apoc /* hi */ . cypher.runFirstColumnMany('{CSV_PASSWD}', {{}}) AS x",
    "comment before the call": f"// harmless\nRETURN apoc.cypher.runFirstColumnSingle('{CSV_PASSWD}', {{}})",
    "apoc.cypher.run": f"CALL apoc.cypher.run('{CSV_PASSWD}', {{}}) YIELD value RETURN value",
    "apoc.periodic.iterate": f"CALL apoc.periodic.iterate('{CSV_PASSWD}', 'RETURN r', {{}})",
    "apoc.load.json": "CALL apoc.load.json('file:///etc/passwd') YIELD value RETURN value",
    "apoc.load.csv": "CALL apoc.load.csv('file:///etc/passwd') YIELD list RETURN list",
    "apoc.load.csv backticks": "CALL `apoc`.`load`.`csv`('file:///etc/passwd') YIELD list RETURN list",
    "apoc.export": "CALL apoc.export.csv.all('/tmp/wildlong-export.csv', {})",
    "dbms.listConfig": "CALL dbms.listConfig() YIELD name, value RETURN name, value",
    "dbms.listConfig bare": "CALL dbms.listConfig",
    "dbms.listConfig as a function": "RETURN dbms.listConfig() AS x",
    "dbms.showCurrentUser": "CALL dbms.showCurrentUser()",
    "LOAD CSV": "LOAD CSV FROM 'file:///etc/passwd' AS r RETURN r",
    "load csv lower case": "load   csv from 'file:///etc/passwd' as r return r",
    "IN TRANSACTIONS, reading": "CALL () { MATCH (n) RETURN count(n) AS c } IN TRANSACTIONS RETURN c",
    "IN TRANSACTIONS, writing": "MATCH (n) CALL (n) { SET n.x = 1 } IN 2 CONCURRENT TRANSACTIONS",
    "USE": "USE system CALL dbms.listConfig() YIELD name RETURN name",
    "SHOW USERS": "SHOW USERS",
    "SHOW SETTINGS": "SHOW SETTINGS YIELD name, value RETURN name, value",
    "write in apoc.cypher.doIt": "CALL apoc.cypher.doIt('CREATE (:Evil)', {}) YIELD value RETURN value",
    "write in apoc.do.when": "CALL apoc.do.when(true, 'CREATE (:Evil)', '', {}) YIELD value RETURN value",
}  # fmt: skip


@pytest.mark.parametrize("text", list(BYPASSES.values()), ids=list(BYPASSES))
def test_each_bypass_is_refused_in_one_line_without_leaking(permissive: Permissive, text: str) -> None:
    code, out = _query(permissive, text)
    assert code == 1, out
    assert out.count("\n") == 1 and out.startswith("Error: refused: "), out
    assert not _leaks(out)
    with permissive.driver() as driver:
        records, _, _ = driver.execute_query("MATCH (n:Evil) RETURN count(n) AS n", database_="neo4j")
    assert records[0]["n"] == 0


ALLOWED = {
    "pure APOC": ("RETURN apoc.coll.sum([1, 2]) AS s", "3"),
    "APOC text, backticks": ("RETURN `apoc`.`text`.join(['a', 'b'], '-') AS s", "a-b"),
    "built-in namespaced": ("RETURN toString(date.truncate('month', date('2024-05-17'))) AS d", "2024-05-01"),
    "schema procedure": ("CALL apoc.meta.stats() YIELD labelCount RETURN labelCount", "labelCount"),
    "look-alikes in strings and comments": (
        "RETURN 'LOAD CSV apoc.cypher.run( SHOW USERS' AS s // apoc.load.json(\n", "LOAD CSV"),
    "keywords as names": ("WITH {start: 1, show: 2} AS use WITH use AS call RETURN call.show AS n", "2"),
}  # fmt: skip


@pytest.mark.parametrize("text,expected", list(ALLOWED.values()), ids=list(ALLOWED))
def test_read_only_look_alikes_still_run(permissive: Permissive, text: str, expected: str) -> None:
    code, out = _query(permissive, text)
    assert code == 0 and expected in out, out


def test_the_checker_refuses_before_anything_runs(permissive: Permissive) -> None:
    """Refused by the text check: the server never sees the query, not even as EXPLAIN."""
    from wildlong.errors import QueryRefused

    class NoDriver:
        def session(self, **_: object) -> None:
            raise AssertionError("the query reached the server")

    for text in BYPASSES.values():
        with pytest.raises(QueryRefused):
            adhoc(NoDriver(), text)  # type: ignore[arg-type]


def test_managed_conf_loads_no_dangerous_apoc_and_no_file_csv(tmp_path: Path) -> None:
    settings = small_server_settings(tmp_path / "neo4j")
    conf = render_conf(settings)
    assert "unrestricted=apoc.*" not in conf and "apoc.*" not in conf
    assert "dbms.security.procedures.allowlist=apoc.meta.stats,apoc.meta.data,apoc.meta.schema," in conf
    assert "dbms.security.allow_csv_import_from_file_urls=false\n" in conf
    assert f"server.directories.import={settings.home / 'import'}\n" in conf
    apoc = render_apoc_conf(settings)
    assert "apoc.import.file.enabled=false\n" in apoc and "apoc.export.file.enabled=false\n" in apoc


def test_managed_server_refuses_the_bypasses_itself(graph: Graph) -> None:
    """The session's managed server, without the checker: nothing there runs Cypher text or reads files."""
    if not SESSION_SERVER:  # NEO4J_URI: a server this project does not configure
        return
    managed = SESSION_SERVER[0]
    assert "unrestricted=apoc.*" not in (managed.conf_dir / "neo4j.conf").read_text()
    assert "apoc.import.file.enabled=false" in (managed.conf_dir / "apoc.conf").read_text()
    with graph.driver.session(database=graph.database) as session:
        for text in (BYPASSES["apoc.cypher function"], BYPASSES["LOAD CSV"], BYPASSES["apoc.load.csv"]):
            with pytest.raises(ClientError) as caught:
                session.run(text).consume()
            assert not _leaks(str(caught.value))
        live = {r["name"]: r["value"] for r in session.run("SHOW SETTINGS YIELD name, value RETURN *")}
        procedures = [r["name"] for r in session.run("SHOW PROCEDURES YIELD name RETURN name")]
        assert session.run("CALL apoc.meta.stats() YIELD labelCount RETURN labelCount").single() is not None
    assert live["dbms.security.allow_csv_import_from_file_urls"] == "false"
    assert live["dbms.security.procedures.unrestricted"] == "apoc.meta.stats,apoc.meta.data,apoc.meta.schema"
    assert live["server.directories.import"] == str(managed.home / "import")
    assert not [p for p in procedures if p.startswith(("apoc.cypher.", "apoc.load.", "apoc.periodic."))]
    assert "db.labels" in procedures and "dbms.components" in procedures  # built-ins are not allow-listed


def test_secrets_are_0600_and_the_password_is_on_no_command_line(permissive: Permissive) -> None:
    managed = permissive.managed
    auth_ini = managed.home / "data" / "dbms" / "auth.ini"
    assert stat.S_IMODE(auth_ini.stat().st_mode) == 0o600
    assert stat.S_IMODE(managed.password_file.stat().st_mode) == 0o600
    logged = permissive.java_log.read_text()
    assert "dbms set-initial-password" not in logged  # neo4j-admin's arguments came from a file
    argfiles = [word[1:] for line in logged.splitlines() for word in line.split() if word.startswith("@")]
    assert argfiles and not any(Path(f).exists() for f in argfiles), logged  # read, then removed
    assert "CommunityEntryPoint" in logged  # the server itself went through the logging java too
    assert AWKWARD_PASSWORD not in logged and "awkward" not in logged
    pid = managed.pid()
    assert pid is not None and "awkward" not in Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    # neo4j-admin stored exactly this password: the login the fixture made used it, and so does this.
    with permissive.driver() as driver:
        driver.verify_authentication()
    # Neo4j's format: neo4j:SHA-256,<hash>,<salt>,<iterations>: (salted, iterated SHA-256)
    _, credential, _ = auth_ini.read_text().strip().split(":")
    algorithm, digest, salt, iterations = credential.split(",")
    value = hashlib.sha256(bytes.fromhex(salt) + AWKWARD_PASSWORD.encode()).digest()
    for _ in range(int(iterations) - 1):
        value = hashlib.sha256(value).digest()
    assert (algorithm, value.hex()) == ("SHA-256", digest)


def test_an_existing_home_keeps_its_password_and_gets_0600(tmp_path: Path) -> None:
    managed = ManagedNeo4j(small_server_settings(tmp_path / "neo4j"))
    managed._prepare(find_java())
    auth_ini = managed.home / "data" / "dbms" / "auth.ini"
    before = auth_ini.read_text()
    for secret in (auth_ini, managed.password_file):
        secret.chmod(0o644)  # a home made before the files were tightened
    managed._prepare(find_java())
    assert auth_ini.read_text() == before
    for secret in (auth_ini, managed.password_file):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert not list(managed.run_dir.glob("*.args"))
    assert os.stat(managed.password_file).st_size > 0
