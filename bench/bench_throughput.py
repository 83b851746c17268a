"""Throughput of the LLM path against a slow, rate-limited endpoint, as a fraction of the ideal.

    .venv/bin/python bench/bench_throughput.py                     # 2,000 abstracts (~2 min)
    .venv/bin/python bench/bench_throughput.py --size 300          # CI size

The local OpenAI-compatible test server answers every request after `--latency` seconds plus
`--token-latency` seconds per completion token, and admits at most `--rpm` chat completions in
any sliding 60 s window (beyond that: 429 with retry-after-ms and x-ratelimit-* headers). The
real summarize path (work queue, LLMBatchSummarizer, the openai client, the rate limiter) runs
the synthetic abstracts through it twice:

* "budget": the client is told the limit (requests_per_minute = --rpm) and paces itself;
* "adaptive": the client is told nothing and has to learn the limit from the headers and 429s.

The ideal is what the latency, the concurrency and the limit allow, whichever binds:
time >= max(ceil(N / C) * L, floor((N - 1) / K) * 60 + L) for N requests of latency L at concurrency
C under K requests a window. Reported: requests, papers/s, the fraction of the ideal (target
>= 0.85), and the 429s the server sent.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.config import Settings  # noqa: E402
from agent.llm.client import LLM  # noqa: E402
from agent.summarize.engines import LLMBatchSummarizer, summarize_pending  # noqa: E402
from store.db import open_engine  # noqa: E402
from tests.fake_openai import FakeOpenAIServer, Reply  # noqa: E402
from tests.llm_answers import good_answer, papers_in  # noqa: E402
from tests.scale_data import load_synthetic  # noqa: E402

WINDOW = 60.0
TOKENS_PER_PAPER = 60  # completion tokens the server bills (and "generates") per paper


def answer(body: dict[str, Any]) -> Reply:
    return Reply.content(
        good_answer(body), completion_tokens=TOKENS_PER_PAPER * len(papers_in(body))
    )


def run(args: argparse.Namespace, budget: bool) -> dict[str, float]:
    with (
        FakeOpenAIServer(
            handler=answer,
            latency=args.latency,
            token_latency=args.token_latency,
            rate_limit=(args.rpm, WINDOW),
        ) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        store = open_engine(f"sqlite:///{tmp}/bench.db")
        load_synthetic(store, Path(tmp), args.size)
        llm_settings: dict[str, Any] = {
            "base_url": server.url,
            "model": "gpt-4.1-mini",
            "max_papers_per_batch": args.batch,
            "max_retries": 6,
        }
        if budget:
            llm_settings["requests_per_minute"] = args.rpm
        settings = Settings(llm=llm_settings)
        llm = LLM(settings.llm, store)
        summarizer = LLMBatchSummarizer(llm, settings, concurrency=args.concurrency)
        started = time.monotonic()
        report = summarize_pending(store, summarizer)
        elapsed = time.monotonic() - started
        bodies = server.chat_requests()
        admitted = len(bodies) - server.rate_limited
        sizes = [len(papers_in(b)) for b in bodies]
    mean_papers = sum(sizes) / len(sizes)
    latency = args.latency + args.token_latency * TOKENS_PER_PAPER * mean_papers
    ideal = max(
        math.ceil(admitted / args.concurrency) * latency,
        ((admitted - 1) // args.rpm) * WINDOW + latency,
    )
    return {
        "papers": report.summarized,
        "failed": report.failed,
        "requests": admitted,
        "rate_limited": server.rate_limited,
        "seconds": elapsed,
        "papers_per_s": report.summarized / elapsed,
        "ideal_seconds": ideal,
        "fraction": ideal / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=2000, help="abstracts")
    parser.add_argument("--batch", type=int, default=16, help="max papers per request")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=1.5, help="seconds per request")
    parser.add_argument("--token-latency", type=float, default=0.001, help="s per output token")
    parser.add_argument("--rpm", type=int, default=60, help="server limit: requests per 60 s")
    parser.add_argument("--min-fraction", type=float, default=0.85)
    parser.add_argument("--mode", choices=["budget", "adaptive", "both"], default="both")
    args = parser.parse_args()
    modes = ["budget", "adaptive"] if args.mode == "both" else [args.mode]
    print(
        f"{args.size} abstracts, {args.batch}/request, concurrency {args.concurrency}, latency "
        f"{args.latency}s + {args.token_latency}s/token, limit {args.rpm} requests/60s"
    )
    worst = 1.0
    for mode in modes:
        r = run(args, budget=mode == "budget")
        worst = min(worst, r["fraction"])
        print(
            f"{mode:9} {r['papers']:.0f} papers ({r['failed']:.0f} failed) in "
            f"{r['requests']:.0f} requests, {r['seconds']:.1f}s = {r['papers_per_s']:.1f} "
            f"papers/s; ideal {r['ideal_seconds']:.1f}s; fraction of ideal {r['fraction']:.2f}; "
            f"429s {r['rate_limited']:.0f}"
        )
    if worst < args.min_fraction:
        print(f"FAIL: {worst:.2f} < {args.min_fraction}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
