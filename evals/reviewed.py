"""Reviewed summaries as a gold set: score an engine against what people approved or corrected.

The gold set is read from the store (agent/export.py `reviewed_summaries`), keyed by each paper's
public id, with its current abstract as the paper; the run is stored like any other eval run,
under a gold-set name that hashes its content, so two runs on the same reviews compare.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Engine

from agent.config import Settings
from agent.core.errors import NotFoundError
from agent.core.models import PaperSummary
from agent.export import reviewed_summaries
from evals.gold import SeedPaper
from evals.harness import run_eval_on
from store.tables import EvalRun

SOURCE = "reviewed summaries in the store"


def reviewed_gold(store: Engine) -> tuple[dict[str, PaperSummary], dict[str, SeedPaper]]:
    """Gold summaries and their papers, by public id, from the approved or corrected papers."""
    gold: dict[str, PaperSummary] = {}
    papers: dict[str, SeedPaper] = {}
    for paper, summary in reviewed_summaries(store):
        gold[summary.id] = summary
        papers[summary.id] = SeedPaper(id=summary.id, title=paper.title, abstract=paper.abstract)
    return gold, papers


def reviewed_set_name(gold: dict[str, PaperSummary], papers: dict[str, SeedPaper]) -> str:
    """'reviewed@<hash>': the same reviews of the same abstracts give the same name."""
    content = json.dumps(
        [[gold[pid].model_dump(), papers[pid].abstract] for pid in sorted(gold)],
        sort_keys=True,
        ensure_ascii=False,
    )
    return f"reviewed@{hashlib.sha256(content.encode()).hexdigest()[:12]}"


def run_reviewed_eval(
    settings: Settings, store: Engine, *, use_judge: bool = True, concurrency: int = 4
) -> EvalRun:
    """Score the configured engine against the reviewed summaries and store the run."""
    gold, papers = reviewed_gold(store)
    if not gold:
        raise NotFoundError(
            "no approved or corrected summaries yet: review some with `paperskim serve` "
            "or `paperskim review` first"
        )
    return run_eval_on(
        settings,
        store,
        gold,
        papers,
        gold_set=reviewed_set_name(gold, papers),
        source=SOURCE,
        use_judge=use_judge,
        concurrency=concurrency,
    )
