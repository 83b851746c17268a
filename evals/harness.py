"""Running an eval: predict the gold papers with an engine, score, judge, store the run.

Predictions go through the same engines and validation as `paperskim summarize` (a paper whose
answer never validated counts as a paper with no prediction), so the scores describe what users
get. The gold papers are not written to the user's paper table; only the eval run and, for an
LLM, its logged calls are stored.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from agent.config import Settings
from agent.core.models import PaperSummary
from agent.llm.client import LLM
from agent.summarize.engines import Summarizer, make_summarizer
from evals.gold import SeedPaper, load_gold, load_papers
from evals.judge import JudgeResult, TakeawayToJudge, judge_takeaways
from evals.paths import GOLD_PATH, PAPERS_PATH
from evals.scoring import RunScores, score_run
from store.runs import finish_run, start_run
from store.tables import EvalRun, Paper


@dataclass
class Predictions:
    summaries: dict[str, PaperSummary]
    failures: dict[str, str]


def predict(summarizer: Summarizer, papers: dict[str, SeedPaper]) -> Predictions:
    """Summarize the gold papers with `summarizer`, keyed by their gold ids."""
    ids = list(papers)
    transient = [
        Paper(
            id=n,
            key=f"eval:{pid}",
            source_id=pid,
            title_key="",
            title=p.title,
            abstract=p.abstract,
            abstract_hash="",
            source="eval",
        )
        for n, (pid, p) in enumerate(papers.items(), 1)
    ]
    result = Predictions({}, {})
    for outcomes in summarizer.run(transient):
        for outcome in outcomes:
            pid = ids[outcome.item.paper_id - 1]
            if outcome.summary is not None:
                result.summaries[pid] = outcome.summary
            else:
                result.failures[pid] = outcome.error or "unknown error"
    return result


def gold_set_name(gold_path: Path) -> str:
    digest = hashlib.sha256(gold_path.read_bytes()).hexdigest()[:12]
    return f"{gold_path.name}@{digest}"


def per_paper_rows(
    scores: RunScores, preds: Predictions, judge: JudgeResult | None
) -> list[dict[str, Any]]:
    """What the report and `--compare` need of each paper: counts, misses, takeaway, verdict."""
    details = {row["paper_id"]: row for row in scores.to_dict()["per_paper"]}
    rows = []
    for pid, row in details.items():
        summary = preds.summaries.get(pid)
        verdict = judge.verdicts.get(pid) if judge else None
        rows.append(
            {
                **row,
                "takeaway": summary.takeaway if summary else None,
                "predicted_gains": [g.model_dump() for g in summary.gains] if summary else [],
                "failure": preds.failures.get(pid),
                "judge_score": verdict.score if verdict else None,
                "judge_reason": verdict.reason if verdict else None,
            }
        )
    return rows


def run_eval(
    settings: Settings,
    store: Engine,
    *,
    gold_path: Path = GOLD_PATH,
    papers_path: Path = PAPERS_PATH,
    use_judge: bool = True,
    concurrency: int = 4,
) -> EvalRun:
    """Evaluate the configured engine on a gold set and store the run with every score."""
    return run_eval_on(
        settings,
        store,
        load_gold(gold_path),
        load_papers(papers_path),
        gold_set=gold_set_name(gold_path),
        source=str(gold_path),
        use_judge=use_judge,
        concurrency=concurrency,
    )


def run_eval_on(
    settings: Settings,
    store: Engine,
    gold: dict[str, PaperSummary],
    papers: dict[str, SeedPaper],
    *,
    gold_set: str,
    source: str,
    use_judge: bool = True,
    concurrency: int = 4,
) -> EvalRun:
    """Evaluate on in-memory gold summaries and papers (e.g. reviewed ones from the store)."""
    missing = sorted(set(gold) - set(papers))
    papers = {pid: papers[pid] for pid in gold if pid in papers}
    started = time.perf_counter()
    run = start_run(store, "eval", engine="llm" if settings.use_llm else "offline", source=source)
    summarizer = make_summarizer(settings, store, run.id, concurrency)
    preds = predict(summarizer, papers)
    scores = score_run(
        preds.summaries,
        gold,
        {pid: p.abstract for pid, p in papers.items()},
        {pid: p.title for pid, p in papers.items()},
    )
    judge = None
    if use_judge and settings.use_llm:
        judge = judge_takeaways(
            LLM(settings.llm, store, run_id=run.id),
            [
                TakeawayToJudge(pid, papers[pid].title, papers[pid].abstract, s.takeaway)
                for pid, s in preds.summaries.items()
            ],
        )
    made_by = summarizer.made_by
    run = finish_run(
        store,
        run,
        model=made_by.model,
        prompt_version=made_by.prompt_version,
        summarized=len(preds.summaries),
        failed=len(preds.failures),
    )
    score_dict = {k: v for k, v in scores.to_dict().items() if k != "per_paper"}
    score_dict["failed"] = len(preds.failures)
    score_dict["gold_ids_without_paper"] = missing
    with Session(store, expire_on_commit=False) as session:
        row = EvalRun(
            engine=made_by.engine,
            model=made_by.model,
            prompt_version=made_by.prompt_version,
            judge_prompt=judge.prompt if judge else None,
            gold_set=gold_set,
            papers=len(papers),
            scores=score_dict,
            per_paper=per_paper_rows(scores, preds, judge),
            judge=judge.to_dict() if judge else None,
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            cost_usd=run.cost_usd,
            wall_seconds=round(time.perf_counter() - started, 3),
            run_id=run.id,
        )
        session.add(row)
        session.commit()
        return row
