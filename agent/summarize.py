"""The summarize step: find papers without a summary, run an engine, store what validates.

Engines are interchangeable: the offline engine (no LLM) and the LLM engine both yield
`PaperOutcome`s batch by batch; this step validates nothing itself beyond what the engine did,
and stores each batch in its own transaction as soon as it is done, so an interrupted run keeps
every finished batch and the next run picks up only what is left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from agent import offline_engine
from agent.batching import BatchItem, make_item, pack_batches, prompt_overhead
from agent.config import Settings
from agent.llm import LLM
from agent.llm_engine import LLMSummarizer, PaperOutcome
from agent.validate import normalize_summary, summary_errors
from prompts import load_prompt
from store.papers import public_id
from store.summaries import MadeBy, papers_needing_summary, save_failure, save_summary
from store.tables import Paper

ProgressCallback = Callable[[int], None]


class Summarizer(Protocol):
    """An engine: makes outcomes for papers, batch by batch."""

    @property
    def made_by(self) -> MadeBy: ...

    def run(self, papers: Sequence[Paper]) -> Iterator[list[PaperOutcome]]: ...


def batch_items(papers: Sequence[Paper], model: str, max_tokens: int) -> list[BatchItem]:
    """Papers as batch items, each with a ref unique among them (its public id if possible)."""
    counts = Counter(public_id(p) for p in papers)
    return [
        make_item(
            paper.id or 0,
            public_id(paper) if counts[public_id(paper)] == 1 else paper.key,
            paper.title,
            paper.abstract,
            model,
            max_tokens,
        )
        for paper in papers
    ]


class OfflineSummarizer:
    """The built-in engine: pattern-based gains and an extractive takeaway, no LLM."""

    made_by = MadeBy(
        engine=offline_engine.ENGINE, model=None, prompt_version=offline_engine.ENGINE_VERSION
    )

    def run(self, papers: Sequence[Paper]) -> Iterator[list[PaperOutcome]]:
        for paper in papers:
            item = BatchItem(paper.id or 0, public_id(paper), paper.title, paper.abstract, 0)
            summary = normalize_summary(
                offline_engine.summarize_offline(item.ref, paper.title, paper.abstract)
            )
            errors = summary_errors(summary, paper.abstract)
            if errors:
                yield [PaperOutcome(item, error="offline engine: " + "; ".join(errors))]
            else:
                yield [PaperOutcome(item, summary)]


class LLMBatchSummarizer:
    """The LLM engine: packs papers into token-budgeted requests and runs them concurrently."""

    def __init__(self, llm: LLM, settings: Settings, concurrency: int = 4) -> None:
        self.settings = settings.llm
        self.prompt = load_prompt("summarize")
        self.engine = LLMSummarizer(llm, self.prompt, settings.llm)
        self.concurrency = max(1, concurrency)

    @property
    def made_by(self) -> MadeBy:
        return self.engine.made_by

    def run(self, papers: Sequence[Paper]) -> Iterator[list[PaperOutcome]]:
        model = self.engine.llm.model
        overhead = prompt_overhead(self.prompt, model)
        room = max(self.settings.batch_token_budget - overhead, 64)
        items = batch_items(papers, model, room)
        abstracts = {item.ref: p.abstract for item, p in zip(items, papers, strict=True)}
        batches = pack_batches(
            items,
            budget=self.settings.batch_token_budget,
            overhead=overhead,
            max_papers=self.settings.max_papers_per_batch,
        )
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(self.engine.summarize_batch, b, abstracts) for b in batches]
            for future in as_completed(futures):
                yield future.result()


@dataclass
class SummarizeReport:
    """What one summarize step did."""

    candidates: int = 0
    summarized: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def summarize_pending(
    store: Engine,
    summarizer: Summarizer,
    *,
    run_id: int | None = None,
    limit: int | None = None,
    on_progress: ProgressCallback | None = None,
    on_start: Callable[[int], None] | None = None,
) -> SummarizeReport:
    """Summarize every paper that has no valid summary from this engine/model/prompt yet."""
    with Session(store, expire_on_commit=False) as session:
        papers = papers_needing_summary(session, summarizer.made_by, limit=limit)
    report = SummarizeReport(candidates=len(papers))
    if on_start:
        on_start(len(papers))
    by_id = {p.id: p for p in papers}
    for outcomes in summarizer.run(papers):
        with Session(store) as session:
            for outcome in outcomes:
                paper = session.get(Paper, outcome.item.paper_id)
                assert paper is not None
                if outcome.summary is not None:
                    save_summary(
                        session,
                        paper,
                        outcome.summary,
                        summarizer.made_by,
                        run_id=run_id,
                        llm_call_id=outcome.call_id,
                    )
                    report.summarized += 1
                else:
                    reason = outcome.error or "unknown error"
                    save_failure(
                        session,
                        paper,
                        reason,
                        summarizer.made_by,
                        run_id=run_id,
                        llm_call_id=outcome.call_id,
                    )
                    report.failed += 1
                    report.failures.append((public_id(by_id[paper.id]), reason))
            session.commit()
        if on_progress:
            on_progress(len(outcomes))
    return report


def make_summarizer(
    settings: Settings, store: Engine, run_id: int | None, concurrency: int = 4
) -> Summarizer:
    """The engine the settings ask for: the LLM when an endpoint is configured, else offline."""
    if settings.use_llm:
        return LLMBatchSummarizer(LLM(settings.llm, store, run_id=run_id), settings, concurrency)
    return OfflineSummarizer()
