"""Ingesting an arXiv metadata snapshot: records per second against a plain-insert floor, and
resident memory that stays flat.

    nice -n 10 .venv/bin/python bench/bench_ingest.py                  # 100,000 records
    nice -n 10 .venv/bin/python bench/bench_ingest.py --size 1000000   # memory over 1M
    .venv/bin/python bench/bench_ingest.py --size 10000                # CI size

Writes synthetic records in the format of the arXiv metadata snapshot (one JSON object a line:
id, submitter, authors, title, comments, categories, abstract, versions, update_date, ...) to a
temporary file, a line at a time. Then, in the same run:

1. the floor: what `sqlite-utils insert --pk id --ignore` does. Each line is read and parsed
   (json.loads), its fields go as they are into a table with the paper table's columns and
   one unique key (the arXiv id), by `executemany("INSERT OR IGNORE ...")` in one transaction
   per chunk of `agent.ingest.step.CHUNK` records; same SQLite settings as the store (WAL,
   synchronous=NORMAL);
2. for the breakdown, the floor again with a full-text index of title and abstract beside its
   table (FTS5 with the store's tokenizer, filled in the same transactions): what any ingest
   that makes the abstracts searchable pays at least. The index alone takes about 1.8x the
   floor's CPU, so such an ingest runs at most at ~0.35 of the floor's speed: the 1/3 target
   leaves it some 6% for everything else (dedup, field rules, revisions, the paper table's
   indexes);
3. the same rows into paperskim's own tables (the paper table's five
   indexes, a revision row, the full-text index), written as ingest writes them (INSERTs of
   1,000 rows each), without its field rules or dedup;
4. paperskim's ingest (agent.ingest.step.ingest_files) into a fresh store: the real parser and
   field rules, the dedup look-up, papers and revisions, and the full-text index its triggers
   fill.

Both are timed by wall clock and by this process's CPU time (SQLite runs in-process, so that is
all the work; it is the steadier figure on a shared machine). Targets: paperskim at least 1/3
of the floor's records/s; resident memory sampled every tenth of the ingest, the last sample
within --max-growth MB of the first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.ingest.step import CHUNK, ingest_files  # noqa: E402
from store.db import open_engine  # noqa: E402

WORDS = (  # noqa: SIM905  (a sentence reads better than a list of 34 strings)
    "we propose a method for efficient training of large language models that reduces memory "
    "and improves throughput on standard benchmarks while keeping accuracy with sparse attention "
    "quantization caching scheduling kernels distributed inference serving latency"
).split()
TARGET_RATIO = 1 / 3
T = TypeVar("T")


def rss_mb() -> float:
    """Current resident memory of this process (Linux /proc), in MB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def arxiv_id(i: int) -> str:
    """Distinct new-style ids: 12 months of 99,999 papers a year, then the next year."""
    year, rest = divmod(i, 12 * 99_999)
    month, number = divmod(rest, 99_999)
    return f"{(23 + year) % 100:02d}{month + 1:02d}.{number + 1:05d}"


