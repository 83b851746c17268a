"""Opening the database: engine settings, SQLite pragmas, and migrations on open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import create_engine

from agent.core.errors import StoreError
from agent.core.urls import safe_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (digest, review) work while a summarize run writes; the busy timeout makes
    # a second writer wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations; return the revisions applied (empty when up to date).

    Upgrades to every head: features developed side by side may add migrations on parallel
    branches of the history, and a database needs all of them.
    """
    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    heads = set(script.get_heads())
    with engine.begin() as conn:
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


def open_engine(url: str, *, migrate_schema: bool = True) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql://...), migrated to the latest schema."""
    url = normalize_url(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
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
        if migrate_schema:
            migrate(engine)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open database {safe_url(url)}: {exc.__class__.__name__}: "
            f"{_hide_password(str(exc), url)}"
        ) from exc
    return engine
