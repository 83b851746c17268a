"""The summarize step: find papers without a summary, run an engine, store what validates.

Engines are interchangeable: the offline engine (no LLM) and the LLM engine both yield
`PaperOutcome`s batch by batch; this step validates nothing itself beyond what the engine did,
and stores each batch in its own transaction as soon as it is done, so an interrupted run keeps
every finished batch and the next run picks up only what is left.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from dataclasses import replace
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from agent.config import Settings
from agent.core.injection import drop_injected_gains, injection_errors, without_instructions
from agent.core.validate import normalize_summary, summary_errors
from agent.llm.client import LLM, make_limiter
from agent.summarize import offline as offline_engine
from agent.summarize.batching import (
    BatchItem,
    fit_to_timeout,
    make_item,
    pack_stream,
    prompt_overhead,
)
from agent.summarize.formats import summarize_prompt
from agent.summarize.llm_engine import LLMSummarizer, PaperOutcome
from agent.summarize.outcomes import SummarizeReport, store_outcomes
from agent.summarize.recovery import replay, unstored_answers
from store.papers import public_id
from store.runs import closed_on_error, finish_run, start_run
from store.summaries import MadeBy
from store.tables import Paper
from store.work_queue import DEFAULT_LEASE_SECONDS, WorkQueue

ProgressCallback = Callable[[int], None]


class Summarizer(Protocol):
    """An engine: makes outcomes for papers, batch by batch."""

    @property
    def made_by(self) -> MadeBy: ...

    def run(self, papers: Iterable[Paper]) -> Iterator[list[PaperOutcome]]: ...


class OfflineSummarizer:
    """The built-in engine: pattern-based gains and an extractive takeaway, no LLM.

    Papers are summarized `claim_chunk` at a time and each chunk is yielded whole, so the
    summarize step stores it in one transaction with bulk inserts. The engine is CPU-bound: once
    a run has gone past `parallel_from` papers, chunks are spread over `workers` processes while
    this one claims and stores; chunks come back in the order they went out, so the results are
    the same as from one process. Small runs never pay for starting the processes.
    """

    made_by = MadeBy(
        engine=offline_engine.ENGINE, model=None, prompt_version=offline_engine.ENGINE_VERSION
    )

    claim_chunk = 256

    def __init__(self, workers: int | None = None, parallel_from: int = 2048) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)
        self.parallel_from = parallel_from

    def run(self, papers: Iterable[Paper]) -> Iterator[list[PaperOutcome]]:
        return self.run_chunks(self._chunks(papers))

    def run_chunks(self, chunks: Iterable[list[Paper]]) -> Iterator[list[PaperOutcome]]:
        """Outcomes chunk by chunk, for chunks as claimed (the summarize step hands over its
        claims whole, so one is stored before the next is made)."""
        items = ([_item(paper) for paper in chunk] for chunk in chunks)
        seen = 0
        for chunk in items:
            yield offline_outcomes(chunk)
            seen += len(chunk)
            if self.workers > 1 and seen >= self.parallel_from:
                yield from self._in_processes(items)
                return

    def _chunks(self, papers: Iterable[Paper]) -> Iterator[list[Paper]]:
        chunk: list[Paper] = []
        for paper in papers:
            chunk.append(paper)
            if len(chunk) >= self.claim_chunk:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _in_processes(self, chunks: Iterator[list[BatchItem]]) -> Iterator[list[PaperOutcome]]:
        # A few chunks in flight keep every process busy while bounding what is claimed ahead
        # of being stored (and so the memory a long run holds).
        ahead = 2 * self.workers
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            running: deque[Future[list[PaperOutcome]]] = deque()
            for chunk in chunks:
                running.append(pool.submit(offline_outcomes, chunk))
                if len(running) >= ahead:
                    yield running.popleft().result()
            while running:
                yield running.popleft().result()


def _item(paper: Paper) -> BatchItem:
    return BatchItem(paper.id or 0, public_id(paper), paper.title, paper.abstract, 0)


def default_workers() -> int:
    """Processes for the offline engine: two where there are two cores (more rarely pay back
    their start-up on a laptop, and leave nothing for the process that stores)."""
    return max(1, min(os.cpu_count() or 1, 2))


def offline_outcomes(items: list[BatchItem]) -> list[PaperOutcome]:
    """The offline engine over one chunk (run in a worker process for big runs)."""
    return [offline_outcome(item) for item in items]


def offline_outcome(item: BatchItem) -> PaperOutcome:
    """The offline engine's validated summary of one paper, or why there is none."""
    # Sentences addressed to a model are not the paper's claims: leave them out of what the
    # pattern rules read (the quotes still come from, and are checked against, the real
    # abstract).
    text = without_instructions(item.abstract)
    summary = normalize_summary(
        drop_injected_gains(
            offline_engine.summarize_offline(item.ref, item.title, text), item.abstract
        )
    )
    errors = summary_errors(summary, item.abstract)
    errors += injection_errors(summary, item.abstract)
    if errors:
        return PaperOutcome(item, error="offline engine: " + "; ".join(errors))
    return PaperOutcome(item, summary)


