"""The attacks of issue 16, one regression test per break, so the suite of attacks grows here.

Each test is named after the break it closes and reproduces the attack as it was made: real
concurrent processes on one SQLite file, a damaged or read-only or full database, a request
with another site's Host or Origin, a paper whose text carries formulas, markup or terminal
escapes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from store.db import open_engine
from store.runs import start_run
from store.tables import Run
from tests.conftest import LISTING, ROOT

runner = CliRunner()


def _paperskim(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agent", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, out + err))
    return results


def _ok_summaries(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT paper_id FROM summary WHERE status = 'ok'").fetchall()
    return [row[0] for row in rows]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200"}


# -- concurrency on SQLite ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3))
def test_two_runs_on_one_fresh_sqlite_file_both_finish_with_no_paper_summarized_twice(
    tmp_path: Path, env: dict[str, str], trial: int
) -> None:
    # Before: one of the two failed in 10 of 14 trials ("table paper already exists", an
    # IntegrityError on the paper key), and a paper could be summarized twice.
    db = tmp_path / f"fresh-{trial}.db"
    procs = [
        _paperskim("run", str(LISTING), "--db", str(db), "--out", str(tmp_path / f"d{n}.md"),
                   env=env)
        for n in range(2)
    ]  # fmt: skip
    for code, output in _finish(procs):
        assert code == 0, output
        assert "Traceback" not in output and "already exists" not in output, output
    ok = _ok_summaries(db)
    assert len(ok) == len(set(ok)) == 119


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3))
def test_three_concurrent_offline_summarize_never_summarize_a_paper_twice(
    tmp_path: Path, env: dict[str, str], trial: int
) -> None:
    # Before: 24 papers summarized twice over 6 trials (the candidate SELECT ran outside the
    # transaction that took the lease).
    db = tmp_path / f"s-{trial}.db"
    assert runner.invoke(app, ["ingest", str(LISTING), "--db", str(db)]).exit_code == 0
    procs = [_paperskim("summarize", "--db", str(db), env=env) for _ in range(3)]
    for code, output in _finish(procs):
        assert code == 0, output
    ok = _ok_summaries(db)
    assert len(ok) == len(set(ok)) == 119


def test_a_run_whose_process_was_killed_is_closed_as_interrupted_on_the_next_start(
    tmp_path: Path,
) -> None:
    # Before: 35 killed runs stayed "running" forever.
    db = tmp_path / "k.db"
    store = open_engine(f"sqlite:///{db}")
    victim = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        killed = start_run(store, "summarize", engine="offline")
        # That run's row names the process we are about to kill, as `paperskim` itself would.
        with sqlite3.connect(db) as conn:
            host, _, nonce = str(killed.worker).split(":")
            conn.execute(
                "UPDATE run SET worker = ? WHERE id = ?",
                (f"{host}:{victim.pid}:{nonce}", killed.id),
            )
        alive = start_run(store, "summarize", engine="offline")  # this process: alive
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    start_run(store, "ingest", engine="offline")
    with sqlite3.connect(db) as conn:
        status = dict(conn.execute("SELECT id, status FROM run").fetchall())
        finished = conn.execute("SELECT finished_at FROM run WHERE id = ?", (killed.id,))
        assert finished.fetchone()[0] is not None
    assert status[killed.id] == "interrupted"
    assert status[alive.id] == "running"


def test_a_run_from_before_runs_named_their_process_is_closed_after_a_day(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    store = open_engine(f"sqlite:///{db}")
    old = start_run(store, "run", engine="offline")
    recent = start_run(store, "run", engine="offline")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE run SET worker = NULL")
        conn.execute(
            "UPDATE run SET started_at = datetime('now', '-2 days') WHERE id = ?", (old.id,)
        )
    start_run(store, "run", engine="offline")
    with sqlite3.connect(db) as conn:
        status = dict(conn.execute("SELECT id, status FROM run").fetchall())
    assert status[old.id] == "interrupted" and status[recent.id] == "running"
    assert Run.model_fields["status"].description and "interrupted" in str(
        Run.model_fields["status"].description
    )


# -- damaged, read-only and full databases ------------------------------------------------------


def _one_line_error(args: list[str]) -> str:
    """The StoreError a command stops with (the CLI prints it as one line, exit 1)."""
    from agent.core.errors import StoreError

    result = runner.invoke(app, args)
    assert isinstance(result.exception, StoreError), result.output
    message = str(result.exception)
    assert "\n" not in message and "Traceback" not in message
    return message


def _stored(db: Path) -> bytes:
    """The database file's bytes with everything in it (its WAL copied back first)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.read_bytes()


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "one.jsonl"
    path.write_text(
        '{"id": "x1", "title": "A new paper", "abstract": "It is 2x faster than vLLM."}\n'
    )
    return path


