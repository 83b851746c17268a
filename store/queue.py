"""The review queue in SQL: filters, keyset pages, a paper's neighbours, counts by status.

Each page is one statement over `paper` in id order (keyset: `id > after`, never OFFSET), with
the filters as correlated subqueries on the indexed summary and review lookups, so a page costs
the same at 100 papers as at 100,000. The per-paper rules are those of store/summaries.py and
store/reviews.py, written as SQL: the summary shown is the valid one on the current abstract
with the best engine (ENGINE_PREFERENCE), newest first; the status is the latest review of the
current abstract (none: draft); "failed" means the newest machine attempt on it failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, and_, case, func, literal, or_, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.papers import escape_like
from store.summaries import ENGINE_PREFERENCE
from store.tables import Paper, Review, Summary

PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueQuery:
    """Which papers the queue shows; empty values mean "any" (see agent/review/web/queue.py)."""

    status: str = ""  # draft, approved, corrected or rejected
    engine: str = ""  # human, llm, offline, or none (no summary)
    claims: str = "any"  # yes, no or any
    failed: bool = False
    q: str = ""  # substring of id, title, abstract or shown takeaway (case-blind)


def shown_summary_id() -> ColumnElement[int]:
    """The id of the summary readers see for the outer `paper` row (store/summaries.py)."""
    s = aliased(Summary)
    rank = case(ENGINE_PREFERENCE, value=col(s.engine), else_=9)
    return (
        select(col(s.id))
        .where(
            col(s.paper_id) == col(Paper.id),
            col(s.abstract_hash) == col(Paper.abstract_hash),
            col(s.status) == "ok",
        )
        .order_by(rank, col(s.id).desc())
        .limit(1)
        .correlate(Paper)
        .scalar_subquery()
    )


def review_status() -> ColumnElement[str]:
    """The review status of the outer `paper` row's current abstract (store/reviews.py)."""
    r = aliased(Review)
    latest = (
        select(col(r.status))
        .where(col(r.paper_id) == col(Paper.id), col(r.abstract_hash) == col(Paper.abstract_hash))
        .order_by(col(r.id).desc())
        .limit(1)
        .correlate(Paper)
        .scalar_subquery()
    )
    return func.coalesce(latest, "draft")


def _newest_machine_status() -> ColumnElement[str]:
    m = aliased(Summary)
    return (
        select(col(m.status))
        .where(
            col(m.paper_id) == col(Paper.id),
            col(m.abstract_hash) == col(Paper.abstract_hash),
            col(m.engine) != "human",
        )
        .order_by(col(m.id).desc())
        .limit(1)
        .correlate(Paper)
        .scalar_subquery()
    )


def _conditions(wanted: QueueQuery) -> list[ColumnElement[bool]]:
    """The filter as WHERE clauses on `paper`; the summary-shown ones use one subquery."""
    conds: list[ColumnElement[bool]] = []
    if wanted.status:
        conds.append(review_status() == wanted.status)
    if wanted.failed:
        conds.append(func.coalesce(_newest_machine_status(), "ok") != "ok")
    if wanted.engine or wanted.claims != "any" or wanted.q:
        shown = aliased(Summary)
        sub = select(col(shown.id)).where(col(shown.id) == shown_summary_id())
        if wanted.engine == "none":
            conds.append(shown_summary_id().is_(None))
        elif wanted.engine:
            conds.append(sub.where(col(shown.engine) == wanted.engine).exists())
        if wanted.claims != "any":
            has = sub.where(col(shown.has_claims).is_(True)).exists()
            conds.append(has if wanted.claims == "yes" else ~has)
        if wanted.q:
            pattern = f"%{escape_like(wanted.q)}%"
            conds.append(
                or_(
                    col(Paper.source_id).ilike(pattern, escape="\\"),
                    and_(
                        col(Paper.source_id).is_(None), col(Paper.key).ilike(pattern, escape="\\")
                    ),
                    col(Paper.title).ilike(pattern, escape="\\"),
                    col(Paper.abstract).ilike(pattern, escape="\\"),
                    sub.where(col(shown.takeaway).ilike(pattern, escape="\\")).exists(),
                )
            )
    return conds


@dataclass(frozen=True)
class Page:
    """One page of paper ids in id order, and the keys of the pages around it."""

    ids: list[int]
    prev_before: int | None  # ?before= of the previous page, None on the first
    next_after: int | None  # ?after= of the next page, None on the last