class LLMBatchSummarizer:
    """The LLM engine: packs papers into token-budgeted requests and runs them concurrently.

    Papers are read from the iterable as batches are formed (so a work queue can claim them just
    in time); at most `concurrency` requests run at once, paced by the LLM's rate limiter. A
    paper whose answer is already in the call log (paid for by a run that died before storing
    it) is replayed from there instead of being asked again.
    """

    def __init__(self, llm: LLM, settings: Settings, concurrency: int = 4) -> None:
        self.settings = settings.llm
        self.prompt = summarize_prompt(self.settings.extraction, self.settings.prompt_version)
        # A local CPU server answers one request at a time; more only queue behind it and time out.
        self.concurrency = 1 if self.settings.preset == "local" else max(1, concurrency)
        if llm.limiter.max_concurrency != self.concurrency:
            llm.limiter = make_limiter(settings.llm, self.concurrency)
        self.engine = LLMSummarizer(llm, self.prompt, settings.llm, settings.profile.prompt_block())
        self.claim_chunk = self.settings.max_papers_per_batch

    @property
    def made_by(self) -> MadeBy:
        return self.engine.made_by

    @property
    def lease_seconds(self) -> float:
        """The longest one batch can take: every attempt timing out on every SDK retry."""
        s = self.settings
        worst = s.timeout * (s.max_retries + 1) * (s.max_reasks + 1)
        return max(DEFAULT_LEASE_SECONDS, worst + 60.0)

    def run(self, papers: Iterable[Paper]) -> Iterator[list[PaperOutcome]]:
        llm = self.engine.llm
        model = llm.model
        fmt = self.engine.format
        overhead = prompt_overhead(self.prompt, model, self.engine.interests)
        s = self.settings
        budget, max_papers = fit_to_timeout(
            timeout=s.timeout,
            prompt_tps=s.prompt_tokens_per_second,
            output_tps=s.output_tokens_per_second,
            output_per_paper=s.output_tokens_per_paper,
            budget=s.batch_token_budget,
            max_papers=s.max_papers_per_batch,
            overhead=overhead,
        )
        room = max(budget - overhead, 64)
        logged = (
            unstored_answers(llm.store, self.made_by, exclude_run=llm.run_id)
            if llm.store is not None
            else {}
        )
        replayed: list[PaperOutcome] = []
        full: dict[int, Paper] = {}

        def items() -> Iterator[BatchItem]:
            for paper in papers:
                assert paper.id is not None
                if paper.id in logged and (
                    outcome := replay(paper, logged[paper.id], self.engine.format)
                ):
                    replayed.append(outcome)
                    continue
                full[paper.id] = paper
                ref = public_id(paper)
                yield make_item(
                    paper.id, ref, paper.title, paper.abstract, model, room, fmt.paper_json
                )

        def fits(prompt_tokens: int, papers: int) -> bool:
            # A request is charged its prompt plus max_tokens: one bigger than the endpoint's
            # token limit could never be sent.
            cap = llm.limiter.token_limit
            return cap is None or prompt_tokens + self.engine.max_tokens(papers) <= cap

        batches = pack_stream(
            items(), budget=budget, overhead=overhead, max_papers=max_papers, fits=fits
        )
        # One thread more than requests in flight (the limiter holds those to `concurrency`):
        # a thread checking and logging its answer then holds no request slot, and the batch
        # waiting beyond the pool's size goes out the moment an answer arrives.
        pool = DaemonPool(self.concurrency + 1)
        try:
            running: set[Future[list[PaperOutcome]]] = set()
            for batch in batches:
                if replayed:
                    yield replayed[:]
                    replayed.clear()
                # One batch waits beyond the pool's size, so no thread idles between batches.
                while len(running) > self.concurrency:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    yield from (f.result() for f in done)
                batch, abstracts = _distinct_refs(batch, full)
                running.add(pool.submit(self._summarize, batch, abstracts))
            if replayed:
                yield replayed[:]
            for future in as_completed(running):
                yield future.result()
        except BaseException:  # Ctrl-C, or the consumer stopped reading: abandon, do not wait
            self.stop()
            raise
        finally:
            pool.stop()

    def stop(self) -> int:
        """Stop now: queued batches are not sent, and requests on the wire are abandoned (logged
        as such) instead of awaited. Returns how many requests were abandoned."""
        return self.engine.llm.abandon()

    def _summarize(self, batch: list[BatchItem], abstracts: dict[str, str]) -> list[PaperOutcome]:
        outcomes = self.engine.summarize_batch(batch, abstracts)
        for outcome in outcomes:
            if outcome.item.truncated:
                cut = (
                    f"abstract too long for one request: summarized from its first "
                    f"{outcome.item.tokens} tokens"
                )
                outcome.warning = f"{outcome.warning}; {cut}" if outcome.warning else cut
        return outcomes


