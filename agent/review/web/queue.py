"""The review queue: every paper with its review status and shown summary, filtered.

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
from store.reviews import STATUSES, review_status
from store.summaries import current_summary, gains_of, newest_machine_failure
from store.tables import Paper, Summary
from store.views import PaperView, paper_views
from store.views import status_counts as count_statuses

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


def _matches(row: QueueRow, wanted: QueueFilter) -> bool:
    if wanted.status and row.status != wanted.status:
        return False
    if wanted.engine and row.engine != wanted.engine:
        return False
    if wanted.claims != "any" and row.has_claims != (wanted.claims == "yes"):
        return False
    if wanted.failed and not row.failed:
        return False
    if wanted.q:
        needle = wanted.q.casefold()
        haystack = " ".join(
            [
                row.public_id,
                row.paper.title,
                row.paper.abstract,
                (row.summary.takeaway or "") if row.summary else "",
            ]
        ).casefold()
        return needle in haystack
    return True


def _row(view: PaperView) -> QueueRow:
    return QueueRow(
        paper=view.paper,
        public_id=public_id(view.paper),
        status=view.status,
        summary=view.summary,
        gains=view.gains,
        failure=view.machine_failure,
    )


def load_queue(store: Engine, wanted: QueueFilter | None = None) -> list[QueueRow]:
    """Papers matching `wanted`, in the order they were stored (a fixed few statements)."""
    wanted = wanted or QueueFilter()
    rows = [_row(view) for view in paper_views(store)]
    return [row for row in rows if _matches(row, wanted)]


def status_counts(store: Engine) -> dict[str, int]:
    """How many papers have each review status."""
    return count_statuses(store, STATUSES)