def queue_page(
    store: Engine,
    wanted: QueueQuery,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """The `size` matching papers after id `after` (or those just before id `before`): one
    statement for the page, one to know whether a page lies on the other side."""
    conds = _conditions(wanted)
    with Session(store) as session:
        if before is not None:
            found = session.exec(
                select(col(Paper.id))
                .where(col(Paper.id) < before, *conds)
                .order_by(col(Paper.id).desc())
                .limit(size + 1)
            ).all()
            ids = [i for i in reversed(found[:size]) if i is not None]
            more_before = len(found) > size
            more_after = bool(ids) and _exists(session, conds, after=ids[-1])
        else:
            found = session.exec(
                select(col(Paper.id))
                .where(*([col(Paper.id) > after] if after is not None else []), *conds)
                .order_by(col(Paper.id))
                .limit(size + 1)
            ).all()
            ids = [i for i in found[:size] if i is not None]
            more_after = len(found) > size
            more_before = bool(ids) and after is not None and _exists(session, conds, before=ids[0])
    return Page(
        ids=ids,
        prev_before=ids[0] if ids and more_before else None,
        next_after=ids[-1] if ids and more_after else None,
    )


def _exists(
    session: Session,
    conds: list[ColumnElement[bool]],
    *,
    after: int | None = None,
    before: int | None = None,
) -> bool:
    edge = col(Paper.id) > after if after is not None else col(Paper.id) < before
    return session.exec(select(col(Paper.id)).where(edge, *conds).limit(1)).first() is not None


def matching_ids(store: Engine, wanted: QueueQuery) -> list[int]:
    """Every matching paper id, in id order (the terminal review walks them one by one)."""
    with Session(store) as session:
        rows = session.exec(
            select(col(Paper.id)).where(*_conditions(wanted)).order_by(col(Paper.id))
        ).all()
    return [i for i in rows if i is not None]


@dataclass(frozen=True)
class Neighbours:
    prev_id: int | None
    next_id: int | None
    in_queue: bool


def neighbours(store: Engine, paper_id: int, wanted: QueueQuery) -> Neighbours:
    """The previous and next matching papers around `paper_id`: two keyset statements, and a
    third to tell whether the paper itself matches."""
    conds = _conditions(wanted)
    with Session(store) as session:
        prev_id = session.exec(
            select(func.max(col(Paper.id))).where(col(Paper.id) < paper_id, *conds)
        ).one()
        next_id = session.exec(
            select(func.min(col(Paper.id))).where(col(Paper.id) > paper_id, *conds)
        ).one()
        here = session.exec(select(col(Paper.id)).where(col(Paper.id) == paper_id, *conds)).first()
    return Neighbours(prev_id, next_id, here is not None)


def status_counts(store: Engine, statuses: tuple[str, ...]) -> dict[str, int]:
    """How many papers have each review status, from one statement: the latest review of each
    paper's current abstract grouped by status, and the number of papers (the rest are drafts)."""
    r = aliased(Review)
    newest = (
        select(func.max(col(r.id)))
        .where(
            col(r.paper_id) == col(Review.paper_id),
            col(r.abstract_hash) == col(Review.abstract_hash),
        )
        .correlate(Review)
        .scalar_subquery()
    )
    current_hash = (
        select(col(Paper.abstract_hash))
        .where(col(Paper.id) == col(Review.paper_id))
        .correlate(Review)
        .scalar_subquery()
    )
    # driven from the review table (a lookup of each reviewed paper by its key), so the
    # statement costs the number of reviews, not the number of papers
    reviewed = (
        select(col(Review.status), func.count())
        .where(col(Review.id) == newest, col(Review.abstract_hash) == current_hash)
        .group_by(col(Review.status))
    )
    total = select(literal("*papers"), func.count()).select_from(Paper)
    counts = dict.fromkeys(statuses, 0)
    with Session(store) as session:
        rows = session.execute(union_all(reviewed, total)).all()
    papers = 0
    for status, n in rows:
        if status == "*papers":
            papers = int(n)
        else:
            counts[status] = counts.get(status, 0) + int(n)
    counts["draft"] = papers - sum(n for s, n in counts.items() if s != "draft")
    return counts
