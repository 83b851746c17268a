"""Ingesting an arXiv metadata snapshot: records per second, and memory that stays flat.

    .venv/bin/python bench/bench_ingest.py                   # 100,000 records
    .venv/bin/python bench/bench_ingest.py --size 10000      # CI size

Writes synthetic records in the format of the arXiv metadata snapshot (one JSON object a line:
id, submitter, authors, title, comments, categories, abstract, versions, update_date, ...) to a
temporary file, then runs the real ingest (agent/pipeline.ingest_files: streaming parser, upsert,
a commit every 500 records) into a fresh SQLite database. The process's resident memory is
sampled as it goes: it must not grow with the number of records (target: the last sample within
--max-growth MB of the one after the first tenth).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.ingest.step import ingest_files  # noqa: E402
from store.db import open_engine  # noqa: E402

WORDS = (  # noqa: SIM905  (a sentence reads better than a list of 34 strings)
    "we propose a method for efficient training of large language models that reduces memory "
    "and improves throughput on standard benchmarks while keeping accuracy with sparse attention "
    "quantization caching scheduling kernels distributed inference serving latency"
).split()


def rss_mb() -> float:
    """Current resident memory of this process (Linux /proc), in MB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def write_snapshot(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            month = 2301 + (i // 90000) % 12
            abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(120, 220)))
            record = {
                "id": f"{month}.{i % 90000:05d}",
                "submitter": "A. Author",
                "authors": "A. Author, B. Writer and C. Researcher",
                "title": f"Paper {i}: " + " ".join(rng.choice(WORDS) for _ in range(8)),
                "comments": "12 pages",
                "journal-ref": None,
                "doi": None,
                "report-no": None,
                "categories": rng.choice(["cs.LG", "cs.CL cs.LG", "cs.AI cs.LG"]),
                "license": None,
                "abstract": f"  {abstract} It is {rng.randint(2, 9)}.{i % 10}x faster.\n",
                "versions": [{"version": "v1", "created": "Mon, 2 Jan 2023 10:00:00 GMT"}],
                "update_date": "2023-01-03",
                "authors_parsed": [["Author", "A.", ""], ["Writer", "B.", ""]],
            }
            handle.write(json.dumps(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="records")
    parser.add_argument("--max-growth", type=float, default=40.0, help="MB allowed to grow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / "arxiv-metadata-snapshot.json"
        write_snapshot(snapshot, args.size)
        size_mb = snapshot.stat().st_size / 1e6
        store = open_engine(f"sqlite:///{tmp}/ingest.db")
        samples: list[tuple[int, float]] = []
        count = 0
        every = max(args.size // 10, 1)

        def on_record() -> None:
            nonlocal count
            count += 1
            if count % every == 0:
                samples.append((count, rss_mb()))

        start_rss = rss_mb()
        started = time.perf_counter()
        report = ingest_files(store, [snapshot], fmt="jsonl", on_record=on_record)
        seconds = time.perf_counter() - started
    print(f"{args.size:,} records ({size_mb:.0f} MB file) in {seconds:.1f}s")
    print(f"{args.size / seconds:,.0f} records/s; {report.new:,} new, {len(report.errors)} invalid")
    print(
        f"resident memory (MB): start {start_rss:.0f}; "
        + ", ".join(f"{n:,}: {mb:.0f}" for n, mb in samples)
    )
    growth = samples[-1][1] - samples[0][1] if samples else 0.0
    verdict = "ok" if growth <= args.max_growth else "FAIL"
    print(f"{verdict}: memory grew {growth:.1f} MB from the first tenth to the end")
    if report.new != args.size or verdict == "FAIL":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
