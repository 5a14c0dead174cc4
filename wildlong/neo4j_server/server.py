"""Run the managed Neo4j: configure, start (idempotent), wait for Bolt, report status, stop, show logs."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from wildlong.errors import GraphError
from wildlong.neo4j_server.bolt import bolt_reachable
from wildlong.neo4j_server.install import install
from wildlong.neo4j_server.settings import ServerSettings
from wildlong.neo4j_server.tools import find_java

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
USER = "neo4j"
# APOC procedures and functions the server loads: schema reads and pure value functions. Keep in step
# with wildlong.analytics.queries (READ_PROCEDURES, PURE_FUNCTION_PREFIXES).
SCHEMA_PROCEDURES = ("apoc.meta.stats", "apoc.meta.data", "apoc.meta.schema")
PLUGIN_ALLOWLIST = (
    *SCHEMA_PROCEDURES,
    *("apoc.meta.cypher.*", "apoc.meta.nodes.count", "apoc.coll.*", "apoc.text.*", "apoc.map.*"),
    *("apoc.convert.*", "apoc.math.*", "apoc.number.*", "apoc.agg.*", "apoc.date.*", "apoc.temporal.*"),
)
# APOC 5 reads its settings from apoc.conf next to neo4j.conf (not from neo4j.conf).
APOC_SETTINGS = {
    "apoc.import.file.enabled": "false",
    "apoc.export.file.enabled": "false",
    "apoc.import.file.use_neo4j_config": "true",
    "apoc.trigger.enabled": "false",
}

# What Neo4j's own launcher passes to the JVM (less -XX:+AlwaysPreTouch, which slows start-up).
JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
]


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None
    bolt_uri: str
    http_url: str
    browser_url: str
    version: str
    home: Path
    password_file: Path
    installed: bool


class ManagedNeo4j:
    """One managed server, identified by its home folder."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.home = settings.home
        self.conf_dir = self.home / "conf"
        self.logs_dir = self.home / "logs"
        self.run_dir = self.home / "run"
        self.pid_file = self.run_dir / "neo4j.pid"
        self.state_file = self.run_dir / "state.json"
        self.password_file = self.home / "password"
        self.import_dir = self.home / "import"  # stays empty: LOAD CSV and APOC never read files

    # -- credentials -------------------------------------------------------------------------------
    def password(self) -> str:
        """The generated password, readable by this user only."""
        if not self.password_file.exists():
            if (self.home / "data" / "dbms" / "auth.ini").exists():
                raise GraphError(
                    f"{self.password_file} is missing but {self.home / 'data'} already has a password",
                    hint=f"restore the file, or delete {self.home / 'data'} to start an empty database",
                )
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                # Starts with letters: a leading '-' would read as an option to neo4j-admin.
                fh.write("wl" + secrets.token_urlsafe(24) + "\n")
        return self.password_file.read_text().strip()

    # -- lifecycle ---------------------------------------------------------------------------------
    def pid(self) -> int | None:
        """PID of this home's server if it is alive, else None (a stale pid file is ignored)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return None
        if ENTRY_POINT in cmdline and f"--home-dir={self.home}" in cmdline:
            return pid
        return None

    def start(self) -> bool:
        """Start the server and wait for Bolt. Returns False when it was already running."""
        if self.pid() is not None:
            return False
        install(self.settings)
        java = find_java()
        self._check_ports_free()
        self._prepare(java)
        dist = self.settings.dist_dir()
        classpath = f"{dist / 'plugins'}/*:{self.conf_dir}/*:{dist / 'lib'}/*"
        heap = self.settings.heap
        cmd = [str(java), *JVM_FLAGS, f"-Xms{heap}", f"-Xmx{heap}", "-cp", classpath, ENTRY_POINT,
               f"--home-dir={self.home}", f"--config-dir={self.conf_dir}"]  # fmt: skip
        console = (self.logs_dir / "console.log").open("ab")
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}
        proc = subprocess.Popen(
            cmd, cwd=self.home, env=env, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        console.close()
        self.pid_file.write_text(f"{proc.pid}\n")
        self.state_file.write_text(json.dumps(self._state(), indent=1))
        self._wait_ready(proc)
        return True

    def stop(self) -> bool:
        """SIGTERM the server and wait for it to exit. Returns False when it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.settings.stop_timeout_s
        while time.monotonic() < deadline:
            if self.pid() is None:
                self.pid_file.unlink(missing_ok=True)
                return True
            time.sleep(0.2)
        raise GraphError(
            f"Neo4j (pid {pid}) did not stop within {self.settings.stop_timeout_s:.0f} s of SIGTERM",
            hint=f"see {self.logs_dir / 'neo4j.log'}; `kill -9 {pid}` ends it by force",
        )

    def status(self) -> Status:
        s = self.running_settings()
        return Status(
            running=self.pid() is not None, pid=self.pid(), bolt_uri=s.bolt_uri, http_url=s.http_url,
            browser_url=s.browser_url, version=s.version, home=self.home, password_file=self.password_file,
            installed=(s.dist_dir() / "installed.json").exists(),
        )  # fmt: skip

    def running_settings(self) -> ServerSettings:
        """The settings the server was last started with (ports may differ from today's defaults)."""
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return self.settings
        return self.settings.model_copy(
            update={
                "bolt_port": state["bolt_port"],
                "http_port": state["http_port"],
                "version": state["version"],
            }
        )

    def log_tail(self, lines: int = 40, name: str = "neo4j.log") -> str:
        path = self.logs_dir / name
        if not path.exists():
            return f"(no {path})"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- helpers -----------------------------------------------------------------------------------
    def _state(self) -> dict[str, object]:
        s = self.settings
        return {
            "bolt_port": s.bolt_port,
            "http_port": s.http_port,
            "version": s.version,
            "dist": str(s.dist_dir()),
        }

    def _check_ports_free(self) -> None:
        for name, port in (("Bolt", self.settings.bolt_port), ("HTTP", self.settings.http_port)):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    raise GraphError(
                        f"{name} port 127.0.0.1:{port} is already in use by another program",
                        hint=f"choose another with --{name.lower()}-port, or stop what holds it",
                    ) from None

    def _prepare(self, java: Path) -> None:
        for d in (self.conf_dir, self.logs_dir, self.run_dir, self.home / "data", self.import_dir):
            d.mkdir(parents=True, exist_ok=True)
        (self.conf_dir / "neo4j.conf").write_text(render_conf(self.settings))
        (self.conf_dir / "apoc.conf").write_text(render_apoc_conf(self.settings))
        password = self.password()
        auth_ini = self.home / "data" / "dbms" / "auth.ini"
        if not auth_ini.exists():
            self._set_initial_password(java, password)
        # Secrets readable by this user only (also in homes made before the files were created 0600).
        for secret in (self.password_file, auth_ini):
            if secret.exists():
                secret.chmod(0o600)

    def _set_initial_password(self, java: Path, password: str) -> None:
        """neo4j-admin sets the password; it reads it from a 0600 argument file, never from argv.

        The java launcher expands ``@file`` before the main class (JDK 9+), so the password does not
        appear on a command line that ``ps`` shows; the file is removed when neo4j-admin is done.
        """
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}
        lib = self.settings.dist_dir() / "lib"
        for stale in self.run_dir.glob("set-initial-password.*.args"):  # left by a killed start
            stale.unlink(missing_ok=True)
        argfile = self.run_dir / f"set-initial-password.{os.getpid()}.args"
        fd = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            # After '--' a password that starts with '-' is not read as an option.
            fh.write(f"{ADMIN_TOOL} dbms set-initial-password -- {_argfile_quote(password)}\n")
        try:
            proc = subprocess.run(
                [str(java), "-cp", f"{lib}/*", f"@{argfile}"], env=env, capture_output=True, text=True
            )
        finally:
            argfile.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise GraphError(f"could not set the initial Neo4j password: {proc.stderr.strip()[-300:]}")

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise GraphError(
                    f"Neo4j exited with status {proc.returncode} while starting; last log lines:\n"
                    + self.log_tail(25) + "\n" + self.log_tail(10, "console.log")
                )  # fmt: skip
            # Ready means both connectors: Browser and the HTTP API come up a moment after Bolt.
            if bolt_reachable(self.settings.bolt_uri, (USER, self.password())) and _accepts(
                self.settings.http_port
            ):
                return
            time.sleep(0.5)
        raise GraphError(
            f"Neo4j did not accept Bolt connections on {self.settings.bolt_uri} (and HTTP on port "
            f"{self.settings.http_port}) within "
            f"{self.settings.start_timeout_s:.0f} s; last log lines:\n{self.log_tail(25)}"
        )


