"""The review queue in SQL: filters, keyset pages, a paper's neighbours, counts by status.

Each page is one statement in paper id order (keyset: `id > after`, never OFFSET) over the
papers' read state (store/paper_state.py: the summary shown, the review status, whether the
newest machine attempt failed), whose indexes serve each filter in id order, so a page costs
the same at 100 papers as at 100,000. A paper with no state row is a draft with no summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    FromClause,
    and_,
    false,
    func,
    literal,
    or_,
    true,
    union_all,
)
from sqlmodel import Session, col, select

from store.papers import escape_like
from store.tables import Paper, PaperState, Summary

PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueQuery:
    """Which papers the queue shows; empty values mean "any" (see agent/review/web/queue.py)."""

    status: str = ""  # draft, approved, corrected or rejected
    engine: str = ""  # human, llm, offline, or none (no summary)
    claims: str = "any"  # yes, no or any
    failed: bool = False
    q: str = ""  # substring of id, title, abstract or shown takeaway (case-blind)

    @property
    def filters_state(self) -> bool:
        """Whether any condition is on the papers' read state (all but the text)."""
        return bool(self.status or self.engine or self.claims != "any" or self.failed)

    @property
    def needs_state_row(self) -> bool:
        """Whether every matching paper has a state row (something was written on it)."""
        return bool(
            self.status not in ("", "draft")
            or self.engine not in ("", "none")
            or self.claims == "yes"
            or self.failed
        )


def _contains(column: Any, text: str, dialect: str) -> ColumnElement[bool]:
    """A case-blind substring match. On SQLite a plain LIKE: it is exactly as case-blind as
    lower() (ASCII only, both), without lowering every row's text first (twice as fast)."""
    pattern = f"%{escape_like(text)}%"
    if dialect == "sqlite":
        return column.like(pattern, escape="\\")  # type: ignore[no-any-return]
    return column.ilike(pattern, escape="\\")  # type: ignore[no-any-return]


def _conditions(wanted: QueueQuery, dialect: str) -> list[ColumnElement[bool]]:
    """The filter as WHERE clauses on `paper_state` (outer joined: a missing row is a draft
    with no summary) and, for the text, on `paper`."""
    state = PaperState
    conds: list[ColumnElement[bool]] = []
    if wanted.status == "draft":
        conds.append(func.coalesce(col(state.status), "draft") == "draft")
    elif wanted.status:
        conds.append(col(state.status) == wanted.status)
    if wanted.failed:
        conds.append(col(state.failed) == true())
    if wanted.engine == "none":
        conds.append(col(state.summary_id).is_(None))
    elif wanted.engine:
        conds.append(col(state.engine) == wanted.engine)
    if wanted.claims == "yes":
        conds.append(col(state.has_claims) == true())
    elif wanted.claims == "no":
        conds.append(or_(col(state.has_claims).is_(None), col(state.has_claims) == false()))
    if text := wanted.q:
        # the shown takeaways that match, found by one pass over the summaries (not a look-up
        # for every paper the text scan passes)
        shown_match = (
            select(col(Summary.paper_id))
            .join(
                state,
                and_(
                    col(state.paper_id) == col(Summary.paper_id),
                    col(state.summary_id) == col(Summary.id),
                ),
            )
            .where(_contains(col(Summary.takeaway), text, dialect))
        )
        conds.append(
            or_(
                _contains(col(Paper.source_id), text, dialect),
                and_(col(Paper.source_id).is_(None), _contains(col(Paper.key), text, dialect)),
                _contains(col(Paper.title), text, dialect),
                _contains(col(Paper.abstract), text, dialect),
                col(Paper.id).in_(shown_match),
            )
        )
    return conds


