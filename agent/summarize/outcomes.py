"""Storing what an engine made: the one place outcomes become stored summaries or failures.

Every path that summarizes (the summarize step, Batch API jobs, regenerating one paper from the
review UI) stores through `store_outcomes`, inside the transaction that gives back its work-queue
claims, so each gets the same two guards: a result for a paper whose claim we lost belongs to
the worker that holds it now, and an answer for an abstract that changed while it was on its
way describes the old text and is not stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session

from agent.core.validate import summary_errors
from agent.summarize.llm_engine import PaperOutcome
from store.papers import public_id
from store.summaries import MadeBy, NewSummary, papers_by_id, save_summaries


@dataclass
class SummarizeReport:
    """What one summarize step did."""

    candidates: int = 0
    pending: int = 0  # papers that needed a summary (candidates is this cut to --limit)
    summarized: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    # Papers summarized with a caveat (e.g. an abstract cut to fit): (public id, what).
    warnings: list[tuple[str, str]] = field(default_factory=list)
    stale: int = 0  # answers for an abstract that changed meanwhile, not stored
    # Summaries taken from answers already in the call log instead of a new request.
    replayed: int = 0
    made_by: MadeBy | None = None  # the engine/model/prompt that made them
    # The work queue ran out: what this run left was done by other workers sharing the store.
    drained: bool = False

    @property
    def not_tried(self) -> int:
        """Papers that needed a summary but were never sent (beyond --limit, or after Ctrl-C)."""
        if self.drained:
            return 0
        return max(self.pending - self.summarized - self.failed - self.stale, 0)


def store_outcomes(
    session: Session,
    held: Iterable[int],
    made_by: MadeBy,
    outcomes: Iterable[PaperOutcome],
    report: SummarizeReport,
    *,
    run_id: int | None,
) -> None:
    """Store `outcomes` in `session` (the caller commits), only for papers in `held`.

    A whole chunk goes in at once: its papers are read in one query and its summaries and gains
    written by two bulk inserts, so a chunk of 256 costs a handful of statements, not 256
    transactions.
    """
    held = set(held)
    mine = [o for o in outcomes if o.item.paper_id in held]
    # (our claim on the others expired and another worker owns those papers now)
    papers = papers_by_id(session, (o.item.paper_id for o in mine))
    results: list[NewSummary] = []
    for outcome in mine:
        # pop: a second outcome for one paper in a chunk (no engine makes one) is not stored
        paper = papers.pop(outcome.item.paper_id, None)
        if paper is None:
            continue
        if outcome.item.abstract not in paper.abstract or (
            outcome.summary is not None and summary_errors(outcome.summary, paper.abstract)
        ):
            # The abstract changed (a new version was ingested) while this answer was on its
            # way: it describes the old text, so store nothing; the new version stays pending.
            report.stale += 1
            continue
        if outcome.summary is not None:
            report.summarized += 1
            if outcome.warning:
                report.warnings.append((public_id(paper), outcome.warning))
            results.append(NewSummary(paper, outcome.summary, llm_call_id=outcome.call_id))
        else:
            reason = outcome.error or "unknown error"
            report.failed += 1
            report.failures.append((public_id(paper), reason))
            results.append(NewSummary(paper, None, reason, llm_call_id=outcome.call_id))
    save_summaries(session, results, made_by, run_id=run_id)
