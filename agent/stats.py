"""Counts over the store, for `paperskim stats` and the end-of-run report."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from store.summaries import current_summary, last_failure
from store.tables import Digest, LLMCall, Paper, Run


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
    stats = StoreStats()
    with Session(store) as session:
        for paper in session.exec(select(Paper)).all():
            stats.papers += 1
            summary = current_summary(session, paper)
            if summary is not None:
                label = "offline engine" if summary.engine == "offline" else str(summary.model)
                stats.summarized_by[label] = stats.summarized_by.get(label, 0) + 1
                stats.with_claims += bool(summary.has_claims)
            elif last_failure(session, paper) is not None:
                stats.failed += 1
            else:
                stats.pending += 1
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
    return stats
