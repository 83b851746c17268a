"""Each paper's read state (table `paper_state`): the one place the reading rules are written.

- the summary shown: valid, on the current abstract, the best engine first (ENGINE_PREFERENCE:
  a reviewer's correction, then an LLM, then the offline engine), the newest first;
- the review status: that of the latest review of the current abstract (none: draft);
- failed: the newest machine attempt on the current abstract failed;
- the newest failed attempt, and the newest LLM relevance rating, on the current abstract;
- what the digest ranks by: that rating's score and the shown summary's claim strength (kept
  with each summary, agent/core/units.claim_strength).

Every store function that writes what these depend on (summaries and failures in
store/summaries.py, reviews in store/reviews.py, a changed abstract in store/papers.py) calls
`refresh` for the papers it wrote, in its own transaction: one INSERT ... SELECT ... ON CONFLICT
for up to CHUNK papers, whatever it wrote, and rows whose state did not change are not
rewritten. Readers (the queue, the read models, the one-paper look-ups) read the row, so a page
or a digest costs the same at 100 papers as at 100,000. A paper with no row has nothing on its
current abstract: a draft with no summary (ingest writes no row). (The search index still
picks each paper's takeaway by the first rule in its own triggers, migrations 0004 and 0013.)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    Select,
    bindparam,
    case,
    false,
    func,
    or_,
    text,
    true,
)
from sqlalchemy import select as core_select  # more columns than sqlmodel's select types
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from store.tables import Paper, PaperState, Review, Summary

# When several engines summarized the same abstract, readers see the best one: a human
# correction first, then an LLM summary, then the offline engine.
ENGINE_PREFERENCE = {"human": 0, "llm": 1, "offline": 2}
CHUNK = 500  # papers a statement refreshes
# Any fixed number: the PostgreSQL advisory lock class a refresh takes per paper (see refresh).
_STATE_LOCK = 140_014
_COLUMNS = (
    "paper_id", "summary_id", "engine", "has_claims", "strength", "status", "failed",
    "failure_id", "rating_id", "llm_points",
)  # fmt: skip


def _on_current_abstract(row: type[Summary] | type[Review]) -> list[ColumnElement[bool]]:
    return [
        col(row.paper_id) == col(Paper.id),
        col(row.abstract_hash) == col(Paper.abstract_hash),
    ]


def _shown_summary_id() -> ColumnElement[int]:
    s = aliased(Summary)
    rank = case(ENGINE_PREFERENCE, value=col(s.engine), else_=9)
    return (
        select(col(s.id))
        .where(*_on_current_abstract(s), col(s.status) == "ok")
        .order_by(rank, col(s.id).desc())
        .limit(1)
        .correlate(Paper)
        .scalar_subquery()
    )


def _review_status() -> ColumnElement[str]:
    r = aliased(Review)
    latest = (
        select(col(r.status))
        .where(*_on_current_abstract(r))
        .order_by(col(r.id).desc())
        .limit(1)
        .correlate(Paper)
        .scalar_subquery()
    )
    return func.coalesce(latest, "draft")


def _machine_attempt_failed() -> ColumnElement[bool]:
    m = aliased(Summary)
    newest = (
        core_select(col(m.status) != "ok")
        .where(*_on_current_abstract(m), col(m.engine) != "human")
        .order_by(col(m.id).desc())
        .limit(1)
        .correlate(Paper)
        .scalar_subquery()
    )
    return func.coalesce(newest, false())


def _newest_id(*where: ColumnElement[bool], row: type[Summary]) -> ColumnElement[int]:
    return (
        select(col(row.id))
        .where(*_on_current_abstract(row), *where)
        .order_by(col(row.id).desc())
        .limit(1)
        .correlate(Paper)
        .scalar_subquery()
    )


def _states() -> Select[tuple[object, ...]]:
    """The state of the papers with ids in the expanding parameter `ids`, by the rules above,
    one row each, in the columns of _COLUMNS."""
    failure, rating = aliased(Summary), aliased(Summary)
    # MATERIALIZED: the rules run once a paper, not again where the joins below read them
    rules = (
        core_select(
            col(Paper.id).label("paper_id"),
            _shown_summary_id().label("summary_id"),
            _review_status().label("status"),
            _machine_attempt_failed().label("failed"),
            _newest_id(col(failure.status) != "ok", row=failure).label("failure_id"),
            _newest_id(
                col(rating.status) == "ok", col(rating.relevance_score).is_not(None), row=rating
            ).label("rating_id"),
        )
        .where(col(Paper.id).in_(bindparam("ids", expanding=True)))
        .cte("rules")
        .prefix_with("MATERIALIZED")
    )
    shown, rated = aliased(Summary), aliased(Summary)
    return (
        core_select(
            rules.c.paper_id,
            rules.c.summary_id,
            col(shown.engine),
            col(shown.has_claims),
            func.coalesce(col(shown.strength), 0.0),
            rules.c.status,
            rules.c.failed,
            rules.c.failure_id,
            rules.c.rating_id,
            func.coalesce(col(rated.relevance_score), 0),
        )
        .select_from(rules)
        .outerjoin(shown, col(shown.id) == rules.c.summary_id)
        .outerjoin(rated, col(rated.id) == rules.c.rating_id)
        .where(true())  # SQLite: an INSERT ... SELECT with a join needs a WHERE before ON CONFLICT
    )


@cache
def _upsert(dialect: str) -> Insert:
    """The states of papers `ids` written over their rows, where they changed. Built once per
    dialect: building the statement costs more than running it for a chunk."""
    table = PaperState.__table__  # type: ignore[attr-defined]
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make_insert(table).from_select(list(_COLUMNS), _states())
    changed = {name: statement.excluded[name] for name in _COLUMNS[1:]}
    return statement.on_conflict_do_update(
        index_elements=["paper_id"],
        set_=changed,
        where=or_(*(table.c[n].is_distinct_from(v) for n, v in changed.items())),
    )


# Two transactions writing the same paper (a review, a worker's summary) each read the rules
# in their own snapshot; on PostgreSQL the second to refresh waits here for the first to commit
# and then reads both. (SQLite has one writer at a time.)
_LOCK_PAPERS = text(
    "SELECT pg_advisory_xact_lock(CAST(:key AS integer), i) "
    "FROM unnest(CAST(:ids AS integer[])) AS i ORDER BY i"
)


def refresh(conn: Connection, paper_ids: Iterable[int]) -> None:
    """Bring the state of these papers up to date, in `conn`'s transaction (after the writes)."""
    ids = sorted(set(paper_ids))
    dialect = conn.dialect.name
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        if dialect == "postgresql":
            conn.execute(_LOCK_PAPERS, {"key": _STATE_LOCK, "ids": chunk})
        conn.execute(_upsert(dialect), {"ids": chunk})


def refresh_all(conn: Connection) -> None:
    """Every paper's state (a store written around the store functions, e.g. a bulk load)."""
    after = 0
    while ids := [
        i
        for i in conn.execute(
            core_select(col(Paper.id))
            .where(col(Paper.id) > after)
            .order_by(col(Paper.id))
            .limit(CHUNK * 10)
        ).scalars()
        if i is not None
    ]:
        refresh(conn, ids)
        after = ids[-1]