class DaemonPool:
    """At most `size` jobs at once, each on its own daemon thread.

    Not a ThreadPoolExecutor: its threads are joined when the interpreter exits, so a request
    hung on a slow server would hold Ctrl-C for up to the whole timeout. A daemon thread dies
    with the process; its request is abandoned (and logged as such by `LLM.abandon`).
    """

    def __init__(self, size: int) -> None:
        self._slots = threading.Semaphore(size)
        self._stopped = threading.Event()

    def submit(
        self, fn: Callable[..., list[PaperOutcome]], *args: Any
    ) -> Future[list[PaperOutcome]]:
        future: Future[list[PaperOutcome]] = Future()

        def work() -> None:
            with self._slots:
                if self._stopped.is_set() or not future.set_running_or_notify_cancel():
                    return
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:
                    future.set_exception(exc)

        threading.Thread(target=work, name="paperskim-batch", daemon=True).start()
        return future

    def stop(self) -> None:
        """Jobs not yet started never start."""
        self._stopped.set()


def _distinct_refs(
    batch: list[BatchItem], full: dict[int, Paper]
) -> tuple[list[BatchItem], dict[str, str]]:
    """The batch with ids unique within it (two sources may both call a paper "1"), and each
    ref's full abstract for validation; forgets the papers it hands over."""
    seen: set[str] = set()
    out: list[BatchItem] = []
    abstracts: dict[str, str] = {}
    for item in batch:
        paper = full.pop(item.paper_id)
        if item.ref in seen:
            item = replace(item, ref=paper.key)
        seen.add(item.ref)
        out.append(item)
        abstracts[item.ref] = paper.abstract
    return out, abstracts


