"""Large backlogs through the provider's Batch API: half the price, answers within 24 hours.

A round: claim every paper that needs a summary (leases held by the batch, so live workers
leave them alone), pack them into requests exactly as the live path does, write the requests
as JSONL, upload it, create the batch and store its id. Later (this process or any other): poll
it by the stored id, download the output and error files, validate every answer with the live
path's rules, and store each request's summaries in one transaction with its call-log row.
Papers whose answer was missing, failed or invalid are marked failed with the reason and go
into the next round.

Every step records its progress in the `llm_batch` row before the next one starts, so a process
killed at any point is picked up where it stopped: a batch created but not collected is polled
by its id; one collected half-way skips the requests already stored (their leases are gone).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from agent.config import Settings
from agent.llm.client import LLM
from agent.summarize.batching import (
    BatchItem,
    make_item,
    pack_batches,
    prompt_overhead,
)
from agent.summarize.formats import answer_format, summarize_prompt
from agent.summarize.llm_engine import PaperOutcome
from agent.summarize.outcomes import SummarizeReport, store_outcomes
from store.batches import open_batches, release_worker_leases
from store.papers import public_id
from store.summaries import MadeBy
from store.tables import LLMBatch, Paper, utcnow
from store.work_queue import WorkQueue, task_of

# A batch has 24 hours to finish; its claims must outlive that.
BATCH_LEASE_SECONDS = 26 * 3600.0
REMOTE_DONE = ("completed", "failed", "expired", "cancelled")
LOCAL_DONE = ("collected", "abandoned")


@dataclass
class BatchRunReport:
    """What `BatchRunner.run` did."""

    submitted: int = 0  # papers sent in new batches
    batches_created: int = 0
    batches_collected: int = 0
    summarized: int = 0
    failed: int = 0
    waiting: int = 0  # batches still running at the provider when the run returned


class BatchRunner:
    """Submits, polls and collects Batch API jobs for the summarize task."""

    def __init__(
        self,
        store: Engine,
        settings: Settings,
        llm: LLM,
        *,
        run_id: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.settings = settings.llm
        self.llm = llm
        self.run_id = run_id
        self.sleep = sleep
        self.prompt = summarize_prompt(self.settings.extraction, self.settings.prompt_version)
        self.format = answer_format(self.prompt)
        self.interests = settings.profile.prompt_block()
        self.made_by = MadeBy(engine="llm", model=llm.model, prompt_version=self.prompt.ref)
        self.task = task_of(self.made_by)
        overhead = prompt_overhead(self.prompt, llm.model, self.interests)
        self.overhead = overhead
        self.room = max(self.settings.batch_token_budget - overhead, 64)

    # -- the whole job -----------------------------------------------------------------------

    def run(
        self,
        *,
        wait: bool,
        poll_interval: float = 60.0,
        rounds: int = 3,
        limit: int | None = None,
    ) -> BatchRunReport:
        """Resume open batches, else submit one; with `wait`, poll until collected and submit
        again for what failed, up to `rounds` submissions."""
        report = BatchRunReport()
        submitted_rounds = 0
        while True:
            open_rows = self.open_batches()
            if not open_rows:
                if submitted_rounds >= rounds:
                    return report
                row = self.submit(limit)
                submitted_rounds += 1
                if row is None:
                    return report
                report.batches_created += 1
                report.submitted += sum(len(r["paper_ids"]) for r in row.requests.values())
                open_rows = [row]
            still_running = 0
            for row in open_rows:
                if self._advance(row, report):
                    continue
                still_running += 1
            if still_running:
                if not wait:
                    report.waiting = still_running
                    return report
                self.sleep(poll_interval)

    def open_batches(self) -> list[LLMBatch]:
        return open_batches(self.store, self.task, LOCAL_DONE)

    def _advance(self, row: LLMBatch, report: BatchRunReport) -> bool:
        """One step for an open batch; True when it is finished (collected or abandoned)."""
        if row.remote_id is None:
            if row.input_file_id is None:
                self._abandon(row, "stopped before its input was uploaded")
                return True
            self._create_remote(row)  # uploaded, but the batch was never created
        status = self.poll(row)
        if status not in REMOTE_DONE:
            return False
        summarized, failed = self.collect(row)
        report.batches_collected += 1
        report.summarized += summarized
        report.failed += failed
        return True

    # -- submitting --------------------------------------------------------------------------

    def submit(self, limit: int | None = None) -> LLMBatch | None:
        """Claim what needs a summary, upload it as one batch, store the batch id."""
        if WorkQueue(self.store, self.made_by).pending_count() == 0:
            return None
        row = self._save(
            LLMBatch(
                task=self.task,
                model=self.llm.model,
                prompt=self.prompt.ref,
                status="preparing",
                requests={},
                run_id=self.run_id,
            )
        )
        queue = WorkQueue(
            self.store,
            self.made_by,
            worker=f"batch:{row.id}",
            lease_seconds=BATCH_LEASE_SECONDS,
        )
        papers = list(queue.stream(500, limit))
        if not papers:
            self._abandon(row, "nothing to summarize")
            return None
        lines, requests = [], {}
        items = [self._item(p) for p in papers]
        hashes = {p.id: p.abstract_hash for p in papers}
        batches = pack_batches(
            items,
            budget=self.settings.batch_token_budget,
            overhead=self.overhead,
            max_papers=self.settings.max_papers_per_batch,
        )
        for number, batch in enumerate(batches):
            custom_id = f"r{number}"
            body = self._body(batch)
            lines.append(
                json.dumps(
                    {
                        "custom_id": custom_id,
                        "method": "POST",
                        "url": "/v1/chat/completions",
                        "body": body,
                    },
                    ensure_ascii=False,
                )
            )
            requests[custom_id] = {
                "paper_ids": [i.paper_id for i in batch],
                "refs": [i.ref for i in batch],
                # what each answer will describe: a newer abstract ingested before it comes back
                # (up to 24 hours later) is not what the model read
                "abstract_hashes": [hashes[i.paper_id] for i in batch],
            }
        row.requests = requests
        row = self._save(row)
        row.input_file_id = self.llm.upload_batch_input(("\n".join(lines) + "\n").encode())
        row = self._save(row)
        self._create_remote(row)
        return row

    def _create_remote(self, row: LLMBatch) -> None:
        assert row.input_file_id is not None
        remote = self.llm.create_batch(row.input_file_id)
        row.remote_id = str(remote["id"])
        row.status = str(remote["status"])
        self._save(row)

    def _item(self, paper: Paper) -> BatchItem:
        assert paper.id is not None
        return make_item(
            paper.id,
            public_id(paper),
            paper.title,
            paper.abstract,
            self.llm.model,
            self.room,
            self.format.paper_json,
        )

    def _body(self, batch: list[BatchItem]) -> dict[str, object]:
        system, user = self.format.render(batch, self.interests)
        return self.llm.request_body(
            [{"role": "system", "content": system}, {"role": "user", "content": user}],
            schema_model=self.format.schema_model,
            max_tokens=self.settings.output_tokens_per_paper * len(batch) + 200,
        )

    # -- polling and collecting --------------------------------------------------------------

    def poll(self, row: LLMBatch) -> str:
        assert row.remote_id is not None
        remote = self.llm.retrieve_batch(row.remote_id)
        row.status = str(remote["status"])
        row.output_file_id = remote.get("output_file_id")
        row.error_file_id = remote.get("error_file_id")
        if remote.get("errors"):
            row.error = json.dumps(remote["errors"])[:2000]
        self._save(row)
        return row.status

    def collect(self, row: LLMBatch) -> tuple[int, int]:
        """Store every result of a finished batch; return (summarized, failed)."""
        results: dict[str, dict[str, object]] = {}
        for file_id in (row.output_file_id, row.error_file_id):
            if file_id:
                for line in self.llm.file_text(file_id).splitlines():
                    if line.strip():
                        result = json.loads(line)
                        results[str(result.get("custom_id"))] = result
        queue = WorkQueue(self.store, self.made_by, worker=f"batch:{row.id}")
        summarized = failed = 0
        for custom_id, spec in row.requests.items():
            note = f"no result in the batch output (batch {row.status})"
            missing: dict[str, object] = {"error": {"message": note}}
            ok, bad = self._store_result(queue, spec, results.get(custom_id, missing))
            summarized += ok
            failed += bad
        row.status = "collected"
        row.finished_at = utcnow()
        self._save(row)
        return summarized, failed

    def _store_result(
        self, queue: WorkQueue, spec: dict[str, list[Any]], result: dict[str, object]
    ) -> tuple[int, int]:
        with Session(self.store) as session:
            held = queue.release(session, spec["paper_ids"])
            if not held:
                return 0, 0  # stored before a restart
            papers = [session.get(Paper, pid) for pid in spec["paper_ids"]]
            sent = dict(zip(spec["paper_ids"], spec.get("abstract_hashes", []), strict=False))
            # A paper whose abstract changed since submission: its answer describes the old
            # text. Nothing is stored for it; the new version stays pending for the next run.
            held -= {
                p.id
                for p in papers
                if p is not None and sent.get(p.id, p.abstract_hash) != p.abstract_hash
            }
            items = [self._item(p) for p in papers if p is not None]
            call, completion = self.llm.batch_call_row(
                self._body(items),
                prompt=self.prompt,
                paper_ids=[i.paper_id for i in items],
                result=result,
            )
            session.add(call)
            session.flush()
            abstracts = {
                i.ref: p.abstract for i, p in zip(items, papers, strict=True) if p is not None
            }
            check = None
            if call.error is None and completion.finish_reason != "length":
                check = self.format.check(
                    completion.content, items, abstracts, rate_relevance=bool(self.interests)
                )
            outcomes = []
            for item in items:
                summary = check.valid.get(item.ref) if check else None
                if summary is not None:
                    outcomes.append(PaperOutcome(item, summary, call_id=call.id))
                    continue
                if call.error:
                    reason = call.error
                elif check is None:
                    reason = "batch answer truncated at max_tokens"
                else:
                    reason = "invalid batch answer: " + "; ".join(
                        check.errors.get(item.ref, ["invalid answer"])
                    )
                outcomes.append(PaperOutcome(item, error=reason, call_id=call.id))
            report = SummarizeReport()
            store_outcomes(session, held, self.made_by, outcomes, report, run_id=self.run_id)
            session.commit()
        return report.summarized, report.failed

    # -- bookkeeping -------------------------------------------------------------------------

    def _abandon(self, row: LLMBatch, reason: str) -> None:
        release_worker_leases(self.store, f"batch:{row.id}")
        row.status = "abandoned"
        row.error = reason
        row.finished_at = utcnow()
        self._save(row)

    def _save(self, row: LLMBatch) -> LLMBatch:
        with Session(self.store, expire_on_commit=False) as session:
            merged = session.merge(row)
            session.commit()
            session.refresh(merged)
            return merged
