"""Read models: what the queue, the digest, exports and stats show of every paper, each built
from a fixed number of statements whatever the number of papers (never one query per paper).

What readers see of a paper (the summary shown, the review status, failures, the LLM rating,
the claim strength) is its read state (store/paper_state.py), joined here to the rows it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, case, func, literal, or_, true
from sqlalchemy import select as core_select  # more columns than sqlmodel's select types
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from agent.core.models import Gain
from store.papers import public_id
from store.tables import Digest, DigestEntry, GainRecord, LLMCall, Paper, PaperState, Run, Summary

# A gain's columns in the order of the output model (what Gain.model_dump() gives).
GAIN_FIELDS = tuple(Gain.model_fields)
T = TypeVar("T")


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


def paper_views(
    store: Engine, *, not_in_digest: bool = False, ids: Iterable[int] | None = None
) -> list[PaperView]:
    """Every paper (or those in no digest yet, or those with these ids), in the order they were
    stored: four statements."""
    with Session(store, expire_on_commit=False) as session:
        return _paper_views(session, not_in_digest, None if ids is None else list(ids))


def _rating(score: int | None, reason: str | None) -> tuple[int, str] | None:
    """An LLM relevance rating as readers get it (None: no LLM was asked)."""
    return None if score is None else (score, reason or "")


def _keyset(
    store: Engine, read: Callable[[Session, int], list[T]], key: Callable[[T], int], chunk: int
) -> Iterator[T]:
    """What `read(session, after)` finds a keyset chunk at a time (at most `chunk` items, in
    paper id order, each read in a session of its own), until a chunk comes back short; so
    memory stays flat however many papers the store holds."""
    after = 0
    while True:
        with Session(store, expire_on_commit=False) as session:
            found = read(session, after)
        yield from found
        if len(found) < chunk:
            return
        after = key(found[-1])


def iter_paper_views(
    store: Engine, *, not_in_digest: bool = False, chunk: int = 2_000
) -> Iterator[PaperView]:
    """Every paper's view in id order, read in keyset chunks (three statements a chunk)."""
    return _keyset(
        store,
        lambda session, after: _paper_views(session, not_in_digest, None, after=after, limit=chunk),
        lambda view: view.paper.id or 0,
        chunk,
    )


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
    state = PaperState
    rows = session.execute(
        core_select(
            Paper,
            col(state.summary_id),
            col(state.status),
            col(state.failed),
            col(state.failure_id),
            col(state.rating_id),
        )
        .outerjoin(state, col(state.paper_id) == col(Paper.id))
        .where(*only)
        .order_by(col(Paper.id))
    ).all()
    # the summaries the states name: shown, newest failure, newest rating
    named = session.exec(
        select(Summary)
        .join(
            state,
            or_(
                col(Summary.id) == col(state.summary_id),
                col(Summary.id) == col(state.failure_id),
                col(Summary.id) == col(state.rating_id),
            ),
        )
        .join(Paper, col(Paper.id) == col(state.paper_id))
        .where(*only)
    ).all()
    by_id = {s.id: s for s in named}
    views = []
    for paper, shown, status, failed, failure_id, rating_id in rows:
        failure = by_id.get(failure_id)
        rating = by_id.get(rating_id)
        views.append(
            PaperView(
                paper,
                summary=by_id.get(shown),
                status=status or "draft",
                # only machine attempts fail (store/summaries.save_failure)
                machine_failure=failure if failed else None,
                last_failure=failure,
                llm_relevance=_rating(rating.relevance_score, rating.relevance_reason)
                if rating
                else None,
            )
        )
    current = {v.summary.id: v for v in views if v.summary is not None}
    gains = session.exec(
        select(GainRecord)
        .join(state, col(state.summary_id) == col(GainRecord.summary_id))
        .join(Paper, col(Paper.id) == col(state.paper_id))
        .where(*only)
        .order_by(col(GainRecord.summary_id), col(GainRecord.position))
    ).all()
    for g in gains:
        if (view := current.get(g.summary_id)) is not None:
            view.gains.append(
                Gain.model_validate(g.model_dump(exclude={"id", "summary_id", "position"}))
            )
    return views


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
    over the papers' read states (by who made the summary shown, or whether an attempt
    failed), then the call and run totals."""
    state = PaperState
    shown = aliased(Summary)
    outcome = case(
        (col(state.summary_id).is_not(None), "ok"),
        (col(state.failure_id).is_not(None), "failed"),
        else_="pending",
    )
    stats = StoreStats()
    with Session(store) as session:
        rows = session.execute(
            core_select(
                outcome,
                col(shown.engine),
                col(shown.model),
                func.count(),
                func.coalesce(func.sum(case((col(state.has_claims) == true(), 1), else_=0)), 0),
            )
            .select_from(Paper)
            .outerjoin(state, col(state.paper_id) == col(Paper.id))
            .outerjoin(shown, col(shown.id) == col(state.summary_id))
            .group_by(outcome, col(shown.engine), col(shown.model))
        ).all()
        for status, engine, model, n, claims in rows:
            stats.papers += n
            if status == "ok":
                label = "offline engine" if engine == "offline" else str(model)
                stats.summarized_by[label] = stats.summarized_by.get(label, 0) + n
                stats.with_claims += claims
            elif status == "failed":
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
    strength: float  # claim strength of the summary shown


def _digest_rows(statuses: Iterable[str], not_in_digest: bool) -> list[ColumnElement[bool]]:
    """Papers with a summary shown and a review status in `statuses` (and in no digest yet)."""
    state = PaperState
    wanted: list[ColumnElement[bool]] = [
        col(state.summary_id).is_not(None),
        # Compared as an expression (SQLite's `+column` idiom): SQLite would otherwise narrow by
        # the status index, which every shown status fills, and sort all it finds, instead of
        # walking the ranking index or the ids in order. PostgreSQL plans by its statistics.
        (col(state.status) + "").in_(list(statuses)),
    ]
    if not_in_digest:
        wanted.append(~col(state.paper_id).in_(select(DigestEntry.paper_id)))
    return wanted


def digest_candidates(
    store: Engine,
    statuses: Iterable[str],
    *,
    not_in_digest: bool = False,
    chunk: int = 5_000,
) -> Iterator[Candidate]:
    """Papers with a summary shown and a review status in `statuses`, in id order, as plain
    rows read in keyset chunks (one statement a chunk: the papers' read states with the text
    and the LLM rating they name). The digest scores these against a profile's interests and
    loads only the ones it keeps (paper_views(ids=...))."""
    state = PaperState
    shown, rated = aliased(Summary), aliased(Summary)
    query = (
        core_select(
            col(state.paper_id),
            col(Paper.title),
            col(Paper.abstract),
            col(Paper.authors),
            col(Paper.categories),
            col(shown.takeaway),
            col(state.status),
            col(rated.relevance_score),
            col(rated.relevance_reason),
            col(state.strength),
        )
        .select_from(state)
        .join(Paper, col(Paper.id) == col(state.paper_id))
        .join(shown, col(shown.id) == col(state.summary_id))
        .outerjoin(rated, col(rated.id) == col(state.rating_id))
        .where(*_digest_rows(statuses, not_in_digest))
        .order_by(col(state.paper_id))
        .limit(chunk)
    )

    def read(session: Session, after: int) -> list[Candidate]:
        rows = session.connection().execute(query.where(col(state.paper_id) > after))
        return [
            Candidate(
                r.paper_id,
                r.title,
                r.abstract,
                list(r.authors or []),
                list(r.categories or []),
                r.takeaway or "",
                r.status,
                _rating(r.relevance_score, r.relevance_reason),
                r.strength,
            )
            for r in rows
        ]

    return _keyset(store, read, lambda c: c.paper_id, chunk)


@dataclass(frozen=True)
class Ranked:
    """A digest candidate as its best-first walk reads it (store/views.best_candidates)."""

    paper_id: int
    title: str
    llm_points: int
    strength: float


def best_candidates(
    store: Engine,
    statuses: Iterable[str],
    top: int,
    *,
    not_in_digest: bool = False,
    rated: bool = True,
    min_points: float | None = None,
) -> list[Ranked]:
    """The candidates a digest with no interests to score keeps the best `top` of: best first
    by LLM points (when `rated`) and claim strength, through the read state's indexes. Two
    statements: the first `top`, then every paper tied with the last of them (ties are ordered
    by title, which the caller compares as Python does); so never the whole store."""
    if top <= 0:
        return []
    state = PaperState
    only = _digest_rows(statuses, not_in_digest)
    if min_points is not None:
        only.append(col(state.llm_points) >= min_points)
    query = (
        core_select(
            col(state.paper_id),
            col(Paper.title),
            col(state.llm_points) if rated else literal(0),
            col(state.strength),
        )
        .join(Paper, col(Paper.id) == col(state.paper_id))
        .where(*only)
    )
    order: list[ColumnElement[Any]] = [col(state.strength).desc()]
    if rated:
        order.insert(0, col(state.llm_points).desc())
    with store.connect() as conn:
        first = [Ranked(*row) for row in conn.execute(query.order_by(*order).limit(top))]
        if len(first) < top:
            return first
        last = first[-1]
        tied = [col(state.strength) == last.strength]
        if rated:
            tied.append(col(state.llm_points) == last.llm_points)
        ties = [Ranked(*row) for row in conn.execute(query.where(*tied))]
    key = (last.llm_points, last.strength)
    return [r for r in first if (r.llm_points, r.strength) != key] + ties


@dataclass(frozen=True)
class ExportRecord:
    """One paper as an export writes it: its summary shown (engine None: none) with its gains
    (dicts in the fields of agent/core/models.Gain), else its newest failure, if any."""

    paper_id: int
    public_id: str
    title: str
    arxiv_id: str | None
    url: str | None
    takeaway: str | None
    has_claims: bool | None
    engine: str | None
    model: str | None
    prompt_version: str | None
    gains: list[dict[str, Any]]
    failure_engine: str | None
    failure_error: str | None


def export_records(store: Engine, *, chunk: int = 5_000) -> Iterator[ExportRecord]:
    """Every paper in id order, as plain rows read in keyset chunks (two statements a chunk:
    the papers with the summary and failure their state names, and those summaries' gains),
    so memory stays flat and no table object is built."""
    state = PaperState
    shown, failure = aliased(Summary), aliased(Summary)
    gains_shown = (
        core_select(col(GainRecord.summary_id), *(getattr(GainRecord, n) for n in GAIN_FIELDS))
        .join(state, col(state.summary_id) == col(GainRecord.summary_id))
        .order_by(col(GainRecord.summary_id), col(GainRecord.position))
    )

    # Core rows (session.connection()): the ORM's row handling costs as much as the JSON.
    def read(session: Session, after: int) -> list[ExportRecord]:
        conn = session.connection()
        rows: Sequence[Any] = conn.execute(
            core_select(
                col(Paper.id),
                col(Paper.source_id),
                col(Paper.key),
                col(Paper.title),
                col(Paper.arxiv_id),
                col(Paper.url),
                col(shown.id).label("summary_id"),
                col(shown.takeaway),
                col(shown.has_claims),
                col(shown.engine),
                col(shown.model),
                col(shown.prompt_version),
                col(failure.engine).label("failure_engine"),
                col(failure.error).label("failure_error"),
            )
            .select_from(Paper)
            .outerjoin(state, col(state.paper_id) == col(Paper.id))
            .outerjoin(shown, col(shown.id) == col(state.summary_id))
            .outerjoin(failure, col(failure.id) == col(state.failure_id))
            .where(col(Paper.id) > after)
            .order_by(col(Paper.id))
            .limit(chunk)
        ).all()
        if not rows:
            return []
        gains: dict[int, list[dict[str, Any]]] = {}
        for summary_id, *values in conn.execute(
            gains_shown.where(col(state.paper_id) > after, col(state.paper_id) <= rows[-1][0])
        ):
            gains.setdefault(summary_id, []).append(dict(zip(GAIN_FIELDS, values, strict=True)))
        return [
            ExportRecord(
                row.id,
                public_id(row),
                row.title,
                row.arxiv_id,
                row.url,
                row.takeaway,
                row.has_claims,
                row.engine,
                row.model,
                row.prompt_version,
                gains.get(row.summary_id, []),
                row.failure_engine,
                row.failure_error,
            )
            for row in rows
        ]

    return _keyset(store, read, lambda record: record.paper_id, chunk)
