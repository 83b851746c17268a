"""Summaries and gains in the store: what needs work, saving results, the current summary.

Every write here also brings the papers' read state up to date (store/paper_state.py), in the
same transaction; the look-ups of what readers see (current_summary, last_failure, ...) read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert
from sqlmodel import Session, col, select

from agent.core.models import Gain, PaperSummary
from agent.core.units import claim_strength
from store import paper_state
from store.tables import GainRecord, Paper, PaperState, Summary, utcnow


@dataclass(frozen=True)
class MadeBy:
    """Which engine, model and prompt version produce (or produced) a summary."""

    engine: str
    model: str | None
    prompt_version: str


def needs_summary_clause(made_by: MadeBy) -> ColumnElement[bool]:
    """Papers whose current abstract has no valid summary from this engine, model and prompt,
    as a clause to combine (store/work_queue.py adds its claims to it)."""
    model_matches = (
        col(Summary.model).is_(None)
        if made_by.model is None
        else col(Summary.model) == made_by.model
    )
    done = exists().where(
        and_(
            col(Summary.paper_id) == col(Paper.id),
            col(Summary.abstract_hash) == col(Paper.abstract_hash),
            col(Summary.status) == "ok",
            col(Summary.engine) == made_by.engine,
            model_matches,
            col(Summary.prompt_version) == made_by.prompt_version,
        )
    )
    return ~done


def _new_summary(
    paper: Paper,
    made_by: MadeBy,
    run_id: int | None,
    llm_call_id: int | None,
    *,
    status: str,
    takeaway: str | None = None,
    has_claims: bool | None = None,
    error: str | None = None,
) -> Summary:
    assert paper.id is not None
    return Summary(
        paper_id=paper.id,
        abstract_hash=paper.abstract_hash,
        engine=made_by.engine,
        model=made_by.model,
        prompt_version=made_by.prompt_version,
        run_id=run_id,
        llm_call_id=llm_call_id,
        status=status,
        takeaway=takeaway,
        has_claims=has_claims,
        error=error,
    )


def save_summary(
    session: Session,
    paper: Paper,
    summary: PaperSummary,
    made_by: MadeBy,
    *,
    run_id: int | None = None,
    llm_call_id: int | None = None,
) -> Summary:
    """Store a summary that has passed validation, with its gains in order."""
    row = _new_summary(
        paper,
        made_by,
        run_id,
        llm_call_id,
        status="ok",
        takeaway=summary.takeaway,
        has_claims=summary.has_claims,
    )
    rating = getattr(summary, "relevance", None)  # SummaryAnswer from an LLM with interests
    if rating is not None:
        row.relevance_score, row.relevance_reason = rating.score, rating.reason
    row.strength = claim_strength(summary.gains)
    session.add(row)
    session.flush()
    assert row.id is not None
    for position, gain in enumerate(summary.gains):
        session.add(GainRecord(summary_id=row.id, position=position, **gain.model_dump()))
    paper_state.refresh(session.connection(), [row.paper_id])
    return row


def save_failure(
    session: Session,
    paper: Paper,
    reason: str,
    made_by: MadeBy,
    *,
    run_id: int | None = None,
    llm_call_id: int | None = None,
) -> Summary:
    """Record that this paper could not be summarized, and why. No output is stored."""
    # Only machine attempts fail (a correction is stored once it passes validation), which
    # store/paper_state.py counts on.
    assert made_by.engine != "human"
    row = _new_summary(paper, made_by, run_id, llm_call_id, status="failed", error=reason)
    session.add(row)
    session.flush()
    paper_state.refresh(session.connection(), [row.paper_id])
    return row


@dataclass(frozen=True)
class NewSummary:
    """One result to store in bulk: a validated summary, or (summary None) why there is none."""

    paper: Paper
    summary: PaperSummary | None
    error: str | None = None
    llm_call_id: int | None = None


def papers_by_id(session: Session, paper_ids: Iterable[int]) -> dict[int, Paper]:
    """The papers with these ids, in one query (those deleted meanwhile are missing)."""
    ids = sorted(set(paper_ids))
    if not ids:
        return {}
    rows = session.exec(select(Paper).where(col(Paper.id).in_(ids))).all()
    return {row.id: row for row in rows if row.id is not None}


def save_summaries(
    session: Session, results: Sequence[NewSummary], made_by: MadeBy, *, run_id: int | None
) -> None:
    """Store many summaries and failures at once, in `session`'s transaction (the caller
    commits): one multi-row insert of the summaries, whose ids come back in order, then one of
    all their gains, then the papers' read state. The same rows `save_summary` and
    `save_failure` write one at a time."""
    if not results:
        return
    assert made_by.engine != "human"  # a correction is one save_summary (see save_failure)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for result in results:
        summary = result.summary
        rating = getattr(summary, "relevance", None)  # SummaryAnswer from an LLM with interests
        rows.append(
            {
                "paper_id": result.paper.id,
                "abstract_hash": result.paper.abstract_hash,
                "engine": made_by.engine,
                "model": made_by.model,
                "prompt_version": made_by.prompt_version,
                "run_id": run_id,
                "llm_call_id": result.llm_call_id,
                "status": "failed" if summary is None else "ok",
                "takeaway": None if summary is None else summary.takeaway,
                "has_claims": None if summary is None else summary.has_claims,
                "error": result.error if summary is None else None,
                "relevance_score": None if rating is None else rating.score,
                "relevance_reason": None if rating is None else rating.reason,
                "strength": None if summary is None else claim_strength(summary.gains),
                "created_at": now,
            }
        )
    table = Summary.__table__  # type: ignore[attr-defined]
    # Ids are matched back by paper (one result per paper here), not by the order rows come
    # back in: asking for that order makes SQLAlchemy insert one row at a time on SQLite.
    statement = insert(table).returning(table.c.paper_id, table.c.id)
    ids = {int(paper_id): int(row_id) for paper_id, row_id in session.execute(statement, rows)}
    gains = [
        {"summary_id": ids[result.paper.id or 0], "position": position, **gain.model_dump()}
        for result in results
        if result.summary is not None
        for position, gain in enumerate(result.summary.gains)
    ]
    if gains:
        session.execute(insert(GainRecord.__table__), gains)  # type: ignore[attr-defined]
    paper_state.refresh(session.connection(), ids)


def gains_of(session: Session, summary: Summary) -> list[Gain]:
    rows = session.exec(
        select(GainRecord)
        .where(GainRecord.summary_id == summary.id)
        .order_by(col(GainRecord.position))
    ).all()
    return [
        Gain.model_validate(row.model_dump(exclude={"id", "summary_id", "position"}))
        for row in rows
    ]


def _state_summary(session: Session, paper: Paper, which: Any) -> Summary | None:
    """The summary the paper's read state names in column `which` (store/paper_state.py)."""
    return session.exec(
        select(Summary)
        .join(PaperState, which == col(Summary.id))
        .where(col(PaperState.paper_id) == paper.id)
    ).first()


