"""Runs: what each pipeline command did, with its LLM usage summed from the calls it made."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, and_, exists, func
from sqlmodel import Session, col, select

from store.tables import EvalRun, LLMCall, Run, Summary, utcnow


def start_run(store: Engine, command: str, **fields: Any) -> Run:
    with Session(store, expire_on_commit=False) as session:
        run = Run(command=command, **fields)
        session.add(run)
        session.commit()
        return run


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
def closed_on_error(store: Engine, run: Run) -> Iterator[Run]:
    """The one run guard: a run interrupted by an error (or Ctrl-C) is closed as such, with
    what it spent; a run that ends normally is finished by its caller with its counts."""
    try:
        yield run
    except BaseException:
        finish_run(store, run, status="error")
        raise