def summarize_pending(
    store: Engine,
    summarizer: Summarizer,
    *,
    run_id: int | None = None,
    limit: int | None = None,
    on_progress: ProgressCallback | None = None,
    on_start: Callable[[int], None] | None = None,
    lease_seconds: float | None = None,
    report: SummarizeReport | None = None,
) -> SummarizeReport:
    """Summarize every paper that has no valid summary from this engine/model/prompt yet.

    Papers are claimed from the store a few at a time (store/work_queue.py), so several
    processes can run this on one database and share the work without doing any paper twice.
    Each batch is stored in one transaction, which also gives back its claims.
    """
    # A claim must outlive the slowest batch, or another worker would send its papers again.
    if lease_seconds is None:
        lease_seconds = float(getattr(summarizer, "lease_seconds", DEFAULT_LEASE_SECONDS))
    queue = WorkQueue(store, summarizer.made_by, lease_seconds=lease_seconds)
    total = queue.pending_count()
    # The caller may pass its own report, so that it still has the counts after a Ctrl-C.
    report = report if report is not None else SummarizeReport()
    report.pending = total
    report.candidates = total if limit is None else min(total, limit)
    if on_start:
        on_start(report.candidates)
    chunk = int(getattr(summarizer, "claim_chunk", 32))
    run_chunks = getattr(summarizer, "run_chunks", None)
    if run_chunks is not None:  # works a claim at a time: hand the claims over whole
        made: Iterable[list[PaperOutcome]] = run_chunks(queue.chunks(chunk, limit))
    else:
        made = summarizer.run(queue.stream(chunk, limit))
    try:
        for outcomes in made:
            with Session(store) as session:
                held = queue.release(session, [o.item.paper_id for o in outcomes])
                store_outcomes(session, held, summarizer.made_by, outcomes, report, run_id=run_id)
                session.commit()
            if on_progress:
                on_progress(len(outcomes))
    except KeyboardInterrupt:
        # Ctrl-C while a batch was being stored: the engine's requests are abandoned too.
        stop = getattr(summarizer, "stop", None)
        if stop is not None:
            stop()
        raise
    finally:
        queue.release_all()
    report.drained = queue.drained
    return report


def make_summarizer(
    settings: Settings, store: Engine, run_id: int | None, concurrency: int = 4
) -> Summarizer:
    """The engine the settings ask for: the LLM when an endpoint is configured, else offline."""
    if settings.use_llm:
        llm = LLM(
            settings.llm, store, run_id=run_id, limiter=make_limiter(settings.llm, concurrency)
        )
        return LLMBatchSummarizer(llm, settings, concurrency)
    return OfflineSummarizer(settings.offline_workers)


def summarize_papers(
    store: Engine, settings: Settings, paper_ids: Sequence[int], *, command: str = "regenerate"
) -> SummarizeReport:
    """Summarize these papers again with the configured engine, whatever they already have
    (the review UI's Regenerate): claimed through the work queue like any run, stored through
    `store_outcomes`, recorded as a run of `command`."""
    run = start_run(store, command, engine="llm" if settings.use_llm else "offline")
    summarizer = make_summarizer(settings, store, run.id, concurrency=1)
    queue = WorkQueue(
        store,
        summarizer.made_by,
        lease_seconds=float(getattr(summarizer, "lease_seconds", DEFAULT_LEASE_SECONDS)),
    )
    report = SummarizeReport(candidates=len(paper_ids), made_by=summarizer.made_by)
    with closed_on_error(store, run):
        try:
            for outcomes in summarizer.run(queue.claim_ids(list(paper_ids))):
                with Session(store) as session:
                    held = queue.release(session, [o.item.paper_id for o in outcomes])
                    store_outcomes(
                        session, held, summarizer.made_by, outcomes, report, run_id=run.id
                    )
                    session.commit()
        finally:
            queue.release_all()
    finish_run(
        store,
        run,
        model=summarizer.made_by.model,
        prompt_version=summarizer.made_by.prompt_version,
        summarized=report.summarized,
        failed=report.failed,
    )
    return report
