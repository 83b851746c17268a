"""Runs: what each pipeline command did, with its LLM usage summed from the calls it made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from store.tables import LLMCall, Run, utcnow


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
