"""Review UI pages on a large store: server time p50/p95 of the queue, paper and digest preview.

    .venv/bin/python bench/bench_pages.py                   # 100,000 papers (store cached)
    .venv/bin/python bench/bench_pages.py --papers 2000     # a reduced size, e.g. for CI

The store (bench/scale_store.py: synthetic papers, offline summaries, some reviewed) is built
once and kept in the temp dir. Each page is requested through FastAPI's TestClient in the same
process (no network, no server start), warm (one untimed round first), and the time from request
to the full body is recorded:

- queue: the first page, a page in the middle (`?after=`), and filtered pages (status, claims,
  failed, text search), 50 papers each; target p95 < 150 ms;
- paper: papers spread over the store, with and without a filter (neighbours found by keyset);
  target p95 < 150 ms;
- digest preview: `/digest/page`, the top 50 as `paperskim digest --format html` writes them;
  target p95 < 500 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from agent.cli.review import build_review_app
from agent.config import load_settings
from bench.scale_store import cached_store

TARGETS_MS = {"queue": 150.0, "paper": 150.0, "digest preview": 500.0}


def _time(client: TestClient, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return elapsed


def urls(n: int, rng: random.Random, rounds: int) -> dict[str, list[str]]:
    queue = ["/", f"/?after={n // 2}", f"/?before={n - 10}", "/?status=draft", "/?claims=yes",
             f"/?status=approved&after={n // 3}", "/?failed=1", "/?q=Method4242",
             "/?engine=human"]  # fmt: skip
    papers = [rng.randint(1, n) for _ in range(20 * rounds)]
    paper = [f"/papers/{p}" + ("?status=approved" if i % 2 else "") for i, p in enumerate(papers)]
    return {
        "queue": queue * rounds,
        "paper": paper,
        "digest preview": ["/digest/page"] * max(3, rounds),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    store, path = cached_store(args.papers)
    print(
        f"store: {args.papers:,} papers at {path} (ready in {time.perf_counter() - started:.1f} s)"
    )
    app = build_review_app(load_settings(db=str(path)), reviewer="bench")
    rng = random.Random(7)
    failed = False
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:  # the host it serves
        plan = urls(args.papers, rng, args.rounds)
        for name, pages in plan.items():
            for url in pages[: max(1, len(pages) // args.rounds)]:  # warm-up round, untimed
                _time(client, url)
            times = [_time(client, url) for url in pages]
            p50, p95 = statistics.median(times), percentile(times, 0.95)
            target = TARGETS_MS[name]
            verdict = "ok" if p95 < target else "OVER TARGET"
            failed |= p95 >= target
            print(
                f"{name:15s} n={len(times):3d}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                f"max {max(times):7.1f} ms  (target p95 < {target:.0f} ms: {verdict})"
            )
            if name == "queue":
                by_url: dict[str, list[float]] = {}
                for url, t in zip(pages, times, strict=True):
                    by_url.setdefault(url, []).append(t)
                for url, ts in by_url.items():
                    print(f"    {url:34s} median {statistics.median(ts):7.1f} ms")
    store.dispose()
    print("all targets met" if not failed else "some target missed (see above)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
