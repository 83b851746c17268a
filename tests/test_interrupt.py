"""Stopping and reporting (issue 12, failure modes 8 and 9).

Ctrl-C during `paperskim summarize` used to wait for the request on the wire (up to the whole
timeout), a second Ctrl-C exited 130 silently, and the run row said "error" with 0 summarized;
`run --limit` called the papers it never tried "up to date". Here a real `paperskim` process
talks to the scripted server, whose second request hangs for 60 s, and gets SIGINT.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from agent.cli.main import app
from tests.conftest import LISTING, ROOT
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import answer_all

runner = CliRunner()
HANG = 60.0  # far longer than any bound below: an awaited request could not go unnoticed


def _ingest(db: Path) -> None:
    result = runner.invoke(app, ["ingest", "--db", str(db), str(LISTING)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _first_answered_then_hang() -> Any:
    seen = 0

    def handler(body: dict[str, Any]) -> Reply:
        nonlocal seen
        seen += 1
        return answer_all(body) if seen == 1 else Reply.hang(HANG, answer_all(body))

    return handler


def _summarize(db: Path, url: str) -> subprocess.Popen[str]:
    (db.parent / "none.toml").write_text("")  # no user config leaks into the test
    env = {**os.environ, "COLUMNS": "200", "PAPERSKIM_CONFIG": str(db.parent / "none.toml")}
    return subprocess.Popen(
        [
            sys.executable, "-m", "agent", "summarize", "--db", str(db), "--base-url", url,
            "--model", "gpt-4.1-mini", "--concurrency", "1",
        ],
        cwd=ROOT,
        env={**env, "PAPERSKIM_LLM__MAX_PAPERS_PER_BATCH": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_ctrl_c_abandons_the_request_on_the_wire_and_closes_the_run_as_interrupted(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.db"
    _ingest(db)
    with FakeOpenAIServer(_first_answered_then_hang()) as server:
        proc = _summarize(db, server.url)
        try:
            # The first batch is answered and stored; the second is hanging on the server.
            # (A loaded box can take tens of seconds just to start Python and import openai.)
            _wait_for(lambda: len(server.chat_requests()) >= 2 or proc.poll() is not None, 240)
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.5)
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=HANG / 2)
            took = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
    # Not awaited: the hang has 60 s to go (the 2 s target leaves room for a loaded CI box).
    assert took < 8, f"Ctrl-C took {took:.1f} s"
    assert proc.returncode == 130, err
    assert "Interrupted" in err and "2 summarized" in err
    assert "Traceback" not in err and "Aborted" not in err
    with sqlite3.connect(db) as conn:
        status, summarized, failed = conn.execute(
            "SELECT status, summarized, failed FROM run WHERE command = 'summarize'"
        ).fetchone()
        errors = [row[0] for row in conn.execute("SELECT error FROM llm_call ORDER BY id")]
        ok = conn.execute("SELECT count(*) FROM summary WHERE status = 'ok'").fetchone()[0]
    assert (status, summarized, failed) == ("interrupted", 2, 0)
    assert ok == 2
    # The answered request, then the abandoned one, logged as such; nothing else was sent.
    assert errors[0] is None
    assert len(errors) == 2 and errors[1].startswith("abandoned")


def test_run_limit_reports_the_papers_it_never_tried_as_not_tried(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    args = ["run", "--db", str(db), "--engine", "offline", "--no-note", "--limit", "2"]
    out = tmp_path / "d.md"
    result = runner.invoke(app, [*args, "--out", str(out), str(LISTING)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        papers = conn.execute("SELECT count(*) FROM paper").fetchone()[0]
    assert papers > 2
    line = next(x for x in result.output.splitlines() if "summarized," in x)
    assert f"{papers - 2} not tried" in line, line
    assert "0 up to date" in line, line


def test_the_run_guard_says_interrupted_or_error_with_what_was_done(tmp_path: Path) -> None:
    from sqlmodel import Session

    from store.db import open_engine
    from store.runs import closed_on_error, start_run
    from store.tables import Run

    store = open_engine(f"sqlite:///{tmp_path / 'g.db'}")
    for raised, status in ((KeyboardInterrupt(), "interrupted"), (RuntimeError("x"), "error")):
        run = start_run(store, "run", engine="offline")
        try:
            with closed_on_error(store, run, lambda: {"papers_new": 30, "failed": 4}):
                raise raised
        except (KeyboardInterrupt, RuntimeError):
            pass
        with Session(store) as session:
            row = session.get(Run, run.id)
            assert row is not None
            assert (row.status, row.papers_new, row.failed) == (status, 30, 4)
