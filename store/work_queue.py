"""Sharing summarize work between workers through the database, with leases.

A worker claims a few papers at a time (a lease row per paper and task, unique), works on them,
and deletes its leases in the same transaction that stores the results. So:

* two workers never get the same paper: on PostgreSQL the candidate rows are locked with
  `FOR UPDATE SKIP LOCKED` (workers do not queue behind each other), on SQLite the look and the
  lease are one `BEGIN IMMEDIATE` transaction, and on every database the lease is an upsert on a
  unique key that only takes a row whose lease has expired;
* a worker that dies leaves leases that expire (`lease_seconds`); one that died on this same
  machine is noticed (its pid is gone) when a walk over the papers starts from the beginning,
  and its papers are claimed again;
* a result is stored only by the worker that still holds the lease.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, delete, exists, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.db import writer
from store.owner import is_gone, new_worker_id
from store.summaries import MadeBy, needs_summary_clause
from store.tables import Paper, Summary, WorkLease, utcnow

DEFAULT_LEASE_SECONDS = 900.0


def task_of(made_by: MadeBy) -> str:
    """The key a lease is taken under: same engine, model and prompt → same work."""
    return f"{made_by.engine}:{made_by.model or '-'}:{made_by.prompt_version}"


class WorkQueue:
    """Claims papers that need a summary from `made_by`, for one worker."""

    def __init__(
        self,
        store: Engine,
        made_by: MadeBy,
        *,
        worker: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.made_by = made_by
        self.task = task_of(made_by)
        self.worker = worker or new_worker_id()
        self.lease_seconds = lease_seconds
        # Failures recorded after this moment are not retried by this worker (the next run
        # retries them); without it a paper that always fails would be claimed forever.
        self.started = utcnow()
        # Claims walk the papers in id order from where the last one stopped, so a claim reads
        # the next few candidates instead of every paper already done (a scan of the whole
        # table per claim made a run quadratic in the store's size). Papers behind the cursor
        # that need work again (a dead worker's lease expired, an abstract changed) are found
        # by one walk from the start when the walk ahead finds nothing.
        self._after = 0
        # Set once a claim found nothing left: every paper still pending is another worker's.
        self.drained = False

    # -- what is left ------------------------------------------------------------------------

    def _candidates(self) -> ColumnElement[bool]:
        failed_now = exists().where(
            and_(
                col(Summary.paper_id) == col(Paper.id),
                col(Summary.abstract_hash) == col(Paper.abstract_hash),
                col(Summary.status) == "failed",
                col(Summary.engine) == self.made_by.engine,
                col(Summary.prompt_version) == self.made_by.prompt_version,
                col(Summary.created_at) >= self.started,
            )
        )
        return and_(needs_summary_clause(self.made_by), ~failed_now)

    def pending_count(self) -> int:
        """Papers that still need this task (claimed by someone or not)."""
        with Session(self.store) as session:
            query = select(func.count()).select_from(Paper).where(self._candidates())
            return int(session.exec(query).one())

    # -- claiming ----------------------------------------------------------------------------

    def claim(self, n: int) -> list[Paper]:
        """Lease up to `n` papers nobody holds; return them (detached, loaded)."""
        if n <= 0:
            return []
        # A dead worker's papers are behind every live worker's walk (they were claimed
        # before the papers now being claimed), so they are looked for only when a walk starts
        # from the beginning: not on every claim, which cost a transaction per claim.
        if not self._after:
            self.reclaim_dead_workers()
        now = utcnow()
        held = exists().where(
            and_(
                col(WorkLease.paper_id) == col(Paper.id),
                col(WorkLease.task) == self.task,
                col(WorkLease.expires_at) > now,
            )
        )
        for _ in range(20):  # lost races (SQLite has no SKIP LOCKED): look again
            # One transaction reads the candidates and takes their leases; on SQLite it holds
            # the write lock from its first read (BEGIN IMMEDIATE), so no other worker can
            # store a summary for a candidate between our look and our lease.
            with Session(writer(self.store), expire_on_commit=False) as session:
                papers = self._next_candidates(session, held, n)
                if not papers and self._after:
                    # Walk again from the start before calling it done, with the leases of
                    # workers that died given back.
                    self._after = 0
                    session.rollback()  # (SQLite: let go of the write lock meanwhile)
                    self.reclaim_dead_workers()
                    papers = self._next_candidates(session, held, n)
                if not papers:
                    return []
                self._after = max(p.id or 0 for p in papers)
                got = self._lease(session, papers, now)
                session.commit()
            mine = [p for p in papers if p.id in got]
            if mine:
                return mine
        return []

    def _next_candidates(self, session: Session, held: ColumnElement[bool], n: int) -> list[Paper]:
        query = (
            select(Paper)
            .where(col(Paper.id) > self._after, self._candidates(), ~held)
            .order_by(col(Paper.id))
            .limit(n)
        )
        if self.store.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Paper)
        return list(session.exec(query).all())

    def claim_ids(self, paper_ids: list[int]) -> list[Paper]:
        """Lease these papers, whether or not they need a summary (summarizing one again on
        request); those another worker holds are left out. Returned detached and loaded."""
        if not paper_ids:
            return []
        now = utcnow()
        with Session(self.store, expire_on_commit=False) as session:
            query = select(Paper).where(col(Paper.id).in_(paper_ids)).order_by(col(Paper.id))
            papers = list(session.exec(query).all())
            if not papers:
                return []
            got = self._lease(session, papers, now)
            session.commit()
        return [p for p in papers if p.id in got]

    def _lease(self, session: Session, papers: list[Paper], now: datetime) -> set[int]:
        values = [
            {
                "paper_id": p.id,
                "task": self.task,
                "abstract_hash": p.abstract_hash,
                "worker": self.worker,
                "claimed_at": now,
                "expires_at": now + timedelta(seconds=self.lease_seconds),
            }
            for p in papers
        ]
        dialect = postgresql if self.store.dialect.name == "postgresql" else sqlite
        table = WorkLease.__table__  # type: ignore[attr-defined]
        # The rows go as parameters of one cached statement (sent as a multi-row insert by
        # SQLAlchemy's insertmanyvalues): one built with the rows in it was compiled anew on
        # every claim, six bound values a row, and that was most of a claim's CPU.
        insert = dialect.insert(table)
        upsert = insert.on_conflict_do_update(
            index_elements=["paper_id", "task"],
            set_={
                "worker": insert.excluded.worker,
                "abstract_hash": insert.excluded.abstract_hash,
                "claimed_at": insert.excluded.claimed_at,
                "expires_at": insert.excluded.expires_at,
            },
            # Take over only an expired lease: never a live one (ours included: a paper we
            # already hold is in a batch on its way).
            where=table.c.expires_at <= now,
        ).returning(table.c.paper_id)
        return {int(row[0]) for row in session.execute(upsert, values)}

    def stream(self, chunk: int, limit: int | None = None) -> Iterator[Paper]:
        """Papers claimed `chunk` at a time, just before they are needed, up to `limit`."""
        for papers in self.chunks(chunk, limit):
            yield from papers

    def chunks(self, chunk: int, limit: int | None = None) -> Iterator[list[Paper]]:
        """The same claims as `stream`, one list per claim: an engine that works a claim at a
        time can finish it (and have it stored) before the next claim is made."""
        taken = 0
        while limit is None or taken < limit:
            want = chunk if limit is None else min(chunk, limit - taken)
            papers = self.claim(want)
            if not papers:
                self.drained = True
                return
            taken += len(papers)
            yield papers

    # -- finishing ---------------------------------------------------------------------------

    def release(self, session: Session, paper_ids: Iterable[int]) -> set[int]:
        """Delete our leases on `paper_ids` in `session`'s transaction; return those we held.

        Call it in the transaction that stores the results, and store only for the ids it
        returns: a lease we no longer hold (it expired and another worker took the paper) means
        the result belongs to that worker now.
        """
        ids = list(paper_ids)
        if not ids:
            return set()
        table = WorkLease.__table__  # type: ignore[attr-defined]
        statement = (
            delete(table)
            .where(
                table.c.task == self.task,
                table.c.worker == self.worker,
                table.c.paper_id.in_(ids),
            )
            .returning(table.c.paper_id)
        )
        return {int(row[0]) for row in session.execute(statement)}

    def release_all(self) -> None:
        """Give back every lease this worker still holds (end of a run, or Ctrl-C)."""
        with Session(self.store) as session:
            session.execute(delete(WorkLease).where(col(WorkLease.worker) == self.worker))
            session.commit()

    def reclaim_dead_workers(self) -> int:
        """Expire the leases of workers on this machine whose process is gone."""
        now = utcnow()
        with Session(self.store) as session:
            workers = session.exec(
                select(WorkLease.worker)
                .where(col(WorkLease.task) == self.task, col(WorkLease.expires_at) > now)
                .distinct()
            ).all()
            dead = [worker for worker in workers if is_gone(worker, me=self.worker)]
            if not dead:
                return 0
            result = session.execute(
                update(WorkLease)
                .where(col(WorkLease.worker).in_(dead))
                .values(expires_at=now - timedelta(seconds=1))
            )
            session.commit()
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