def _accepts(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _argfile_quote(value: str) -> str:
    """One argument in a java ``@argfile``: double-quoted, with backslash and quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_conf(s: ServerSettings) -> str:
    """neo4j.conf for a loopback-only, password-protected server that reads no files for queries."""
    settings = {
        "server.default_listen_address": "127.0.0.1",
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.listen_address": f"127.0.0.1:{s.bolt_port}",
        "server.bolt.advertised_address": f"127.0.0.1:{s.bolt_port}",
        "server.http.listen_address": f"127.0.0.1:{s.http_port}",
        "server.http.advertised_address": f"127.0.0.1:{s.http_port}",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true",
        "server.memory.heap.initial_size": s.heap,
        "server.memory.heap.max_size": s.heap,
        "server.memory.pagecache.size": s.pagecache,
        "server.directories.plugins": str(s.dist_dir() / "plugins"),
        # LOAD CSV reads no local files; its folder stays empty anyway.
        "server.directories.import": str(s.home / "import"),
        "dbms.security.allow_csv_import_from_file_urls": "false",
        # Only these plugin procedures and functions are loaded (the built-in db.* and dbms.* ones are
        # not affected): nothing that runs a Cypher string or reads files or URLs.
        "dbms.security.procedures.allowlist": ",".join(PLUGIN_ALLOWLIST),
        # The schema procedures read kernel internals, which APOC's sandbox would otherwise refuse.
        "dbms.security.procedures.unrestricted": ",".join(SCHEMA_PROCEDURES),
        "dbms.usage_report.enabled": "false",
    }
    return _properties(settings, s, apoc=False)


def render_apoc_conf(s: ServerSettings) -> str:
    """apoc.conf: APOC reads and writes no files."""
    return _properties(APOC_SETTINGS, s, apoc=True)


def _properties(settings: dict[str, str], s: ServerSettings, *, apoc: bool) -> str:
    merged = settings | {k: v for k, v in s.conf_overrides.items() if k.startswith("apoc.") == apoc}
    head = "# Written by `wildlong neo4j start` on every start; edit the flags, not this file."
    return "\n".join([head, *(f"{k}={v}" for k, v in merged.items())]) + "\n"