def test_a_file_of_random_bytes_as_database_is_one_clear_error(tmp_path: Path, jsonl: Path) -> None:
    db = tmp_path / "random.db"
    db.write_bytes(os.urandom(20_000))
    for args in (["ingest", str(jsonl)], ["stats"], ["export"]):
        message = _one_line_error([*args, "--db", str(db)])
        assert "file is not a database" in message and "backup" in message, message


def test_a_truncated_database_is_one_clear_error(tmp_path: Path, jsonl: Path) -> None:
    db = tmp_path / "whole.db"
    assert runner.invoke(app, ["ingest", str(LISTING), "--db", str(db)]).exit_code == 0
    cut = tmp_path / "cut.db"
    whole = _stored(db)
    cut.write_bytes(whole[: len(whole) // 2])
    message = _one_line_error(["ingest", str(jsonl), "--db", str(cut)])
    assert "malformed" in message and "backup" in message, message


def test_ingest_refuses_to_write_into_a_database_with_a_damaged_page(
    tmp_path: Path, jsonl: Path
) -> None:
    # Before: `ingest` wrote into the malformed file and exited 0.
    db = tmp_path / "damaged.db"
    assert runner.invoke(app, ["ingest", str(LISTING), "--db", str(db)]).exit_code == 0
    assert len(_stored(db)) > 4096 * 21
    with db.open("r+b") as handle:
        handle.seek(4096 * 20)
        handle.write(os.urandom(4096))
    message = _one_line_error(["ingest", str(jsonl), "--db", str(db)])
    assert "malformed" in message or "damaged" in message, message


def test_a_read_only_database_is_one_clear_error_and_still_readable(
    tmp_path: Path, jsonl: Path
) -> None:
    db = tmp_path / "ro.db"
    assert runner.invoke(app, ["ingest", str(LISTING), "--db", str(db)]).exit_code == 0
    # Tests run as root, where chmod stops no write: SQLite's read-only open mode does.
    url = f"sqlite:///file:{db}?mode=ro&uri=true"
    message = _one_line_error(["ingest", str(jsonl), "--db", url])
    assert "readonly" in message and "permissions" in message, message
    assert runner.invoke(app, ["stats", "--db", url]).exit_code == 0


def test_a_read_only_database_file_is_one_clear_error_for_a_normal_user(
    tmp_path: Path, jsonl: Path
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes through file permissions; the mode=ro test covers this case")
    db = tmp_path / "ro.db"
    assert runner.invoke(app, ["ingest", str(LISTING), "--db", str(db)]).exit_code == 0
    for path in tmp_path.glob("ro.db*"):
        path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        message = _one_line_error(["ingest", str(jsonl), "--db", str(db)])
    finally:
        tmp_path.chmod(0o755)
    assert "read" in message, message


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KB tmpfs (needs root and a kernel that lets this container mount)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_one_clear_error(tiny_disk: Path, tmp_path: Path) -> None:
    from tests.scale_data import synthetic_records, write_jsonl

    many = write_jsonl(tmp_path / "many.jsonl", synthetic_records(600))
    message = _one_line_error(["ingest", str(many), "--db", str(tiny_disk / "p.db")])
    assert "disk is full" in message and "free" in message, message


def test_a_database_at_its_size_limit_is_the_same_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's own page limit raises the very error a full disk does (SQLITE_FULL), on any
    # machine: the same path as the tmpfs test above, without root.
    import store.db as db_module
    from tests.scale_data import synthetic_records, write_jsonl

    pragmas = db_module._sqlite_pragmas

    def limited(dbapi_connection: object, record: object) -> None:
        pragmas(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA max_page_count = 80")  # type: ignore[attr-defined]

    monkeypatch.setattr(db_module, "_sqlite_pragmas", limited)
    many = write_jsonl(tmp_path / "many.jsonl", synthetic_records(600))
    message = _one_line_error(["ingest", str(many), "--db", str(tmp_path / "p.db")])
    assert "disk is full" in message and "free" in message, message


def test_other_database_errors_are_left_as_they_were(tmp_path: Path) -> None:
    from agent.core.errors import StoreError
    from store.failures import store_error

    assert store_error(sqlite3.IntegrityError("UNIQUE constraint failed"), "x.db") is None
    assert store_error(ValueError("no"), "x.db") is None
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]
    assert isinstance(store_error(full, "x.db"), StoreError)
