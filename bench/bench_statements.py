"""SQL statements (and time) of the store's read models over N offline-summarized papers.

The review queue page, status counts, the digest (whole and --top 50), export and stats must
run a fixed number of statements whatever N is (store/views.py, store/queue.py);
tests/test_views.py pins that at 100 vs 1,000 papers, this prints the figures at any size.

    .venv/bin/python bench/bench_statements.py --papers 2000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.digest.select import collect  # noqa: E402
from agent.export import export_rows  # noqa: E402
from agent.review.web.queue import load_page, status_counts  # noqa: E402
from agent.summarize.engines import OfflineSummarizer, summarize_pending  # noqa: E402
from store.db import open_engine  # noqa: E402
from store.views import store_stats  # noqa: E402
from tests.scale_data import load_synthetic  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=2000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    store = open_engine(f"sqlite:///{folder / 'statements.db'}")
    (folder / "src").mkdir()
    load_synthetic(store, folder / "src", args.papers)
    summarize_pending(store, OfflineSummarizer())
    reads: dict[str, Callable[[], object]] = {
        "review queue page": lambda: load_page(store),
        "status counts": lambda: status_counts(store),
        "digest (all)": lambda: collect(store),
        "digest --top 50": lambda: collect(store, top=50),
        "export": lambda: list(export_rows(store)),
        "stats": lambda: store_stats(store),
    }
    print(f"{args.papers} papers")
    for name, read in reads.items():
        count = [0]

        def record(*_args: Any, counter: list[int] = count) -> None:
            counter[0] += 1

        event.listen(store, "before_cursor_execute", record)
        started = time.perf_counter()
        read()
        seconds = time.perf_counter() - started
        event.remove(store, "before_cursor_execute", record)
        print(f"{name}: {count[0]} statements, {seconds:.2f} s")


if __name__ == "__main__":
    main()