def _source(wanted: QueueQuery) -> tuple[ColumnElement[int], FromClause]:
    """The paper id column and the rows a queue statement reads: the state table alone when
    every match has a row and no text is searched (an index in id order serves the filter),
    the papers alone when nothing is asked of the state, else every paper with its state."""
    if wanted.needs_state_row and not wanted.q:
        return col(PaperState.paper_id), PaperState.__table__  # type: ignore[attr-defined,return-value]
    if not wanted.filters_state:
        return col(Paper.id), Paper.__table__  # type: ignore[attr-defined,return-value]
    joined = Paper.__table__.outerjoin(  # type: ignore[attr-defined]
        PaperState.__table__,  # type: ignore[attr-defined]
        col(PaperState.paper_id) == col(Paper.id),
    )
    return col(Paper.id), joined  # type: ignore[return-value]


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
    conds = _conditions(wanted, store.dialect.name)
    paper_id, source = _source(wanted)
    with Session(store) as session:
        if before is not None:
            found = session.exec(
                select(paper_id)
                .select_from(source)
                .where(paper_id < before, *conds)
                .order_by(paper_id.desc())
                .limit(size + 1)
            ).all()
            ids = [i for i in reversed(found[:size]) if i is not None]
            more_before = len(found) > size
            more_after = bool(ids) and _exists(session, wanted, after=ids[-1])
        else:
            found = session.exec(
                select(paper_id)
                .select_from(source)
                .where(*([paper_id > after] if after is not None else []), *conds)
                .order_by(paper_id)
                .limit(size + 1)
            ).all()
            ids = [i for i in found[:size] if i is not None]
            more_after = len(found) > size
            more_before = (
                bool(ids) and after is not None and _exists(session, wanted, before=ids[0])
            )
    return Page(
        ids=ids,
        prev_before=ids[0] if ids and more_before else None,
        next_after=ids[-1] if ids and more_after else None,
    )


def _exists(
    session: Session, wanted: QueueQuery, *, after: int | None = None, before: int | None = None
) -> bool:
    paper_id, source = _source(wanted)
    edge = paper_id > after if after is not None else paper_id < before
    conds = _conditions(wanted, session.get_bind().dialect.name)
    query = select(paper_id).select_from(source).where(edge, *conds).limit(1)
    return session.exec(query).first() is not None


def matching_ids(store: Engine, wanted: QueueQuery) -> list[int]:
    """Every matching paper id, in id order (the terminal review walks them one by one)."""
    paper_id, source = _source(wanted)
    with Session(store) as session:
        conds = _conditions(wanted, store.dialect.name)
        query = select(paper_id).select_from(source).where(*conds).order_by(paper_id)
        rows = session.exec(query).all()
    return [i for i in rows if i is not None]


@dataclass(frozen=True)
class Neighbours:
    prev_id: int | None
    next_id: int | None
    in_queue: bool


def neighbours(store: Engine, paper_id: int, wanted: QueueQuery) -> Neighbours:
    """The previous and next matching papers around `paper_id`: two keyset statements, and a
    third to tell whether the paper itself matches."""
    conds = _conditions(wanted, store.dialect.name)
    key, source = _source(wanted)
    with Session(store) as session:
        prev_id = session.exec(
            select(key)
            .select_from(source)
            .where(key < paper_id, *conds)
            .order_by(key.desc())
            .limit(1)
        ).first()
        next_id = session.exec(
            select(key).select_from(source).where(key > paper_id, *conds).order_by(key).limit(1)
        ).first()
        here = session.exec(select(key).select_from(source).where(key == paper_id, *conds)).first()
    return Neighbours(prev_id, next_id, here is not None)


def status_counts(store: Engine, statuses: tuple[str, ...]) -> dict[str, int]:
    """How many papers have each review status, from one statement: the reviewed papers'
    states grouped by status (through its index, so it costs the reviewed papers, not all
    papers), and the number of papers (the rest are drafts)."""
    state = PaperState
    reviewed = (
        select(col(state.status), func.count())
        .where(col(state.status).in_([s for s in statuses if s != "draft"]))
        .group_by(col(state.status))
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
