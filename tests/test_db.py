import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.db import migrate, open_engine
from store.search import include_in_schema_comparison


def test_migrations_build_exactly_the_schema_the_tables_declare(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        # The search index (migration 0004_search) is built by SQL, not declared in tables.py.
        context = MigrationContext.configure(
            conn, opts={"include_name": include_in_schema_comparison}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_opening_twice_applies_nothing_new_and_sets_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'p.db'}"
    engine = open_engine(url)
    assert migrate(engine) == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert open_engine(url) is not None


def _connect_all_at_once(engines: list[Engine]) -> list[BaseException]:
    """Connect each engine from its own thread, all released together; the errors met."""
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def connect(engine: Engine) -> None:
        start.wait()
        try:
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=connect, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_connections_opening_one_fresh_file_at_the_same_moment_all_switch_it_to_wal(
    tmp_path: Path,
) -> None:
    # Before: in 1 of 15 trials or so one of the 4 got "database is locked" at once (each held
    # a shared lock and wanted the exclusive one; SQLite refuses to wait on that deadlock).
    for trial in range(60):
        url = f"sqlite:///{tmp_path / f'fresh-{trial}.db'}"
        engines = [open_engine(url, migrate_schema=False) for _ in range(4)]
        try:
            assert _connect_all_at_once(engines) == [], f"trial {trial}"
        finally:
            for engine in engines:
                engine.dispose()


def test_an_unopenable_database_is_a_clear_error(tmp_path: Path) -> None:
    import pytest

    from agent.core.errors import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot"):
        open_engine(f"sqlite:///{blocker / 'p.db'}")


def test_a_database_from_an_older_schema_is_migrated_with_its_data(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    from store.db import _alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    with old.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_initial")
        conn.execute(
            text(
                "INSERT INTO run (command, engine, started_at, status, papers_new, papers_updated,"
                " papers_unchanged, records_invalid, summarized, failed, skipped, llm_calls,"
                " input_tokens, output_tokens) VALUES ('run', 'offline', '2026-01-01', 'done',"
                " 1, 0, 0, 0, 1, 0, 0, 0, 0, 0)"
            )
        )
    assert "eval_run" not in inspect(old).get_table_names()
    engine = open_engine(url)
    assert "eval_run" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM run")).scalar() == 1
