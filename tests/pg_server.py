"""A throwaway PostgreSQL server for tests: initdb in a temporary folder, start, drop after.

The PostgreSQL binaries refuse to run as root, so when the tests run as root the server runs
as the ``postgres`` user (``runuser -u postgres --``). Its data folder and unix socket live in
one temporary folder owned by that user; it listens on 127.0.0.1 on a free port, with trust
authentication (nothing but this machine can reach it, and it lives only for the test session).

    with PostgresServer() as pg:
        engine = sqlalchemy.create_engine(pg.url)          # postgresql+psycopg://...
        other = pg.create_database("search_tests")         # a fresh database, its URL

In tests use the session-scoped ``postgres_url`` fixture from tests/conftest.py (it skips with a
clear reason when the binaries are absent) and mark the test ``@pytest.mark.postgres``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

SEARCH_DIRS = ("/usr/lib/postgresql/{v}/bin",)
VERSIONS = ("17", "16", "15", "14", "13")
DEFAULT_DB = "paperskim_test"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (initdb, pg_ctl) are not installed on this machine."""


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: $PG_BINDIR, Debian's versioned dirs, then PATH."""
    candidates: list[Path] = []
    if env := os.environ.get("PG_BINDIR"):
        candidates.append(Path(env))
    candidates += [Path(d.format(v=v)) for v in VERSIONS for d in SEARCH_DIRS]
    if found := shutil.which("initdb"):
        candidates.append(Path(found).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, started on enter and removed on exit."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian "
                "package postgresql (or set PG_BINDIR)"
            )
        self.bindir = found
        self.port = 0
        self.root: Path | None = None
        self._names = itertools.count(1)
        self._as_postgres = os.geteuid() == 0

    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root / "sock"

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) for ``database`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for(DEFAULT_DB)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result

    def start(self) -> PostgresServer:
        # Short path under /tmp: unix socket paths are limited to ~107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-", dir="/tmp"))
        self.socket_dir.mkdir()
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self.port = _free_port()
        # fsync off: a test database need not survive a power cut, and it makes tests faster.
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.create_database(DEFAULT_DB)
        return self

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh, empty database; return its SQLAlchemy URL."""
        import psycopg

        name = name or f"db{next(self._names)}_{os.getpid()}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user="postgres",
                    dbname="postgres",
                    autocommit=True,
                ) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return self.url_for(name)

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = ["DEFAULT_DB", "PostgresServer", "PostgresUnavailable", "find_bindir"]
