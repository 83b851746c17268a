"""The read models of store/views.py: the review queue, the digest, exports and stats run a
fixed number of statements, however many papers the store holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from agent.digest.select import collect
from agent.export import export_rows
from agent.review.web.queue import QueueFilter, load_page, neighbours, status_counts
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.views import store_stats
from tests.scale_data import load_synthetic


@contextmanager
def counting(store: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(store, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(store, "before_cursor_execute", record)


def _store(tmp_path: Path, n: int) -> Engine:
    store = open_engine(f"sqlite:///{tmp_path / f'{n}.db'}")
    source = tmp_path / f"src{n}"
    source.mkdir()
    load_synthetic(store, source, n)
    summarize_pending(store, OfflineSummarizer())
    return store


READS: dict[str, Callable[[Engine], object]] = {
    "review queue": load_page,
    "paper neighbours": lambda store: neighbours(store, 50, QueueFilter(claims="yes")),
    "status counts": status_counts,
    "digest": lambda store: collect(store),
    "digest since last": lambda store: collect(store, since_last=True),
    "digest top 10": lambda store: collect(store, top=10),
    "export": lambda store: list(export_rows(store)),
    "stats": store_stats,
}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Engine]:
    folder = tmp_path_factory.mktemp("views")
    return {n: _store(folder, n) for n in (100, 1000)}


@pytest.mark.parametrize("name", list(READS))
def test_statement_count_does_not_grow_with_the_store(stores: dict[int, Engine], name: str) -> None:
    counts = {}
    for n, store in stores.items():
        with counting(store) as statements:
            READS[name](store)
        counts[n] = len(statements)
    assert counts[100] == counts[1000], f"{name}: {counts}"
    assert counts[1000] <= 8, f"{name}: {counts[1000]} statements"


def test_views_agree_with_the_one_paper_rules(stores: dict[int, Engine]) -> None:
    from sqlmodel import Session

    from store.reviews import review_status
    from store.summaries import current_summary, gains_of
    from store.tables import Paper
    from store.views import paper_views

    store = stores[100]
    views = paper_views(store)
    with Session(store) as session:
        for view in views:
            paper = session.get(Paper, view.paper.id)
            assert paper is not None
            shown = current_summary(session, paper)
            assert (view.summary.id if view.summary else None) == (shown.id if shown else None)
            assert view.gains == (gains_of(session, shown) if shown else [])
            assert view.status == review_status(session, paper)
    assert len(views) == 100
