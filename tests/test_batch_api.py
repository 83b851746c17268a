"""Batch API mode: submit, poll by stored id, collect, validate, retry; resumable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.config import Settings
from agent.ingest.step import ingest_files
from agent.llm.client import LLM
from agent.summarize.batch_jobs import BatchRunner
from store.db import open_engine
from store.papers import get_paper
from store.summaries import current_summary
from store.tables import LLMBatch, LLMCall, Summary, WorkLease
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import answer_all, good_answer, papers_in
from tests.scale_data import load_synthetic, synthetic_records, write_jsonl

N = 60


def _runner(server: FakeOpenAIServer, store: Engine) -> BatchRunner:
    settings = Settings(
        llm={"base_url": server.url, "model": "gpt-4.1-mini", "max_papers_per_batch": 10}
    )
    return BatchRunner(store, settings, LLM(settings.llm, store), sleep=lambda _s: None)


def _ok_per_paper(store: Engine) -> Counter[int]:
    with Session(store) as session:
        rows = session.exec(select(Summary).where(Summary.status == "ok")).all()
    return Counter(r.paper_id for r in rows)


def test_a_backlog_goes_through_the_batch_api_and_failures_are_resubmitted(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'b.db'}")
    load_synthetic(store, tmp_path, N)
    seen: list[int] = []

    def first_round_flaky(body: dict[str, Any]) -> Reply:
        seen.append(1)
        if len(seen) == 2:  # one request of the first batch fails outright
            return Reply.error(500, "internal error")
        answer = good_answer(body)
        if len(seen) == 3:  # another has a made-up quote for its first paper
            answer["papers"][0]["gains"][0]["quote"] = "a 100x speedup"
        return Reply.content(answer)

    fake_openai.handler = first_round_flaky
    fake_openai.batch_polls_to_complete = 2
    report = _runner(fake_openai, store).run(wait=True, poll_interval=0)

    assert report.batches_created == 2 and report.batches_collected == 2
    assert report.submitted == N + 11  # round 2 = the 10 papers of the 500 + the bad quote
    assert (report.summarized, report.failed) == (N, 11)
    ok = _ok_per_paper(store)
    assert len(ok) == N and set(ok.values()) == {1}

    posts = [(r.method, r.path) for r in fake_openai.requests]
    assert posts.count(("POST", "/v1/files")) == 2 and posts.count(("POST", "/v1/batches")) == 2
    with Session(store) as session:
        batches = session.exec(select(LLMBatch)).all()
        calls = session.exec(select(LLMCall)).all()
        assert session.exec(select(WorkLease)).all() == []
    assert [b.status for b in batches] == ["collected", "collected"]
    assert all(b.remote_id and b.remote_id.startswith("batch_fake_") for b in batches)
    # Every result is in the call log, billed at the Batch API's half price.
    assert len(calls) == 6 + 2 and sum(1 for c in calls if c.error) == 1
    good = [c for c in calls if not c.error]
    full_price = (1000 * 0.40 + 100 * 1.60) / 1e6
    assert all(c.cost_usd is not None and c.cost_usd < full_price for c in good)
    # What was sent is what the live path sends: strict schema, the papers block.
    line_bodies = fake_openai.chat_requests()
    assert all(b["response_format"]["type"] == "json_schema" for b in line_bodies)
    assert sum(len(papers_in(b)) for b in line_bodies) == N + 11


def _batch_cmd(db: Path, server: FakeOpenAIServer) -> list[str]:
    return [
        sys.executable, "-m", "agent", "batch", "--db", str(db),
        "--base-url", server.url, "--model", "gpt-4.1-mini", "--poll-interval", "0",
    ]  # fmt: skip


def test_a_new_process_picks_the_batch_up_by_its_stored_id(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    db = tmp_path / "resume.db"
    store = open_engine(f"sqlite:///{db}")
    load_synthetic(store, tmp_path, N)
    fake_openai.handler = answer_all
    fake_openai.batch_polls_to_complete = 3
    env = {**os.environ, "PAPERSKIM_LLM__MAX_PAPERS_PER_BATCH": "10"}

    def paperskim(*extra: str) -> str:
        done = subprocess.run(
            [*_batch_cmd(db, fake_openai), *extra],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "1 still running" in paperskim("--no-wait")  # submitted, then the process ends
    with Session(store) as session:
        (row,) = session.exec(select(LLMBatch)).all()
        assert row.remote_id is not None and row.status in ("validating", "in_progress")
        assert len(session.exec(select(WorkLease)).all()) == N  # claimed by the batch

    assert "1 still running" in paperskim("--no-wait")  # polled by id, not done yet
    assert f"{N} summarized, 0 failed, 1 batch(es) collected" in paperskim("--no-wait")
    assert "0 summarized" in paperskim("--no-wait")  # nothing left: no new batch

    creates = [r for r in fake_openai.requests if (r.method, r.path) == ("POST", "/v1/batches")]
    assert len(creates) == 1  # never submitted twice
    ok = _ok_per_paper(store)
    assert len(ok) == N and set(ok.values()) == {1}


def test_an_answer_for_an_abstract_changed_since_submission_is_not_stored(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    """A batch answers up to 24 hours later; a new version of a paper ingested meanwhile is not
    what the model read. Its answer is dropped and the new version stays pending; the rest of
    the batch is stored."""
    store = open_engine(f"sqlite:///{tmp_path / 'changed.db'}")
    load_synthetic(store, tmp_path, 10)
    fake_openai.handler = answer_all
    runner = _runner(fake_openai, store)
    row = runner.submit()
    assert row is not None
    changed = synthetic_records(1)[0]
    changed["abstract"] = "We present Method0, now rewritten: it cuts latency by 3x on GPUs."
    report = ingest_files(store, [write_jsonl(tmp_path / "v2.jsonl", [changed])])
    assert report.updated == 1
    runner.poll(row)
    assert runner.collect(row) == (9, 0)
    with Session(store) as session:
        paper = get_paper(session, "2601.00000")
        assert paper is not None and current_summary(session, paper) is None
    assert _runner(fake_openai, store).submit() is not None  # still pending: resubmitted
