"""The review queue: papers with their review status and shown summary, filtered and paged in
SQL (store/queue.py), a page at a time.

Shared by the web UI and the terminal review, so both show the same papers in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session

from agent.core.labels import engine_label
from agent.core.models import Gain
from store.papers import public_id
from store.queue import PAGE_SIZE, Neighbours, QueueQuery, matching_ids, queue_page
from store.queue import neighbours as find_neighbours
from store.queue import status_counts as count_statuses
from store.reviews import STATUSES, review_status
from store.summaries import current_summary, gains_of, newest_machine_failure
from store.tables import Paper, Summary
from store.views import PaperView, paper_views

ENGINES = ("human", "llm", "offline", "none")
ClaimsFilter = Literal["any", "yes", "no"]


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; empty values mean "any"."""

    status: str = ""
    engine: str = ""
    claims: ClaimsFilter = "any"
    failed: bool = False
    q: str = ""

    @classmethod
    def parse(
        cls,
        status: str | None = None,
        engine: str | None = None,
        claims: str | None = None,
        failed: str | bool | None = None,
        q: str | None = None,
    ) -> QueueFilter:
        """A filter from loose query-string values; unknown values are ignored, not errors."""
        flag = failed if isinstance(failed, bool) else (failed or "") in ("1", "true", "on", "yes")
        return cls(
            status=status if status in STATUSES else "",
            engine=engine if engine in ENGINES else "",
            claims=claims if claims in ("yes", "no") else "any",  # type: ignore[arg-type]
            failed=flag,
            q=(q or "").strip(),
        )

    def query(self) -> QueueQuery:
        """The filter as the store's queue query."""
        return QueueQuery(self.status, self.engine, self.claims, self.failed, self.q)

    def query_string(self) -> str:
        """The filter as URL query parameters (for links that keep the filter)."""
        from urllib.parse import urlencode

        params = {
            "status": self.status,
            "engine": self.engine,
            "claims": "" if self.claims == "any" else self.claims,
            "failed": "1" if self.failed else "",
            "q": self.q,
        }
        return urlencode({k: v for k, v in params.items() if v})


@dataclass
class QueueRow:
    """One paper as the queue lists it."""

    paper: Paper
    public_id: str
    status: str
    summary: Summary | None
    gains: list[Gain]
    failure: Summary | None

    @property
    def engine(self) -> str:
        return self.summary.engine if self.summary else "none"

    @property
    def maker(self) -> str:
        s = self.summary
        return engine_label(s.engine, s.model, s.prompt_version) if s else "no summary"

    @property
    def has_claims(self) -> bool:
        return bool(self.summary and self.summary.has_claims)

    @property
    def failed(self) -> bool:
        """The newest machine attempt on this abstract failed validation (or the call failed)."""
        return self.failure is not None


def queue_row(session: Session, paper: Paper) -> QueueRow:
    summary = current_summary(session, paper)
    return QueueRow(
        paper=paper,
        public_id=public_id(paper),
        status=review_status(session, paper),
        summary=summary,
        gains=gains_of(session, summary) if summary else [],
        failure=newest_machine_failure(session, paper),
    )


def _row(view: PaperView) -> QueueRow:
    return QueueRow(
        paper=view.paper,
        public_id=public_id(view.paper),
        status=view.status,
        summary=view.summary,
        gains=view.gains,
        failure=view.machine_failure,
    )


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, with the keys of the pages before and after it."""

    rows: list[QueueRow]
    prev_before: int | None
    next_after: int | None


def load_page(
    store: Engine,
    wanted: QueueFilter | None = None,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> QueuePage:
    """A page of papers matching `wanted`, in the order they were stored: the ids from one
    keyset statement (store/queue.py), then the views of just those papers."""
    page = queue_page(
        store, (wanted or QueueFilter()).query(), after=after, before=before, size=size
    )
    views = paper_views(store, ids=page.ids) if page.ids else []
    return QueuePage([_row(v) for v in views], page.prev_before, page.next_after)


def queue_ids(store: Engine, wanted: QueueFilter | None = None) -> list[int]:
    """Every matching paper id in order (one statement), for walking the queue paper by paper."""
    return matching_ids(store, (wanted or QueueFilter()).query())


def neighbours(store: Engine, paper_id: int, wanted: QueueFilter) -> Neighbours:
    """The matching papers just before and after `paper_id` (two keyset statements)."""
    return find_neighbours(store, paper_id, wanted.query())


def status_counts(store: Engine) -> dict[str, int]:
    """How many papers have each review status (one statement)."""
    return count_statuses(store, STATUSES)
