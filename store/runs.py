"""Runs: what each pipeline command did, with its LLM usage summed from the calls it made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, func
from sqlmodel import Session, col, select

from agent.core.clock import as_utc
from store.owner import is_gone, new_worker_id
from store.tables import EvalRun, LLMCall, Run, Summary, utcnow

INTERRUPTED = "interrupted"
# Runs from before runs recorded their process cannot be checked; one still "running" after
# this long was killed (no paperskim command runs for a day).
UNOWNED_STALE_AFTER = timedelta(days=1)


def start_run(store: Engine, command: str, **fields: Any) -> Run:
    """A new "running" row for this process; first close the runs whose process is gone."""
    close_dead_runs(store)
    with Session(store, expire_on_commit=False) as session:
        run = Run(command=command, worker=new_worker_id(), **fields)
        session.add(run)
        session.commit()
        return run


def close_dead_runs(store: Engine) -> list[int]:
    """Mark "interrupted" every run still "running" whose process died (SIGKILL, power loss).

    A run on this machine is judged by its pid; one on another machine is left alone (its
    host will close it). Returns the ids closed. Their LLM calls stay in the log, so
    agent/summarize/recovery.py still uses the answers they paid for.
    """
    now = utcnow()
    with Session(store) as session:
        running = session.exec(select(Run).where(col(Run.status) == "running")).all()
        dead = [
            run
            for run in running
            if is_gone(run.worker)
            or (run.worker is None and as_utc(run.started_at) < now - UNOWNED_STALE_AFTER)
        ]
        for run in dead:
            run.status = INTERRUPTED
            run.finished_at = now
            session.add(run)
        session.commit()
        return [run.id for run in dead if run.id is not None]


def finish_run(store: Engine, run: Run, status: str = "done", **fields: Any) -> Run:
    """Close a run: set its counts and the token/cost totals of every call it made."""
    with Session(store, expire_on_commit=False) as session:
        row = session.get(Run, run.id)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)
        calls, tokens_in, tokens_out, cost = session.exec(
            select(
                func.count(col(LLMCall.id)),
                func.coalesce(func.sum(LLMCall.input_tokens), 0),
                func.coalesce(func.sum(LLMCall.output_tokens), 0),
                func.sum(LLMCall.cost_usd),
            ).where(LLMCall.run_id == run.id)
        ).one()
        row.llm_calls, row.input_tokens, row.output_tokens = calls, tokens_in, tokens_out
        row.cost_usd = cost
        row.status = status
        row.finished_at = utcnow()
        session.add(row)
        session.commit()
        return row


def eval_runs(store: Engine) -> list[EvalRun]:
    """Stored eval runs, oldest first."""
    with Session(store, expire_on_commit=False) as session:
        return list(session.exec(select(EvalRun).order_by(col(EvalRun.id))).all())


def unstored_calls(
    store: Engine, model: str | None, prompt: str, *, exclude_run: int | None
) -> list[LLMCall]:
    """Answered calls of runs that did not finish, from which nothing was stored (paid for but
    lost by a crash), newest first."""
    used = exists().where(col(Summary.llm_call_id) == col(LLMCall.id))
    query = (
        select(LLMCall)
        .join(Run, and_(col(Run.id) == col(LLMCall.run_id)))
        .where(
            col(Run.status) != "done",
            col(LLMCall.error).is_(None),
            col(LLMCall.response).is_not(None),
            col(LLMCall.model) == model,
            col(LLMCall.prompt) == prompt,
            ~used,
        )
        .order_by(col(LLMCall.id).desc())
    )
    if exclude_run is not None:
        query = query.where(col(LLMCall.run_id) != exclude_run)
    with Session(store, expire_on_commit=False) as session:
        return list(session.exec(query).all())


@contextmanager
def closed_on_error(
    store: Engine, run: Run, counts: Callable[[], dict[str, Any]] | None = None
) -> Iterator[Run]:
    """The one run guard: a run stopped by Ctrl-C is closed as "interrupted", one stopped by
    an error as "error", each with what it spent and `counts()` (what it had done so far: papers
    ingested, summarized, failed); a run that ends normally is finished by its caller."""
    try:
        yield run
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "error"
        finish_run(store, run, status=status, **(counts() if counts else {}))
        raise


def calls_of_run(store: Engine, run_id: int) -> list[LLMCall]:
    """Every call a run made, in the order sent (what a benchmark totals)."""
    query = select(LLMCall).where(col(LLMCall.run_id) == run_id).order_by(col(LLMCall.id))
    with Session(store, expire_on_commit=False) as session:
        return list(session.exec(query).all())
