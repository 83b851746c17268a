"""Offline results stored a chunk at a time, claims that walk ahead, and the process pool."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from agent.config import load_settings
from agent.summarize.engines import OfflineSummarizer, make_summarizer, summarize_pending
from store.db import open_engine
from store.tables import GainRecord, Summary, WorkLease
from store.work_queue import WorkQueue
from tests.scale_data import load_synthetic


def _stored(store: Engine) -> list[tuple[Any, ...]]:
    """Every stored summary with its gains, in a form two stores can be compared by."""
    with Session(store) as session:
        summaries = session.exec(select(Summary).order_by(col(Summary.paper_id))).all()
        gains = session.exec(select(GainRecord).order_by(col(GainRecord.id))).all()
    by_summary: dict[int, list[tuple[Any, ...]]] = {}
    for g in gains:
        by_summary.setdefault(g.summary_id, []).append(
            (g.position, g.metric, g.value, g.value_high, g.unit, g.kind, g.baseline, g.quote)
        )
    return [
        (
            s.paper_id,
            s.abstract_hash,
            s.status,
            s.takeaway,
            s.has_claims,
            s.error,
            *tuple(by_summary.get(s.id or 0, [])),
        )
        for s in summaries
    ]


def _two_stores(tmp_path: Path, n: int) -> tuple[Engine, Engine]:
    first = tmp_path / "one.db"
    store = open_engine(f"sqlite:///{first}")
    load_synthetic(store, tmp_path, n)
    store.dispose()
    shutil.copy(first, tmp_path / "two.db")
    return open_engine(f"sqlite:///{first}"), open_engine(f"sqlite:///{tmp_path / 'two.db'}")


def test_processes_store_exactly_what_one_process_stores(tmp_path: Path) -> None:
    one, two = _two_stores(tmp_path, 300)
    single = OfflineSummarizer(workers=1)
    single.claim_chunk = 16
    spread = OfflineSummarizer(workers=2, parallel_from=32)
    spread.claim_chunk = 16
    assert summarize_pending(one, single).summarized == 300
    assert summarize_pending(two, spread).summarized == 300
    stored = _stored(one)
    assert len(stored) == 300 and all(row[2] == "ok" for row in stored)
    assert any(len(row) > 6 for row in stored), "the synthetic papers have gains"
    assert _stored(two) == stored


def test_a_chunk_is_stored_in_a_few_statements_whatever_its_size(tmp_path: Path) -> None:
    counts = {}
    for n in (20, 200):
        store = open_engine(f"sqlite:///{tmp_path / f'{n}.db'}")
        (tmp_path / str(n)).mkdir()
        load_synthetic(store, tmp_path / str(n), n)
        engine = OfflineSummarizer(workers=1)
        engine.claim_chunk = n  # the whole store in one chunk
        statements: list[str] = []

        def count(*args: Any, into: list[str] = statements) -> None:
            into.append(str(args[2]))

        event.listen(store, "before_cursor_execute", count)
        assert summarize_pending(store, engine).summarized == n
        event.remove(store, "before_cursor_execute", count)
        counts[n] = len([s for s in statements if "INSERT INTO summary" in s or "gain" in s])
    # Ten times the papers, the same number of summary and gain inserts.
    assert counts[20] == counts[200] <= 4, counts


def test_claims_go_back_for_papers_left_behind_the_walk(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'q.db'}")
    load_synthetic(store, tmp_path, 30)
    engine = OfflineSummarizer(workers=1)
    other = WorkQueue(store, engine.made_by, worker="elsewhere:1:x")
    taken = other.claim(5)  # another worker holds the first five
    assert [p.id for p in taken] == [1, 2, 3, 4, 5]
    queue = WorkQueue(store, engine.made_by)
    first = queue.claim(10)
    assert [p.id for p in first] == list(range(6, 16))
    other.release_all()  # ...and gives them back unfinished (its leases are gone)
    rest = [p.id for p in queue.stream(10)]
    # The walk goes on ahead, then back to the start for what it passed over.
    assert rest == [*range(16, 31), *range(1, 6)]
    with Session(store) as session:
        assert len(session.exec(select(WorkLease)).all()) == 30


def test_a_claim_after_the_first_is_one_look_and_one_lease_statement(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'q.db'}")
    load_synthetic(store, tmp_path, 100)
    queue = WorkQueue(store, OfflineSummarizer.made_by)
    assert len(queue.claim(32)) == 32  # the first claim also looks for dead workers' leases
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split()[0])

    event.listen(store, "before_cursor_execute", count)
    assert len(queue.claim(32)) == 32
    event.remove(store, "before_cursor_execute", count)
    # BEGIN IMMEDIATE (SQLite's write lock), the candidates, their 32 leases in one insert.
    assert statements == ["BEGIN", "SELECT", "INSERT"], statements


def test_a_dead_workers_papers_are_claimed_when_the_walk_comes_back(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'q.db'}")
    load_synthetic(store, tmp_path, 30)
    made_by = OfflineSummarizer.made_by
    queue = WorkQueue(store, made_by)
    assert [p.id for p in queue.claim(10)] == list(range(1, 11))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a worker on this machine whose process has exited, leases unexpired
    dead = WorkQueue(store, made_by, worker=f"{socket.gethostname()}:{gone.pid}:x")
    assert [p.id for p in dead.claim(10)] == list(range(11, 21))
    assert [p.id for p in queue.claim(10)] == list(range(21, 31))
    # Nothing ahead: the walk goes back to the start, giving the dead worker's leases back.
    assert [p.id for p in queue.claim(10)] == list(range(11, 21))
    assert list(queue.stream(10)) == [] and queue.drained


def test_offline_workers_sets_the_processes_of_the_offline_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'q.db'}")
    monkeypatch.setenv("PAPERSKIM_OFFLINE_WORKERS", "1")
    engine = make_summarizer(load_settings(engine="offline"), store, None)
    assert isinstance(engine, OfflineSummarizer) and engine.workers == 1
