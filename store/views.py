"""Read models: what the queue, the digest, exports and stats show of every paper, each built
from a fixed number of statements whatever the number of papers (never one query per paper).

The rules are those of store/summaries.py and store/reviews.py (the summary readers see, the
review status), applied in Python to rows fetched in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Engine, and_, func
from sqlmodel import Session, col, select

from agent.core.models import Gain
from store.summaries import ENGINE_PREFERENCE
from store.tables import Digest, DigestEntry, GainRecord, LLMCall, Paper, Review, Run, Summary


@dataclass
class PaperView:
    """One paper with what is known of its current abstract."""

    paper: Paper
    summary: Summary | None = None  # the summary readers see (store/summaries.current_summary)
    gains: list[Gain] = field(default_factory=list)
    status: str = "draft"  # review status (store/reviews.review_status)
    machine_failure: Summary | None = None  # newest machine attempt, when it failed
    last_failure: Summary | None = None  # newest failed attempt of any kind
    llm_relevance: tuple[int, str] | None = None  # newest LLM relevance rating


def _current_abstract() -> ColumnElement[bool]:
    return and_(
        col(Summary.paper_id) == col(Paper.id),
        col(Summary.abstract_hash) == col(Paper.abstract_hash),
    )


def paper_views(store: Engine, *, not_in_digest: bool = False) -> list[PaperView]:
    """Every paper (or those in no digest yet), in the order they were stored: four statements."""
    with Session(store, expire_on_commit=False) as session:
        return _paper_views(session, not_in_digest)


def _paper_views(session: Session, not_in_digest: bool) -> list[PaperView]:
    # every statement is limited to the same papers
    only = [~col(Paper.id).in_(select(DigestEntry.paper_id))] if not_in_digest else []
    papers = session.exec(select(Paper).where(*only).order_by(col(Paper.id))).all()
    views = {p.id: PaperView(p) for p in papers}
    summaries = session.exec(
        select(Summary).join(Paper, _current_abstract()).where(*only).order_by(col(Summary.id))
    ).all()
    for s in summaries:  # oldest first: later rows overwrite "newest" fields
        view = views.get(s.paper_id)
        if view is None:
            continue
        if s.status == "ok":
            best = view.summary
            rank = (ENGINE_PREFERENCE.get(s.engine, 9), -(s.id or 0))
            if best is None or rank < (ENGINE_PREFERENCE.get(best.engine, 9), -(best.id or 0)):
                view.summary = s
            if s.relevance_score is not None:
                view.llm_relevance = (s.relevance_score, s.relevance_reason or "")
        else:
            view.last_failure = s
        if s.engine != "human":
            view.machine_failure = s if s.status != "ok" else None
    current = {v.summary.id: v for v in views.values() if v.summary is not None}
    gains = session.exec(
        select(GainRecord)
        .join(Summary, col(Summary.id) == col(GainRecord.summary_id))
        .join(Paper, _current_abstract())
        .where(col(Summary.status) == "ok", *only)
        .order_by(col(GainRecord.summary_id), col(GainRecord.position))
    ).all()
    for g in gains:
        if (view := current.get(g.summary_id)) is not None:
            view.gains.append(
                Gain.model_validate(g.model_dump(exclude={"id", "summary_id", "position"}))
            )
    reviews = session.exec(
        select(Review.paper_id, Review.status)
        .join(
            Paper,
            and_(
                col(Review.paper_id) == col(Paper.id),
                col(Review.abstract_hash) == col(Paper.abstract_hash),
            ),
        )
        .where(*only)
        .order_by(col(Review.id))
    ).all()
    for paper_id, status in reviews:
        if (view := views.get(paper_id)) is not None:
            view.status = status
    return list(views.values())


def status_counts(store: Engine, statuses: Iterable[str]) -> dict[str, int]:
    """How many papers have each review status (papers never reviewed are drafts)."""
    counts = dict.fromkeys(statuses, 0)
    for view in paper_views(store):
        counts[view.status] = counts.get(view.status, 0) + 1
    return counts


@dataclass
class StoreStats:
    papers: int = 0
    summarized_by: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    pending: int = 0
    with_claims: int = 0
    llm_calls: int = 0
    llm_errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    digests: int = 0
    runs: int = 0


def store_stats(store: Engine) -> StoreStats:
    """Counts over the store, for `paperskim stats` and the end-of-run report."""
    stats = StoreStats()
    for view in paper_views(store):
        stats.papers += 1
        summary = view.summary
        if summary is not None:
            label = "offline engine" if summary.engine == "offline" else str(summary.model)
            stats.summarized_by[label] = stats.summarized_by.get(label, 0) + 1
            stats.with_claims += bool(summary.has_claims)
        elif view.last_failure is not None:
            stats.failed += 1
        else:
            stats.pending += 1
    with Session(store) as session:
        _call_and_run_counts(session, stats)
    return stats


def _call_and_run_counts(session: Session, stats: StoreStats) -> None:
    calls, errors = session.exec(
        select(func.count(col(LLMCall.id)), func.count(col(LLMCall.error)))
    ).one()
    tokens_in, tokens_out, cost = session.exec(
        select(
            func.coalesce(func.sum(LLMCall.input_tokens), 0),
            func.coalesce(func.sum(LLMCall.output_tokens), 0),
            func.sum(LLMCall.cost_usd),
        )
    ).one()
    stats.llm_calls, stats.llm_errors = calls, errors
    stats.input_tokens, stats.output_tokens, stats.cost_usd = tokens_in, tokens_out, cost
    stats.digests = session.exec(select(func.count(col(Digest.id)))).one()
    stats.runs = session.exec(select(func.count(col(Run.id)))).one()
