"""Read models: what the queue, the digest, exports and stats show of every paper, each built
from a fixed number of statements whatever the number of papers (never one query per paper).

The rules are those of store/summaries.py and store/reviews.py (the summary readers see, the
review status), applied in Python to rows fetched in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Engine, and_, case, func
from sqlalchemy import select as core_select  # more columns than sqlmodel's select types
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from agent.core.models import Gain
from store.queue import shown_summary_id
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


def paper_views(
    store: Engine, *, not_in_digest: bool = False, ids: Iterable[int] | None = None
) -> list[PaperView]:
    """Every paper (or those in no digest yet, or those with these ids), in the order they were
    stored: four statements."""
    with Session(store, expire_on_commit=False) as session:
        return _paper_views(session, not_in_digest, None if ids is None else list(ids))


def iter_paper_views(
    store: Engine, *, not_in_digest: bool = False, chunk: int = 2_000
) -> Iterator[PaperView]:
    """Every paper's view in id order, read in keyset chunks (four statements a chunk), so
    memory stays flat however many papers the store holds."""
    after = 0
    while True:
        with Session(store, expire_on_commit=False) as session:
            views = _paper_views(session, not_in_digest, None, after=after, limit=chunk)
        yield from views
        if len(views) < chunk:
            return
        after = views[-1].paper.id or 0


def _paper_views(
    session: Session,
    not_in_digest: bool,
    ids: list[int] | None,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[PaperView]:
    # every statement is limited to the same papers
    only: list[ColumnElement[bool]] = []
    if not_in_digest:
        only.append(~col(Paper.id).in_(select(DigestEntry.paper_id)))
    if ids is not None:
        only.append(col(Paper.id).in_(ids))
    if after is not None and limit is not None:
        # a keyset chunk: ids after `after`, up to the `limit`-th one (a bound the other
        # statements can use as a range on their paper_id index)
        upper = (
            select(col(Paper.id))
            .where(col(Paper.id) > after, *only)
            .order_by(col(Paper.id))
            .offset(limit - 1)
            .limit(1)
            .scalar_subquery()
        )
        only += [col(Paper.id) > after, col(Paper.id) <= func.coalesce(upper, after + 2**62)]
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
    """Counts over the store, for `paperskim stats` and the end-of-run report: one GROUP BY
    over the papers (by who made the summary shown, or whether an attempt failed), then the
    call and run totals."""
    shown = aliased(Summary)
    failed = aliased(Summary)
    attempt_failed = (
        select(col(failed.id))
        .where(
            col(failed.paper_id) == col(Paper.id),
            col(failed.abstract_hash) == col(Paper.abstract_hash),
            col(failed.status) != "ok",
        )
        .correlate(Paper)
        .exists()
    )
    outcome = case((col(shown.id).is_not(None), "ok"), (attempt_failed, "failed"), else_="pending")
    stats = StoreStats()
    with Session(store) as session:
        rows = session.execute(
            core_select(
                outcome,
                col(shown.engine),
                col(shown.model),
                func.count(),
                func.coalesce(func.sum(case((col(shown.has_claims).is_(True), 1), else_=0)), 0),
            )
            .select_from(Paper)
            .outerjoin(shown, col(shown.id) == shown_summary_id())
            .group_by(outcome, col(shown.engine), col(shown.model))
        ).all()
        for state, engine, model, n, claims in rows:
            stats.papers += n
            if state == "ok":
                label = "offline engine" if engine == "offline" else str(model)
                stats.summarized_by[label] = stats.summarized_by.get(label, 0) + n
                stats.with_claims += claims
            elif state == "failed":
                stats.failed += n
            else:
                stats.pending += n
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


@dataclass(frozen=True)
class GainFacts:
    """What ranking reads of a claimed gain (agent/core/units.GainLike and its caveats)."""

    kind: str
    value: float
    value_high: float | None
    unit: str
    baseline: str | None
    qualifier: str | None


@dataclass(frozen=True)
class Candidate:
    """What a digest ranks a paper by, without loading the paper and its summary as objects."""

    paper_id: int
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    takeaway: str
    status: str
    llm_relevance: tuple[int, str] | None
    gains: list[GainFacts]


def digest_candidates(
    store: Engine,
    statuses: Iterable[str],
    *,
    not_in_digest: bool = False,
    chunk: int = 5_000,
) -> Iterator[Candidate]:
    """Papers with a summary shown and a review status in `statuses`, in id order, as plain
    rows read in keyset chunks (two statements a chunk: papers with their shown summary, status
    and newest LLM rating; the gains of those summaries). The digest ranks these and loads
    only the ones it keeps (paper_views(ids=...))."""
    from store.queue import review_status

    wanted = list(statuses)
    shown = aliased(Summary)
    rated = aliased(Summary)
    rating = (
        select(col(rated.id))
        .where(
            col(rated.paper_id) == col(Paper.id),
            col(rated.abstract_hash) == col(Paper.abstract_hash),
            col(rated.status) == "ok",
            col(rated.relevance_score).is_not(None),
        )
        .order_by(col(rated.id).desc())
        .limit(1)
        .correlate(Paper)
        .scalar_subquery()
    )
    rater = aliased(Summary)
    status = review_status()
    only = [~col(Paper.id).in_(select(DigestEntry.paper_id))] if not_in_digest else []
    after = 0
    while True:
        with Session(store) as session:
            rows = session.execute(
                core_select(
                    col(Paper.id),
                    col(Paper.title),
                    col(Paper.abstract),
                    col(Paper.authors),
                    col(Paper.categories),
                    col(shown.id),
                    col(shown.takeaway),
                    status,
                    col(rater.relevance_score),
                    col(rater.relevance_reason),
                )
                .select_from(Paper)
                .join(shown, col(shown.id) == shown_summary_id())
                .outerjoin(rater, col(rater.id) == rating)
                .where(col(Paper.id) > after, status.in_(wanted), *only)
                .order_by(col(Paper.id))
                .limit(chunk)
            ).all()
            if not rows:
                return
            gains: dict[int, list[GainFacts]] = {}
            for g in session.execute(
                core_select(
                    col(GainRecord.summary_id),
                    col(GainRecord.kind),
                    col(GainRecord.value),
                    col(GainRecord.value_high),
                    col(GainRecord.unit),
                    col(GainRecord.baseline),
                    col(GainRecord.qualifier),
                )
                .where(col(GainRecord.summary_id).in_([r[5] for r in rows]))
                .order_by(col(GainRecord.summary_id), col(GainRecord.position))
            ):
                gains.setdefault(g[0], []).append(GainFacts(*g[1:]))
        for pid, title, abstract, authors, categories, sid, takeaway, st, score, why in rows:
            yield Candidate(
                pid,
                title,
                abstract,
                list(authors or []),
                list(categories or []),
                takeaway or "",
                st,
                None if score is None else (score, why or ""),
                gains.get(sid, []),
            )
        if len(rows) < chunk:
            return
        after = rows[-1][0]
