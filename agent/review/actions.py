"""Review actions: approve, correct, reject or reopen a paper's summary.

A correction passes the same validation as model output (quotes verbatim in the abstract,
values in the quotes, takeaway length and numbers) or is refused with the reasons. Every action
is appended to the review log with who did it, when, before and after.
"""

from __future__ import annotations

import getpass
from typing import Any

from sqlmodel import Session

from agent.core.errors import CorrectionRefused
from agent.core.models import PaperSummary
from agent.core.validate import normalize_summary, summary_errors
from store.papers import public_id
from store.reviews import record_review, save_correction
from store.summaries import as_paper_summary, current_summary
from store.tables import Paper, Review


def default_reviewer(configured: str | None = None) -> str:
    """The reviewer's name: from config, else the OS user."""
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "reviewer"


def _shown(session: Session, paper: Paper) -> dict[str, Any] | None:
    summary = current_summary(session, paper)
    if summary is None:
        return None
    return as_paper_summary(session, public_id(paper), summary).model_dump()


def approve(session: Session, paper: Paper, reviewer: str, note: str | None = None) -> Review:
    shown = _shown(session, paper)
    return record_review(
        session,
        paper,
        action="approve",
        status="approved",
        reviewer=reviewer,
        note=note,
        before=shown,
        after=shown,
    )


def reject(session: Session, paper: Paper, reviewer: str, note: str | None = None) -> Review:
    return record_review(
        session,
        paper,
        action="reject",
        status="rejected",
        reviewer=reviewer,
        note=note,
        before=_shown(session, paper),
    )


def reopen(session: Session, paper: Paper, reviewer: str, note: str | None = None) -> Review:
    shown = _shown(session, paper)
    return record_review(
        session,
        paper,
        action="reopen",
        status="draft",
        reviewer=reviewer,
        note=note,
        before=shown,
        after=shown,
    )


def correct(
    session: Session,
    paper: Paper,
    correction: PaperSummary,
    reviewer: str,
    note: str | None = None,
) -> Review:
    """Store a corrected summary, or raise CorrectionRefused with every rule it breaks."""
    fixed = normalize_summary(correction.model_copy(update={"id": public_id(paper)}))
    if errors := summary_errors(fixed, paper.abstract):
        raise CorrectionRefused(errors)
    before = _shown(session, paper)
    saved = save_correction(session, paper, fixed, reviewer)
    return record_review(
        session,
        paper,
        action="correct",
        status="corrected",
        reviewer=reviewer,
        note=note,
        before=before,
        after=fixed.model_dump(),
        correction_id=saved.id,
    )
