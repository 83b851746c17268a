"""Opening the database: engine settings, SQLite pragmas, and migrations on open."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import create_engine

from agent.core.errors import StoreError
from agent.core.urls import safe_url
from store.failures import check_integrity, raise_as_store_error

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
# Execution option naming a SQLite engine whose transactions take the write lock at BEGIN.
_IMMEDIATE = "paperskim_begin_immediate"
# Any fixed number: the PostgreSQL advisory lock every process takes to migrate.
_MIGRATION_LOCK = 7_316_104_117


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (digest, review) work while a summarize run writes; the busy timeout makes
    # a second writer wait instead of failing with "database is locked" (set first: switching a
    # fresh file to WAL needs a lock another process may hold at that moment).
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    # Connections switching one fresh file to WAL at the same moment can each hold a shared lock
    # and want the exclusive one: SQLite then answers SQLITE_BUSY at once, without waiting out
    # the busy timeout (a deadlock it refuses to wait on; seen as two `run`s starting together
    # on a new file, one failing "database is locked"). The failed statement holds no lock, so
    # trying again soon succeeds; the file stays in WAL after the first switch.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            # The primary code: SQLITE_BUSY_RECOVERY, _SNAPSHOT, ... are busy answers too.
            busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _begin(conn: Connection) -> None:
    # pysqlite starts a transaction lazily, at the first INSERT/UPDATE/DELETE, as DEFERRED: the
    # reads before it see a snapshot another process may change before our write. On a writer()
    # engine the transaction starts here, holding the write lock (waiting up to the busy
    # timeout for it); pysqlite sees it is in a transaction and adds no BEGIN of its own.
    if conn.get_execution_options().get(_IMMEDIATE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def writer(store: Engine) -> Engine:
    """`store` for transactions that read, then write what they read (check-then-insert).

    On SQLite each transaction of the returned engine holds the database's write lock from its
    first statement (BEGIN IMMEDIATE), so two processes never act on the same stale read; other
    processes still read meanwhile (WAL). PostgreSQL callers lock rows themselves
    (`FOR UPDATE`, unique keys); there it is `store` itself.
    """
    if store.dialect.name != "sqlite":
        return store
    return store.execution_options(**{_IMMEDIATE: True})


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations; return the revisions applied (empty when up to date).

    Upgrades to every head: features developed side by side may add migrations on parallel
    branches of the history, and a database needs all of them.

    Two processes opening one fresh database must not both create its tables: the version is
    read and the migrations applied under a lock (SQLite's write lock, taken at BEGIN; a
    PostgreSQL advisory lock held until commit), so the second one waits, then sees the schema
    up to date.
    """
    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    heads = set(script.get_heads())
    # Up to date (nearly always): a plain read, so a read-only database still opens.
    with engine.connect() as conn:
        if set(MigrationContext.configure(conn).get_current_heads()) == heads:
            return []
    with writer(engine).begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        current = set(MigrationContext.configure(conn).get_current_heads())
        if current == heads:
            return []
        applied_before = {
            rev.revision for head in current for rev in script.iterate_revisions(head, "base")
        }
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    everything = {rev.revision for rev in script.walk_revisions()}
    return sorted(everything - applied_before)


def normalize_url(url: str) -> str:
    """`postgresql://` and `postgres://` URLs (as DATABASE_URL usually has them) use psycopg 3,
    the PostgreSQL driver paperskim installs; SQLAlchemy would otherwise pick psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _hide_password(text: str, url: str) -> str:
    """`text` with the URL's password (if any) replaced, for error messages."""
    try:
        password = make_url(url).password
    except Exception:  # an unparsable URL has no password we could find either
        return text
    return text.replace(str(password), "***") if password else text


def open_engine(url: str, *, migrate_schema: bool = True, check: bool = False) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql://...), migrated to the latest schema.

    `check`: first make sure a SQLite file is not damaged (for commands that write).
    """
    url = normalize_url(url)
    kwargs: dict[str, Any] = {}
    where = safe_url(url)
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        where = path or where
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for database {path}: {exc}") from exc
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    try:
        engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _begin)
        # A full disk, a read-only file or a damaged database: one clear line, whatever
        # query meets it first (the handler raises a StoreError in place of SQLAlchemy's error).
        event.listen(engine, "handle_error", raise_as_store_error(where))
        if check:
            check_integrity(engine, where)
        if migrate_schema:
            migrate(engine)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open database {safe_url(url)}: {exc.__class__.__name__}: "
            f"{_hide_password(str(exc), url)}"
        ) from exc
    return engine
