"""1,000 abstracts through an endpoint that fails 20% of requests in every way it can."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.config import Settings
from agent.llm.client import LLM
from agent.summarize.engines import LLMBatchSummarizer, summarize_pending
from store.db import open_engine
from store.tables import Paper, Summary
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import good_answer, papers_in
from tests.scale_data import load_synthetic

N = 1000
FAULTS = ("429", "500", "timeout", "invalid json", "truncated", "missing id", "made-up quote")


class FaultyModel:
    """Answers well 80% of the time; otherwise fails in one of FAULTS.

    Whether a request fails, and how, is a hash of its papers and of how many times they were
    asked before, not a draw in arrival order: eight threads reach the server in any order, and
    a random draw made the run's outcome (for one, whether any paper failed twice) vary."""

    def __init__(self, rate: float = 0.2, seed: int = 7) -> None:
        self.rate = rate
        self.seed = seed
        self.lock = threading.Lock()
        self.injected: Counter[str] = Counter()
        self.asked: Counter[str] = Counter()

    def _fault(self, body: dict[str, Any]) -> str | None:
        papers = ",".join(sorted(p["id"] for p in papers_in(body)))
        with self.lock:
            attempt = self.asked[papers]
            self.asked[papers] += 1
        digest = hashlib.sha256(f"{self.seed}:{papers}:{attempt}".encode()).digest()
        if int.from_bytes(digest[:4]) >= self.rate * 2**32:
            return None
        fault = FAULTS[digest[4] % len(FAULTS)]
        with self.lock:
            self.injected[fault] += 1
        return fault

    def __call__(self, body: dict[str, Any]) -> Reply:
        fault = self._fault(body)
        answer = good_answer(body)
        if fault == "429":
            return Reply.error(429, "Rate limit reached", headers={"retry-after-ms": "1"})
        if fault == "500":
            return Reply.error(500, "The server had an error", headers={"retry-after-ms": "1"})
        if fault == "timeout":
            return Reply.hang(1.0, Reply.content(answer))
        if fault == "invalid json":
            return Reply.content('{"papers": [{"id": oops')
        if fault == "truncated":
            text = json.dumps(answer)
            return Reply.content(text[: len(text) // 2], finish_reason="length")
        if fault == "missing id":
            answer["papers"] = answer["papers"][1:]
        if fault == "made-up quote":
            answer["papers"][0]["gains"] = [
                {**answer["papers"][0]["gains"][0], "quote": "a 100x speedup over everything"}
            ]
        return Reply.content(answer)


def _summarizer(
    server: FakeOpenAIServer, store: Engine, timeout: float = 0.3
) -> LLMBatchSummarizer:
    settings = Settings(
        llm={
            "base_url": server.url,
            "model": "gpt-4.1-mini",
            "max_papers_per_batch": 8,
            "max_retries": 1,
            "max_reasks": 1,
            "timeout": timeout,
        }
    )
    return LLMBatchSummarizer(LLM(settings.llm, store), settings, concurrency=8)


def _rows(store: Engine) -> list[Summary]:
    with Session(store) as session:
        return list(session.exec(select(Summary)).all())


def test_every_paper_ends_valid_or_failed_with_its_reason_and_failures_are_retried(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'faults.db'}")
    load_synthetic(store, tmp_path, N)
    model = FaultyModel()
    fake_openai.handler = model

    first = summarize_pending(store, _summarizer(fake_openai, store))

    assert set(model.injected) == set(FAULTS), model.injected  # every kind really happened
    rows = _rows(store)
    per_paper = Counter(r.paper_id for r in rows)
    assert len(per_paper) == N and set(per_paper.values()) == {1}  # one outcome each
    ok = [r for r in rows if r.status == "ok"]
    failed = [r for r in rows if r.status == "failed"]
    assert len(ok) + len(failed) == N
    assert (first.summarized, first.failed) == (len(ok), len(failed))
    assert failed, "with 20% faults and one retry some papers should fail"
    assert all(r.error and r.error.strip() for r in failed)
    assert all(r.takeaway for r in ok)

    # A later run, on a healthy endpoint, retries exactly the failed papers. Its timeout is
    # generous: on a loaded machine a healthy answer can take longer than the first run's 0.3 s
    # (that short timeout is there to make the injected hangs fail fast).
    model.rate = 0.0
    before = len(fake_openai.chat_requests())
    second = summarize_pending(store, _summarizer(fake_openai, store, timeout=10.0))
    assert (second.candidates, second.summarized, second.failed) == (len(failed), len(failed), 0)
    retried = {p["id"] for b in fake_openai.chat_requests()[before:] for p in papers_in(b)}
    with Session(store) as session:
        failed_ids = {
            session.get(Paper, r.paper_id).source_id  # type: ignore[union-attr]
            for r in failed
        }
    assert retried == failed_ids
    ok_now = Counter(r.paper_id for r in _rows(store) if r.status == "ok")
    assert len(ok_now) == N and set(ok_now.values()) == {1}
