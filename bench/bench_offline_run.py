"""Offline `run` at scale against a bulk floor measured in the same run, with memory and claims.

    .venv/bin/python bench/bench_offline_run.py                          # 1k, 10k, 100k papers
    .venv/bin/python bench/bench_offline_run.py --sizes 1000,10000       # quicker
    .venv/bin/python bench/bench_offline_run.py --claims --sizes 10000   # claim time only

For each size a store of synthetic papers (tests/scale_data.synthetic_records) is written once
(untimed, rows inserted directly) and copied twice. Each measurement runs in its own process, so
its peak resident memory (resource.getrusage) is its own:

* run: summarize_pending with the offline engine, in one process (`--workers 1`, the like-for-
  like figure against the floor) and with the engine's default workers (wall clock only);
* floor: the same offline engine over the same abstracts, read in one query, then one
  executemany insert of the summaries and one of the gains into the empty tables; no queue.

Printed: wall seconds, CPU ms per paper (this process and its worker processes), the ratio of
the run's wall time (and CPU) to the floor's, and peak RSS. Targets (issue 15): ratio <= 1.5
at 100k, RSS < 300 MB, CPU per paper flat from 1k to 100k. With --claims: seconds per claim of 64 at
the start of a run and with all but the last 64 papers done, for a queue that has walked there.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, select  # noqa: E402

from agent.core.records import PaperRecord  # noqa: E402
from agent.summarize.engines import (  # noqa: E402
    OfflineSummarizer,
    _item,
    offline_outcomes,
    summarize_pending,
)
from store.db import open_engine  # noqa: E402
from store.papers import paper_key  # noqa: E402
from store.tables import GainRecord, Paper, Summary, utcnow  # noqa: E402
from store.work_queue import WorkQueue  # noqa: E402
from tests.scale_data import synthetic_records  # noqa: E402

PAPERS = Paper.__table__  # type: ignore[attr-defined]
SUMMARIES = Summary.__table__  # type: ignore[attr-defined]
GAINS = GainRecord.__table__  # type: ignore[attr-defined]


def write_store(path: Path, n: int) -> None:
    """n synthetic papers in a migrated store, 5,000 rows an insert (setup, not measured)."""
    engine = open_engine(f"sqlite:///{path}")
    now = utcnow()
    for start in range(0, n, 5000):
        rows = []
        for r in synthetic_records(min(5000, n - start), start):
            record = PaperRecord(
                r["title"], r["abstract"], "synthetic", 0, r["id"], r["id"], None, None, (),
                None, (),
            )  # fmt: skip
            rows.append(
                {
                    "key": paper_key(record),
                    "source_id": r["id"],
                    "arxiv_id": r["id"],
                    "title_key": record.title_key,
                    "title": record.title,
                    "abstract": record.abstract,
                    "abstract_hash": record.abstract_hash,
                    "version": 1,
                    "authors": [],
                    "categories": [],
                    "source": "synthetic",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with engine.begin() as connection:
            connection.execute(insert(PAPERS), rows)
    engine.dispose()


def _usage() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return cpu, max(me.ru_maxrss, kids.ru_maxrss) / 1024  # Linux: KB


def measure_run(engine: Engine, workers: int) -> int:
    return summarize_pending(engine, OfflineSummarizer(workers=workers)).summarized


def measure_floor(engine: Engine) -> int:
    with engine.connect() as connection:
        papers = [Paper(**row._mapping) for row in connection.execute(select(PAPERS))]
    outcomes = offline_outcomes([_item(p) for p in papers])
    hashes = {p.id: p.abstract_hash for p in papers}
    made_by, now = OfflineSummarizer.made_by, utcnow()
    summaries: list[dict[str, Any]] = []
    gains: list[dict[str, Any]] = []
    for summary_id, outcome in enumerate(outcomes, start=1):  # the tables start empty
        s = outcome.summary
        summaries.append(
            {
                "id": summary_id,
                "paper_id": outcome.item.paper_id,
                "abstract_hash": hashes[outcome.item.paper_id],
                "engine": made_by.engine,
                "model": None,
                "prompt_version": made_by.prompt_version,
                "status": "ok" if s else "failed",
                "takeaway": s.takeaway if s else None,
                "has_claims": s.has_claims if s else None,
                "error": outcome.error,
                "created_at": now,
            }
        )
        for position, gain in enumerate(s.gains if s else []):
            gains.append({"summary_id": summary_id, "position": position, **gain.model_dump()})
    with engine.begin() as connection:
        connection.execute(insert(SUMMARIES), summaries)
        if gains:
            connection.execute(insert(GAINS), gains)
    return sum(1 for o in outcomes if o.summary is not None)


def child(mode: str, db: Path, workers: int) -> None:
    engine = open_engine(f"sqlite:///{db}")
    cpu0, _ = _usage()
    start = time.perf_counter()
    done = measure_floor(engine) if mode == "floor" else measure_run(engine, workers)
    wall = time.perf_counter() - start
    cpu1, rss = _usage()
    print(json.dumps({"summarized": done, "wall": wall, "cpu": cpu1 - cpu0, "rss_mb": rss}))


def claims(db: Path, n: int) -> None:
    engine = open_engine(f"sqlite:///{db}")
    made_by = OfflineSummarizer.made_by
    queue = WorkQueue(engine, made_by)
    start = time.perf_counter()
    queue.claim(64)
    first = time.perf_counter() - start
    queue.release_all()
    # All but the last 64 papers done (rows written directly), the queue's walk near the end.
    with engine.begin() as connection:
        rows = connection.execute(
            select(PAPERS.c.id, PAPERS.c.abstract_hash).order_by(PAPERS.c.id)
        ).all()
        connection.execute(
            insert(SUMMARIES),
            [
                {
                    "paper_id": pid,
                    "abstract_hash": digest,
                    "engine": made_by.engine,
                    "prompt_version": made_by.prompt_version,
                    "status": "ok",
                    "created_at": utcnow(),
                }
                for pid, digest in rows[:-64]
            ],
        )
    queue._after = rows[-65][0]  # where a run's walk stands after claiming those
    start = time.perf_counter()
    got = queue.claim(64)
    late = time.perf_counter() - start
    queue.release_all()
    print(f"claims  n={n:>7}: claim of 64 at start {first:.4f}s, near the end {late:.4f}s ")
    print(f"         ({len(got)} claimed; a fresh queue walks the whole table once)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--claims", action="store_true", help="claim time only")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "DB", "WORKERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), int(args.child[2]))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            template = Path(tmp) / f"{n}.db"
            write_store(template, n)
            if args.claims:
                claims(template, n)
                continue
            results = {}
            for mode, workers in (("floor", 1), ("run", 1), ("run", 0)):
                db = Path(tmp) / f"{n}-{mode}-{workers}.db"
                shutil.copy(template, db)
                w = workers or OfflineSummarizer().workers
                out = subprocess.run(
                    [sys.executable, __file__, "--child", mode, str(db), str(w)],
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                if out.returncode:
                    sys.exit(f"{mode} at {n} papers failed:\n{out.stderr[-2000:]}")
                results[(mode, workers)] = json.loads(out.stdout.strip().splitlines()[-1])
                db.unlink()
            floor, one, many = results[("floor", 1)], results[("run", 1)], results[("run", 0)]
            assert floor["summarized"] == one["summarized"] == many["summarized"]
            for label, r in (("floor", floor), ("run, 1 process", one), ("run, default", many)):
                print(
                    f"n={n:>7} {label:<15} {r['wall']:8.2f}s wall  "
                    f"{1000 * r['cpu'] / n:6.3f} ms CPU/paper  peak RSS {r['rss_mb']:6.1f} MB"
                )
            print(
                f"n={n:>7} ratio to floor: {one['wall'] / floor['wall']:.2f}x (1 process), "
                f"{many['wall'] / floor['wall']:.2f}x (default workers, wall clock); "
                f"CPU {one['cpu'] / floor['cpu']:.2f}x (1 process)"
            )
            template.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
