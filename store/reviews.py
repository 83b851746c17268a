"""Review state in the store: an append-only log of actions, and the status it implies."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agent.core.models import PaperSummary
from store.summaries import MadeBy, current_summary, save_summary
from store.tables import Paper, Review, Summary

STATUSES = ("draft", "approved", "corrected", "rejected")
HUMAN_PROMPT = "review"


def review_history(session: Session, paper: Paper, all_versions: bool = False) -> list[Review]:
    """Review actions on the paper (its current abstract unless `all_versions`), oldest first."""
    query = select(Review).where(Review.paper_id == paper.id)
    if not all_versions:
        query = query.where(Review.abstract_hash == paper.abstract_hash)
    return list(session.exec(query.order_by(col(Review.id))).all())


def latest_review(session: Session, paper: Paper) -> Review | None:
    return session.exec(
        select(Review)
        .where(Review.paper_id == paper.id, Review.abstract_hash == paper.abstract_hash)
        .order_by(col(Review.id).desc())
    ).first()


def review_status(session: Session, paper: Paper) -> str:
    """draft (never reviewed, or reopened), approved, corrected or rejected."""
    latest = latest_review(session, paper)
    return latest.status if latest else "draft"


def record_review(
    session: Session,
    paper: Paper,
    *,
    action: str,
    status: str,
    reviewer: str,
    note: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    correction_id: int | None = None,
) -> Review:
    """Append one review action; nothing earlier is changed."""
    assert paper.id is not None and status in STATUSES
    shown = current_summary(session, paper)
    row = Review(
        paper_id=paper.id,
        abstract_hash=paper.abstract_hash,
        summary_id=shown.id if shown else None,
        action=action,
        status=status,
        reviewer=reviewer,
        note=note,
        before=before,
        after=after,
        correction_id=correction_id,
    )
    session.add(row)
    return row


def save_correction(
    session: Session, paper: Paper, summary: PaperSummary, reviewer: str
) -> Summary:
    """Store a (validated) human correction; it is shown before any machine summary."""
    return save_summary(
        session, paper, summary, MadeBy(engine="human", model=reviewer, prompt_version=HUMAN_PROMPT)
    )
