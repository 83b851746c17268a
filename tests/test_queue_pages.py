"""The review queue in SQL (store/queue.py) over more papers than a page holds: keyset pages,
filters, neighbours and counts agree with the one-paper rules of store/summaries.py and
store/reviews.py; export and stats streamed in chunks give what one pass over every paper gave."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from agent.cli.review import build_review_app
from agent.config import load_settings
from agent.export import export_rows, write_export
from agent.ingest.step import ingest_files
from agent.review.actions import approve, correct, reject
from agent.review.web.queue import (
    QueueFilter,
    QueueRow,
    load_page,
    neighbours,
    queue_ids,
    queue_row,
    status_counts,
)
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.papers import public_id
from store.reviews import STATUSES
from store.summaries import MadeBy, as_paper_summary, current_summary, save_failure
from store.tables import Paper
from store.views import paper_views, store_stats
from tests.scale_data import load_synthetic, synthetic_records, write_jsonl

SUMMARIZED = 130  # more than two pages of 50
N = SUMMARIZED + 5  # the last five have no summary, three of them a failed attempt
LLM = MadeBy("llm", "gpt-test", "summarize/v3")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("queue")
    path = folder / "queue.db"
    store = open_engine(f"sqlite:///{path}")
    load_synthetic(store, folder, SUMMARIZED)
    summarize_pending(store, OfflineSummarizer())
    ingest_files(store, [write_jsonl(folder / "late.jsonl", synthetic_records(5, SUMMARIZED))])
    with Session(store) as session:
        for paper_id in range(1, N + 1):
            paper = session.get(Paper, paper_id)
            assert paper is not None
            if paper_id > SUMMARIZED:
                if paper_id % 2:
                    save_failure(session, paper, "offline engine: no takeaway", LLM)
                continue
            if paper_id % 11 == 0:  # the newest machine attempt failed
                save_failure(session, paper, "bad answer", LLM)
            if paper_id % 13 == 0:
                summary = current_summary(session, paper)
                assert summary is not None
                shown = as_paper_summary(session, public_id(paper), summary)
                takeaway = "A shorter takeaway for review."
                correct(session, paper, shown.model_copy(update={"takeaway": takeaway}), "ana")
            elif paper_id % 7 == 0:
                reject(session, paper, "ana")
            elif paper_id % 5 == 0:
                approve(session, paper, "ana")
        session.commit()
    store.dispose()
    return path


@pytest.fixture(scope="module")
def store(db: Path) -> Engine:
    return open_engine(f"sqlite:///{db}")


def _matches(row: QueueRow, wanted: QueueFilter) -> bool:
    """The queue filter as it was applied in Python to every paper before it moved to SQL."""
    if wanted.status and row.status != wanted.status:
        return False
    if wanted.engine and row.engine != wanted.engine:
        return False
    if wanted.claims != "any" and row.has_claims != (wanted.claims == "yes"):
        return False
    if wanted.failed and not row.failed:
        return False
    if wanted.q:
        haystack = " ".join(
            [
                row.public_id,
                row.paper.title,
                row.paper.abstract,
                (row.summary.takeaway or "") if row.summary else "",
            ]
        ).casefold()
        return wanted.q.casefold() in haystack
    return True


def _expected(store: Engine, wanted: QueueFilter) -> list[int]:
    with Session(store) as session:
        papers = [session.get(Paper, i) for i in range(1, N + 1)]
        rows = [queue_row(session, p) for p in papers if p is not None]
    return [r.paper.id for r in rows if r.paper.id is not None and _matches(r, wanted)]


FILTERS = [
    QueueFilter(),
    QueueFilter(status="draft"),
    QueueFilter(status="approved"),
    QueueFilter(status="corrected"),
    QueueFilter(status="rejected"),
    QueueFilter(engine="human"),
    QueueFilter(engine="offline"),
    QueueFilter(engine="llm"),
    QueueFilter(engine="none"),
    QueueFilter(claims="yes"),
    QueueFilter(claims="no"),
    QueueFilter(failed=True),
    QueueFilter(q="METHOD12"),
    QueueFilter(q="shorter takeaway"),
    QueueFilter(q="2601.0010"),
    QueueFilter(q="50%"),  # LIKE wildcards are searched for, not obeyed
    QueueFilter(status="draft", failed=True, claims="yes"),
]


@pytest.mark.parametrize("wanted", FILTERS, ids=lambda f: f.query_string() or "all")
def test_sql_filters_pick_the_papers_the_python_rules_pick(
    store: Engine, wanted: QueueFilter
) -> None:
    expected = _expected(store, wanted)
    assert queue_ids(store, wanted) == expected
    walked: list[int] = []
    after = None
    while True:
        page = load_page(store, wanted, after=after, size=50)
        walked += [r.paper.id for r in page.rows if r.paper.id is not None]
        if page.next_after is None:
            break
        after = page.next_after
    assert walked == expected


def test_pages_go_forward_and_back(store: Engine) -> None:
    first = load_page(store, size=50)
    assert [r.paper.id for r in first.rows] == list(range(1, 51))
    assert first.prev_before is None and first.next_after == 50
    second = load_page(store, after=50, size=50)
    assert [r.paper.id for r in second.rows] == list(range(51, 101))
    assert second.prev_before == 51 and second.next_after == 100
    last = load_page(store, after=100, size=50)
    assert [r.paper.id for r in last.rows] == list(range(101, N + 1))
    assert last.next_after is None
    back = load_page(store, before=101, size=50)
    assert [r.paper.id for r in back.rows] == list(range(51, 101))
    assert back.prev_before == 51 and back.next_after == 100
    assert load_page(store, before=51, size=50).prev_before is None


def test_neighbours_are_the_next_matching_papers(store: Engine) -> None:
    wanted = QueueFilter(status="rejected")
    ids = _expected(store, wanted)
    assert len(ids) >= 3
    middle = neighbours(store, ids[1], wanted)
    assert (middle.prev_id, middle.next_id, middle.in_queue) == (ids[0], ids[2], True)
    first = neighbours(store, ids[0], wanted)
    assert first.prev_id is None and first.next_id == ids[1]
    outside = neighbours(store, ids[0] + 1, wanted)
    assert not outside.in_queue and outside.prev_id == ids[0] and outside.next_id == ids[1]


def test_counts_by_status_agree_with_the_one_paper_rule(store: Engine) -> None:
    with Session(store) as session:
        papers = [session.get(Paper, i) for i in range(1, N + 1)]
        statuses = [queue_row(session, p).status for p in papers if p is not None]
    assert status_counts(store) == {s: statuses.count(s) for s in STATUSES}
    assert sum(status_counts(store).values()) == N


def test_the_queue_page_links_to_the_next_and_previous_page(db: Path) -> None:
    app = build_review_app(load_settings(db=str(db)), reviewer="ana")
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        page = client.get("/").text
        assert page.count('<a href="/papers/') == 50
        assert 'rel="next" href="/?after=50"' in page and 'rel="prev"' not in page
        page = client.get("/?after=50").text
        assert 'href="/papers/51"' in page and 'href="/papers/50"' not in page
        assert 'rel="prev" href="/?before=51"' in page and 'rel="next" href="/?after=100"' in page
        filtered = client.get("/?status=approved").text
        shown = [int(i) for i in re.findall(r'<a href="/papers/(\d+)\?status=approved"', filtered)]
        assert shown and all(i % 5 == 0 for i in shown)
        assert 'rel="next"' not in filtered  # fewer than a page are approved
        assert f"{N} papers" in filtered
        assert client.get("/?after=-1").status_code == 422


def _export(store: Engine, fmt: str, monkeypatch: pytest.MonkeyPatch, **patch: Any) -> str:
    for name, value in patch.items():
        monkeypatch.setattr(f"agent.export.{name}", value)
    out = io.StringIO()
    assert write_export(store, out, fmt) == N  # type: ignore[arg-type]
    return out.getvalue()


def _rows_from_views(store: Engine) -> Iterator[dict[str, Any]]:
    """The export as one pass over every paper's view (store/views.paper_views), all loaded at
    once: the reference the streamed plain rows must equal."""
    for view in paper_views(store):
        paper, summary, failure = view.paper, view.summary, view.last_failure
        yield {
            "id": public_id(paper),
            "title": paper.title,
            "takeaway": summary.takeaway if summary else None,
            "has_claims": summary.has_claims if summary else None,
            "gains": [g.model_dump() for g in view.gains],
            "status": "ok" if summary else "failed" if failure else "pending",
            "engine": summary.engine if summary else failure.engine if failure else None,
            "model": summary.model if summary else None,
            "prompt_version": summary.prompt_version if summary else None,
            "error": None if summary or not failure else failure.error,
            "arxiv_id": paper.arxiv_id,
            "url": paper.url,
        }


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_streamed_in_chunks_is_byte_identical(
    store: Engine, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.views import export_records

    expected = _export(store, fmt, monkeypatch, export_rows=_rows_from_views)
    monkeypatch.undo()
    # many chunks, the last one ragged
    chunked = _export(store, fmt, monkeypatch, export_records=lambda s: export_records(s, chunk=17))
    assert chunked == expected and expected.count("\n") >= N
    assert len(list(export_rows(store))) == N


def test_stats_by_group_by_agree_with_every_paper_counted(store: Engine) -> None:
    stats = store_stats(store)
    views = paper_views(store)
    assert stats.papers == len(views) == N
    by: dict[str, int] = {}
    for v in views:
        if v.summary is not None:
            label = "offline engine" if v.summary.engine == "offline" else str(v.summary.model)
            by[label] = by.get(label, 0) + 1
    assert stats.summarized_by == by and "ana" in by
    assert stats.with_claims == sum(bool(v.summary and v.summary.has_claims) for v in views)
    assert stats.failed == sum(v.summary is None and v.last_failure is not None for v in views)
    assert stats.pending == sum(v.summary is None and v.last_failure is None for v in views)
    assert (stats.failed, stats.pending) == (3, 2)


@pytest.mark.parametrize(
    "profile",
    [None, {"keywords": ["Method12", "memory"], "threshold": 0.0}, {"keywords": ["Method1"]}],
)
@pytest.mark.parametrize("approved_only", [False, True])
def test_digest_top_n_is_the_head_of_the_whole_ranking(
    store: Engine, profile: dict[str, Any] | None, approved_only: bool
) -> None:
    from agent.config import ProfileSettings
    from agent.digest.select import collect

    settings = ProfileSettings(**profile) if profile is not None else None
    every = collect(store, profile=settings, approved_only=approved_only)
    for top in (1, 7, 50, 1000):
        head = collect(store, profile=settings, approved_only=approved_only, top=top)
        assert [
            (it.paper.id, it.summary.id, it.relevance, it.section, it.review) for it in head
        ] == [
            (it.paper.id, it.summary.id, it.relevance, it.section, it.review) for it in every[:top]
        ]
        assert [it.gains for it in head] == [it.gains for it in every[:top]]
