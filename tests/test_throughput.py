"""Concurrency and rate limits: the client stays inside them and backs off when pushed back.

Speed itself is measured by bench/bench_throughput.py; these check behaviour, not time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.config import Settings
from agent.llm.client import LLM
from agent.llm.limits import RateLimiter, parse_reset
from agent.summarize.engines import LLMBatchSummarizer, summarize_pending
from store.db import open_engine
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import answer_all
from tests.scale_data import load_synthetic


def _run(server: FakeOpenAIServer, tmp_path: Path, n: int, concurrency: int, **llm: Any) -> Any:
    store = open_engine(f"sqlite:///{tmp_path / 't.db'}")
    load_synthetic(store, tmp_path, n)
    settings = Settings(
        llm={"base_url": server.url, "model": "gpt-4.1-mini", "max_papers_per_batch": 4, **llm}
    )
    summarizer = LLMBatchSummarizer(LLM(settings.llm, store), settings, concurrency)
    return summarize_pending(store, summarizer), summarizer.engine.llm.limiter


def test_requests_run_concurrently_but_never_above_the_concurrency(tmp_path: Path) -> None:
    latency = 0.2
    with FakeOpenAIServer(handler=answer_all, latency=latency) as server:
        report, _limiter = _run(server, tmp_path, 80, concurrency=4)
        starts = sorted(r.received_at for r in server.requests)
    assert report.summarized == 80 and len(starts) == 20
    # Requests in flight at each arrival: those that arrived less than one latency before.
    overlap = [sum(1 for s in starts if t - latency * 0.9 < s <= t) for t in starts]
    # Never above the concurrency; several at once (a loaded machine may not reach all 4).
    assert 2 <= max(overlap) <= 4


def test_a_rate_limited_endpoint_is_obeyed_and_every_paper_still_done(tmp_path: Path) -> None:
    with FakeOpenAIServer(handler=answer_all, rate_limit=(5, 0.5)) as server:
        report, limiter = _run(server, tmp_path, 120, concurrency=8, max_retries=8)
    assert (report.summarized, report.failed) == (120, 0)
    # It was pushed back (429s, or the x-ratelimit headers said the window was spent) ...
    assert limiter.stats.rate_limited > 0 or limiter.stats.waited_seconds > 0
    # ... and it never lost a request to it.
    assert len(server.chat_requests()) - server.rate_limited == 30


def test_a_429_halves_the_concurrency_and_successes_grow_it_back() -> None:
    limiter = RateLimiter(8)
    limiter.acquire(10)
    limiter.release(rate_limited=True, retry_after=0.0)
    assert limiter.limit == 4
    for _ in range(40):
        limiter.acquire(10)
        limiter.release()
    assert limiter.limit == 8


def test_exhausted_headers_pause_new_requests() -> None:
    limiter = RateLimiter(4)
    limiter.acquire(1)
    limiter.release(
        headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "150ms"}
    )
    import time

    started = time.monotonic()
    limiter.acquire(1)
    assert time.monotonic() - started >= 0.1  # waited for the window to reset


def test_a_request_budget_paces_requests() -> None:
    limiter = RateLimiter(64, requests_per_minute=600)  # 10 a second, bursts of 5 s worth
    for _ in range(50):
        limiter.acquire(1)
        limiter.release()
    assert limiter.stats.waited_seconds < 0.5  # the burst allowance
    limiter.acquire(1)
    assert limiter.stats.waited_seconds >= 0.05  # then it waits for the bucket to refill


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("0.5", 0.5), ("1h2m", 3720.0), ("", None)],
)
def test_reset_headers_parse(header: str, seconds: float | None) -> None:
    assert parse_reset(header) == (pytest.approx(seconds) if seconds is not None else None)


def test_a_final_429_is_reported_to_the_limiter(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.handler = lambda body: Reply.error(429, "slow down", headers={"retry-after-ms": "1"})
        report, limiter = _run(server, tmp_path, 4, concurrency=2, max_retries=0)
    assert report.failed == 4 and "HTTP 429" in report.failures[0][1]
    assert limiter.stats.rate_limited == 1 and limiter.limit == 1
