"""Database failures a user can act on, as one clear line instead of a driver traceback.

A full disk, a read-only file and a damaged database are not bugs in paperskim: each needs the
user to do something (free space, fix permissions, restore a backup). SQLAlchemy's
`handle_error` hook sees every driver error, whichever query meets it first, and raises the
StoreError made here in its place; any other error goes on as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.engine import ExceptionContext

from agent.core.errors import StoreError

# SQLite result code names (Python's sqlite3 gives them as `sqlite_errorname`), with the prefix
# of extended codes: SQLITE_CORRUPT_INDEX, SQLITE_READONLY_DBMOVED, ...
_SQLITE = {
    "SQLITE_FULL": "full",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_READONLY": "readonly",
    "SQLITE_CANTOPEN": "cantopen",
}
# PostgreSQL SQLSTATEs: disk_full, read_only_sql_transaction, data_corrupted, index_corrupted.
_POSTGRES = {"53100": "full", "25006": "readonly", "XX001": "corrupt", "XX002": "corrupt"}

_ADVICE = {
    "full": "no space left on the disk; free some and run the command again "
    "(the interrupted transaction stored nothing)",
    "readonly": "it is read-only; check the permissions of the file and its folder "
    "(SQLite also writes its -wal and -shm files there), or choose another with --db",
    "corrupt": "the file is damaged or not a paperskim database; restore it from a backup, "
    "or move it aside so that a new one is made (`sqlite3 FILE .recover` may save its rows)",
    "cantopen": "the file cannot be opened; check that its folder exists and is writable",
}


def kind_of(error: BaseException) -> str | None:
    """full, readonly, corrupt, cantopen, or None for any other driver error."""
    name = getattr(error, "sqlite_errorname", None)
    if isinstance(name, str):
        for code, kind in _SQLITE.items():
            if name == code or name.startswith(code + "_"):
                return kind
        return None
    sqlstate = getattr(error, "sqlstate", None)
    return _POSTGRES.get(sqlstate) if isinstance(sqlstate, str) else None


def store_error(error: BaseException, where: str) -> StoreError | None:
    """The one-line error for `error` met on database `where`, or None if it is not one."""
    kind = kind_of(error)
    if kind is None:
        return None
    detail = str(error).strip().splitlines()[0] if str(error).strip() else kind
    return StoreError(f"database {where}: {detail}: {_ADVICE[kind]}")


def raise_as_store_error(where: str) -> Callable[[ExceptionContext], None]:
    """A `handle_error` listener for the engine of database `where` (a URL safe to print)."""

    def handle(context: ExceptionContext) -> None:
        error = store_error(context.original_exception, where)
        if error is not None:
            raise error from context.original_exception

    return handle


def check_integrity(store: Engine, where: str) -> None:
    """Raise the "corrupt" StoreError unless SQLite's quick check finds the file sound.

    SQLite notices a damaged page only when a query reads it, so a command that writes could
    add rows to a broken file and exit 0. `PRAGMA quick_check` reads every page once (about
    0.4 s for 50,000 papers): writing commands pay it, reading ones rely on the error hook.
    PostgreSQL checks its own pages (and reports XX001 through the hook).
    """
    if store.dialect.name != "sqlite":
        return
    with store.connect() as conn:
        problems = [str(row[0]) for row in conn.execute(text("PRAGMA quick_check(3)"))]
    if problems != ["ok"]:
        raise StoreError(f"database {where}: {'; '.join(problems)}: {_ADVICE['corrupt']}")