def current_summary(session: Session, paper: Paper) -> Summary | None:
    """The summary readers see: valid, for the current abstract, LLM before offline, newest."""
    return _state_summary(session, paper, col(PaperState.summary_id))


def last_failure(session: Session, paper: Paper) -> Summary | None:
    """The newest failed attempt on the current abstract, if any."""
    return _state_summary(session, paper, col(PaperState.failure_id))


def as_paper_summary(session: Session, paper_public_id: str, summary: Summary) -> PaperSummary:
    """A stored summary back in the output model (the gold schema of ANNOTATION.md)."""
    return PaperSummary(
        id=paper_public_id,
        takeaway=summary.takeaway or "",
        has_claims=bool(summary.has_claims),
        gains=gains_of(session, summary),
    )


def llm_relevance(session: Session, paper: Paper) -> tuple[int, str] | None:
    """The newest LLM relevance rating of the paper's current abstract (kept even when a human
    correction is the summary shown), or None when no LLM was asked."""
    row = _state_summary(session, paper, col(PaperState.rating_id))
    if row is None or row.relevance_score is None:
        return None
    return row.relevance_score, row.relevance_reason or ""


def newest_machine_failure(session: Session, paper: Paper) -> Summary | None:
    """The newest machine attempt on the current abstract, when it failed; else None. (Only
    machine attempts fail: a correction is stored only once it passes validation.)"""
    failed = session.exec(
        select(PaperState.failed).where(col(PaperState.paper_id) == paper.id)
    ).first()
    return last_failure(session, paper) if failed else None


def summary_history(session: Session, paper: Paper) -> list[Summary]:
    """Every summary and failed attempt of the paper, all versions, oldest first."""
    return list(
        session.exec(
            select(Summary).where(Summary.paper_id == paper.id).order_by(col(Summary.id))
        ).all()
    )


def attempts_on_current(session: Session, paper: Paper) -> list[Summary]:
    """Every attempt on the paper's current abstract, newest first."""
    return list(
        session.exec(
            select(Summary)
            .where(Summary.paper_id == paper.id, Summary.abstract_hash == paper.abstract_hash)
            .order_by(col(Summary.id).desc())
        ).all()
    )
