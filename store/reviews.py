"""Review state in the store: an append-only log of actions, and the status it implies (kept
in the paper's read state, store/paper_state.py, by every action recorded here)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col, select

from agent.core.models import PaperSummary
from store import paper_state
from store.summaries import MadeBy, current_summary, save_summary
from store.tables import Paper, PaperState, Review, Summary

STATUSES = ("draft", "approved", "corrected", "rejected")
HUMAN_PROMPT = "review"


def review_history(session: Session, paper: Paper, all_versions: bool = False) -> list[Review]:
    """Review actions on the paper (its current abstract unless `all_versions`), oldest first."""
    query = select(Review).where(Review.paper_id == paper.id)
    if not all_versions:
        query = query.where(Review.abstract_hash == paper.abstract_hash)
    return list(session.exec(query.order_by(col(Review.id))).all())


def review_status(session: Session, paper: Paper) -> str:
    """draft (never reviewed, or reopened), approved, corrected or rejected: the status of the
    latest review of the current abstract, as the paper's read state keeps it."""
    status = session.exec(
        select(PaperState.status).where(col(PaperState.paper_id) == paper.id)
    ).first()
    return status or "draft"


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
    session.flush()
    paper_state.refresh(session.connection(), [paper.id])
    return row


def save_correction(
    session: Session, paper: Paper, summary: PaperSummary, reviewer: str
) -> Summary:
    """Store a (validated) human correction; it is shown before any machine summary."""
    return save_summary(
        session, paper, summary, MadeBy(engine="human", model=reviewer, prompt_version=HUMAN_PROMPT)
    )


def vouched_summaries(session: Session) -> list[tuple[Paper, Summary]]:
    """Papers whose current abstract a person approved or corrected, with what they vouched
    for: the summary shown when it was approved (even if a newer machine summary came later),
    or the correction. Two statements, whatever the number of papers."""
    rows = session.exec(
        select(Review, Paper)
        .join(
            Paper,
            and_(
                col(Review.paper_id) == col(Paper.id),
                col(Review.abstract_hash) == col(Paper.abstract_hash),
            ),
        )
        .order_by(col(Review.id))
    ).all()
    latest = {paper.id: (review, paper) for review, paper in rows}
    wanted: dict[int, Paper] = {}
    for review, paper in latest.values():
        if review.status in ("approved", "corrected"):
            summary_id = review.correction_id if review.status == "corrected" else review.summary_id
            if summary_id is not None:
                wanted[summary_id] = paper
    if not wanted:
        return []
    summaries = session.exec(
        select(Summary).where(col(Summary.id).in_(list(wanted)), Summary.status == "ok")
    ).all()
    by_id = {s.id: s for s in summaries}
    ordered = sorted(wanted.items(), key=lambda kv: kv[1].id or 0)
    return [(paper, by_id[sid]) for sid, paper in ordered if sid in by_id]
