"""Batch API jobs in the store: the open ones of a task, and giving back a job's claims."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from store.tables import LLMBatch, WorkLease


def open_batches(store: Engine, task: str, done_statuses: Iterable[str]) -> list[LLMBatch]:
    """The task's batches not yet collected or abandoned, oldest first."""
    with Session(store, expire_on_commit=False) as session:
        rows = session.exec(
            select(LLMBatch)
            .where(col(LLMBatch.task) == task, col(LLMBatch.status).not_in(list(done_statuses)))
            .order_by(col(LLMBatch.id))
        ).all()
        return list(rows)


def release_worker_leases(store: Engine, worker: str) -> None:
    """Give back every work-queue claim a worker (a batch job) holds."""
    with Session(store) as session:
        session.execute(delete(WorkLease).where(col(WorkLease.worker) == worker))
        session.commit()
