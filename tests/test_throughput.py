"""Concurrency and rate limits: the client stays inside them and backs off when pushed back.

Speed itself is measured by bench/bench_throughput.py; these check behaviour, not time.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from agent.config import Settings
from agent.llm.client import LLM
from agent.llm.limits import RateLimiter, parse_reset
from agent.summarize.engines import LLMBatchSummarizer, summarize_pending
from store.db import open_engine
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import answer_all, good_answer, papers_in
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


def test_a_token_limited_endpoint_is_obeyed_and_every_paper_still_done(tmp_path: Path) -> None:
    # 8 requests of ~1,500 tokens (prompt + max_tokens) fit the server's 1 s window 2 at a time.
    with FakeOpenAIServer(handler=answer_all, token_limit=(3200, 1.0)) as server:
        report, limiter = _run(server, tmp_path, 32, concurrency=8, output_tokens_per_paper=50)
    assert (report.summarized, report.failed) == (32, 0)
    assert limiter.token_limit == 3200  # learned from the x-ratelimit-limit-tokens header


def test_a_429_while_the_endpoint_answers_is_waited_out_and_fails_no_paper(tmp_path: Path) -> None:
    answered = itertools.count()

    def every_third_refused(body: dict[str, Any]) -> Reply:
        if next(answered) % 3 == 2:
            return Reply.error(429, "Rate limit reached", headers={"retry-after-ms": "1"})
        return answer_all(body)

    with FakeOpenAIServer(handler=every_third_refused) as server:
        # No retries at all: a 429 that is pacing is not a try.
        report, limiter = _run(server, tmp_path, 40, concurrency=1, max_retries=0)
    assert (report.summarized, report.failed) == (40, 0)
    assert limiter.stats.rate_limited == len(server.chat_requests()) - 10 > 0


def test_a_spent_quota_fails_at_once(tmp_path: Path) -> None:
    quota = Reply.error(429, "You exceeded your current quota", code="insufficient_quota")
    with FakeOpenAIServer(handler=lambda body: quota) as server:
        report, _limiter = _run(server, tmp_path, 4, concurrency=1)
    assert report.failed == 4 and "quota" in report.failures[0][1]
    assert len(server.chat_requests()) == 1  # waiting does not refill a quota: not retried


def test_max_tokens_follows_the_answers_the_run_has_had(tmp_path: Path) -> None:
    def answer(body: dict[str, Any]) -> Reply:
        return Reply.content(good_answer(body), completion_tokens=60 * len(papers_in(body)))

    with FakeOpenAIServer(handler=answer) as server:
        report, _limiter = _run(server, tmp_path, 40, concurrency=1)
        asked = [(len(papers_in(b)), b["max_tokens"]) for b in server.chat_requests()]
    assert report.summarized == 40
    # The setting (400 a paper + 200) until an answer is in, then what they took plus a
    # headroom that narrows once three answers show how much they vary (here: not at all).
    sizes = [max_tokens for _, max_tokens in asked]
    assert asked[0] == (4, 1800)
    assert all(4 * 60 < size < 1800 / 2 for size in sizes[1:])
    assert sizes[1:] == sorted(sizes[1:], reverse=True) and sizes[-1] < 4 * 60 * 1.6