def write_snapshot(path: Path, n: int, seed: int = 1) -> None:
    """`n` snapshot records, written a line at a time (a million take ~1.8 GB, not RAM)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(120, 220)))
            record = {
                "id": arxiv_id(i),
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


FLOOR_TABLE = """
CREATE TABLE paper (
    id INTEGER PRIMARY KEY, key VARCHAR NOT NULL UNIQUE, source_id VARCHAR, arxiv_id VARCHAR,
    title_key VARCHAR, title TEXT NOT NULL, abstract TEXT NOT NULL, abstract_hash VARCHAR,
    version INTEGER, arxiv_version INTEGER, url VARCHAR, authors JSON, categories JSON,
    published VARCHAR, source VARCHAR NOT NULL, created_at DATETIME, updated_at DATETIME
)
"""
FLOOR_INSERT = (
    "INSERT OR IGNORE INTO paper (key, source_id, arxiv_id, title, abstract, authors, "
    "categories, published, source, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


# The store's tokenizer (migration 0013), over the two columns ingest makes searchable.
FLOOR_INDEX = (
    "CREATE VIRTUAL TABLE paper_text USING fts5(title, abstract, tokenize = '{tokenize}')",
    "INSERT INTO paper_text (rowid, title, abstract) SELECT id, title, abstract FROM paper "
    "WHERE id > ?",
)


def store_tokenizer(folder: Path) -> str:
    """The tokenizer of the store's full-text index, as a fresh store declares it."""
    path = folder / "tokenizer-probe.db"
    open_engine(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'paper_search'").fetchone()
    for leftover in folder.glob("tokenizer-probe.db*"):
        leftover.unlink()
    match = re.search(r"tokenize\s*=\s*'([^']+)'", sql[0])
    assert match, sql
    return match.group(1)


def floor(snapshot: Path, database: Path, *, tokenizer: str | None = None) -> int:
    """The plain insert: parse each line, store its fields as they are; rows stored.
    `tokenizer`: also fill a full-text index of title and abstract (that FTS5 tokenizer) in
    the same transactions."""
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(FLOOR_TABLE)
    if tokenizer:
        conn.execute(FLOOR_INDEX[0].format(tokenize=tokenizer))
    now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
    source = str(snapshot)

    def insert(rows: list[tuple[object, ...]]) -> None:
        conn.execute("BEGIN")
        last = conn.execute("SELECT coalesce(max(id), 0) FROM paper").fetchone()[0]
        conn.executemany(FLOOR_INSERT, rows)
        if tokenizer:
            conn.execute(FLOOR_INDEX[1], (last,))
        conn.execute("COMMIT")

    rows: list[tuple[object, ...]] = []
    with snapshot.open(encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            rows.append(
                (r["id"], r["id"], r["id"], r["title"], r["abstract"], r["authors"],
                 r["categories"], r["update_date"], source, now, now)
            )  # fmt: skip
            if len(rows) >= CHUNK:
                insert(rows)
                rows = []
    if rows:
        insert(rows)
    stored = int(conn.execute("SELECT count(*) FROM paper").fetchone()[0])
    conn.close()
    return stored


SCHEMA_PAPER = (
    "INSERT INTO paper (id, key, source_id, arxiv_id, title_key, title, abstract, abstract_hash,"
    " version, authors, categories, published, source, created_at, updated_at) VALUES ",
    "(?,?,?,?,?,?,?,?,1,?,?,?,?,?,?)",
)
SCHEMA_REVISION = (
    "INSERT INTO paperrevision (paper_id, version, abstract_hash, abstract, source, created_at)"
    " VALUES ",
    "(?,1,?,NULL,?,?)",
)
ROWS_PER_INSERT = 1000  # as store/papers._insert_rows writes them: many rows a statement


def insert_rows(
    conn: sqlite3.Connection, statement: tuple[str, str], rows: list[tuple[object, ...]]
) -> None:
    """`rows` by INSERTs of ROWS_PER_INSERT rows each (statement: the INSERT up to VALUES,
    and one row's placeholders)."""
    head, one = statement
    for start in range(0, len(rows), ROWS_PER_INSERT):
        part = rows[start : start + ROWS_PER_INSERT]
        conn.execute(head + ", ".join([one] * len(part)), [v for row in part for v in row])


def schema_floor(snapshot: Path, database: Path) -> int:
    """The plain insert into paperskim's own tables: the paper table's five indexes, a revision
    a paper, and the full-text index (filled in one statement a chunk, as ingest does through
    paper_search_deferred, migration 0013). No field rules, no dedup: what SQLite alone costs."""
    open_engine(f"sqlite:///{database}").dispose()
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
    source = str(snapshot)

    def digest(text: str) -> str:  # stands in for paperskim's hex keys: spread like them
        return f"{hash(text) & 0xFFFFFFFFFFFFFFFF:016x}"

    def insert(first: int, rows: list[tuple[object, ...]]) -> None:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO paper_search_deferred VALUES (?, ?)", (first, first + len(rows)))
        insert_rows(conn, SCHEMA_PAPER, rows)
        insert_rows(conn, SCHEMA_REVISION, [(r[0], r[7], source, now) for r in rows])
        conn.execute("DELETE FROM paper_search_deferred")
        conn.execute("COMMIT")

    rows: list[tuple[object, ...]] = []
    pid = 0
    with snapshot.open(encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            pid += 1
            rows.append(
                (pid, "arxiv:" + r["id"], r["id"], r["id"], digest(r["title"]), r["title"],
                 r["abstract"], digest(r["abstract"]), json.dumps([r["authors"]]),
                 json.dumps([r["categories"]]), r["update_date"], source, now, now)
            )  # fmt: skip
            if len(rows) >= CHUNK:
                insert(pid - len(rows) + 1, rows)
                rows = []
    if rows:
        insert(pid - len(rows) + 1, rows)
    stored = int(conn.execute("SELECT count(*) FROM paper_search_current").fetchone()[0])
    conn.close()
    return stored


def timed(run: Callable[[], T]) -> tuple[float, float, T]:
    """(wall seconds, CPU seconds of this process, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="records")
    parser.add_argument("--max-growth", type=float, default=40.0, help="MB allowed to grow")
    args = parser.parse_args()
    n = args.size
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / "arxiv-metadata-snapshot.json"
        started = time.perf_counter()
        write_snapshot(snapshot, n)
        size_mb = snapshot.stat().st_size / 1e6
        print(f"wrote {n:,} records ({size_mb:,.0f} MB) in {time.perf_counter() - started:.0f}s")

        floor_wall, floor_cpu, floor_rows = timed(lambda: floor(snapshot, Path(tmp) / "floor.db"))
        print(
            f"floor (json.loads + executemany INSERT OR IGNORE): {floor_wall:.1f}s wall, "
            f"{floor_cpu:.1f}s CPU; {n / floor_wall:,.0f} records/s wall, "
            f"{n / floor_cpu:,.0f} records/s CPU; {floor_rows:,} rows"
        )
        (Path(tmp) / "floor.db").unlink()
        tokenizer = store_tokenizer(Path(tmp))  # read before the clock starts
        index_wall, index_cpu, _ = timed(
            lambda: floor(snapshot, Path(tmp) / "indexed.db", tokenizer=tokenizer)
        )
        print(
            f"the floor with a full-text index of title and abstract: {index_wall:.1f}s wall, "
            f"{index_cpu:.1f}s CPU; {floor_cpu / index_cpu:.2f} of the floor's speed by CPU "
            f"(the index alone takes {(index_cpu - floor_cpu) / floor_cpu:.1f}x the floor's CPU)"
        )
        for leftover in Path(tmp).glob("indexed.db*"):
            leftover.unlink()
        schema_db = Path(tmp) / "schema.db"
        schema_wall, schema_cpu, indexed = timed(lambda: schema_floor(snapshot, schema_db))
        print(
            f"the same into paperskim's tables and search index (no field rules, no dedup): "
            f"{schema_wall:.1f}s wall, {schema_cpu:.1f}s CPU; {n / schema_wall:,.0f} records/s "
            f"wall, {n / schema_cpu:,.0f} records/s CPU; {indexed:,} indexed"
        )
        for leftover in Path(tmp).glob("schema.db*"):
            leftover.unlink()

        store = open_engine(f"sqlite:///{tmp}/ingest.db")
        samples: list[tuple[int, float]] = []
        count = 0
        every = max(n // 10, 1)

        def on_records(stored: int) -> None:
            nonlocal count
            before, count = count, count + stored
            if count // every > before // every:
                samples.append((count, rss_mb()))

        start_rss = rss_mb()
        wall, cpu, report = timed(
            lambda: ingest_files(store, [snapshot], fmt="jsonl", on_records=on_records)
        )
        new, invalid = report.new, len(report.errors)
    print(
        f"paperskim ingest: {wall:.1f}s wall, {cpu:.1f}s CPU; {n / wall:,.0f} records/s wall, "
        f"{n / cpu:,.0f} records/s CPU; {new:,} new, {invalid} invalid"
    )
    ratio_wall, ratio_cpu = floor_wall / wall, floor_cpu / cpu
    speed = "ok" if ratio_cpu >= TARGET_RATIO else "BELOW TARGET"
    print(
        f"{speed}: paperskim runs at {ratio_wall:.2f} of the floor's speed by wall clock, "
        f"{ratio_cpu:.2f} by CPU (target >= {TARGET_RATIO:.2f}); "
        f"it takes {1 / ratio_cpu:.1f}x the floor's CPU"
    )
    print(
        f"breakdown: the plain insert into paperskim's tables and index is {schema_cpu / cpu:.0%}"
        f" of its CPU (the field rules, dedup and the rest: {(cpu - schema_cpu) / cpu:.0%}); "
        f"that alone runs at {floor_cpu / schema_cpu:.2f} of the floor's speed by CPU"
    )
    print(
        f"ceiling: an ingest that indexes the abstracts as it stores them runs at most at "
        f"{floor_cpu / index_cpu:.2f} of the floor's speed by CPU (target {TARGET_RATIO:.2f}); "
        f"paperskim reaches {floor_cpu / cpu / (floor_cpu / index_cpu):.2f} of that ceiling"
    )
    print(
        f"resident memory (MB): start {start_rss:.0f}; "
        + ", ".join(f"{k:,}: {mb:.0f}" for k, mb in samples)
    )
    growth = samples[-1][1] - samples[0][1] if samples else 0.0
    verdict = "ok" if growth <= args.max_growth else "FAIL"
    print(f"{verdict}: memory grew {growth:.1f} MB from the first tenth to the end")
    if new != n or verdict == "FAIL":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
