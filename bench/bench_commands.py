"""`digest`, `export` and `stats` on a large store, each against a floor doing the same work in
one SQL statement on the same store.

    .venv/bin/python bench/bench_commands.py                  # 100,000 papers (store cached)
    .venv/bin/python bench/bench_commands.py --papers 2000    # a reduced size, e.g. for CI

The store is bench/scale_store.py's (built once, kept in the temp dir). Each command's work is
timed in this process, the way the CLI calls it, without the interpreter start-up (issue 15
item 3 is about that): `digest --top 50` (collect + Markdown, no editor's note), `export` as
JSONL to a file, `stats`. Each floor is one SQLite statement through the stdlib `sqlite3`:

- digest: the 50 papers ranked by the same claim strength and title, computed in SQL from the
  gains (the default profile has no interests, so relevance is the LLM rating: none here),
  with their takeaways and gains;
- export: every paper with its shown summary (or its failure) and its gains as JSON, written as
  JSONL in the same schema; the bench checks the bytes are identical to `paperskim export`;
- stats: the counts by who made the shown summary / failed / pending in one GROUP BY.

After one untimed round of each, command and floor run alternately, `--rounds` times each;
the medians and their ratio are printed, with this process's peak resident memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.digest.select import collect, render_markdown
from agent.export import write_export
from bench.scale_store import cached_store
from store.views import store_stats

# The summary shown: valid, on the current abstract, human > llm > offline, newest first.
SHOWN = """(SELECT s.id FROM summary s WHERE s.paper_id = p.id AND s.abstract_hash = p.abstract_hash
  AND s.status = 'ok' ORDER BY CASE s.engine WHEN 'human' THEN 0 WHEN 'llm' THEN 1
  WHEN 'offline' THEN 2 ELSE 9 END, s.id DESC LIMIT 1)"""
STATUS = """coalesce((SELECT r.status FROM review r WHERE r.paper_id = p.id
  AND r.abstract_hash = p.abstract_hash ORDER BY r.id DESC LIMIT 1), 'draft')"""
FAILURE = """(SELECT f.id FROM summary f WHERE f.paper_id = p.id
  AND f.abstract_hash = p.abstract_hash AND f.status != 'ok' ORDER BY f.id DESC LIMIT 1)"""
GAINS = """(SELECT json_group_array(json_object('metric', g.metric, 'value', g.value,
  'value_high', g.value_high, 'unit', g.unit, 'kind', g.kind, 'qualifier', g.qualifier,
  'baseline', g.baseline, 'condition', g.condition, 'quote', g.quote))
  FROM (SELECT * FROM gain g WHERE g.summary_id = s.id ORDER BY g.position) g)"""
STRENGTH = """(SELECT max(CASE WHEN g.kind != 'improvement' THEN 0.0 ELSE
  (CASE g.unit WHEN 'x' THEN coalesce(g.value_high, g.value)
    WHEN '%' THEN 1.0 + coalesce(g.value_high, g.value) / 100.0 ELSE 1.0 END)
  * (CASE WHEN coalesce(g.baseline, '') = '' THEN 0.9 ELSE 1.0 END)
  * (CASE WHEN g.qualifier = 'up to' THEN 0.9 ELSE 1.0 END) END)
  FROM gain g WHERE g.summary_id = s.id)"""

DIGEST_FLOOR = f"""SELECT p.id, p.title, s.takeaway, {GAINS}, coalesce({STRENGTH}, 0.0) AS strength
FROM paper p JOIN summary s ON s.id = {SHOWN}
WHERE {STATUS} != 'rejected' ORDER BY strength DESC, lower(p.title), p.id LIMIT 50"""
EXPORT_FLOOR = f"""SELECT coalesce(p.source_id, p.key), p.title, s.takeaway, s.has_claims,
  CASE WHEN s.id IS NULL THEN '[]' ELSE {GAINS} END, s.engine, s.model, s.prompt_version,
  f.error, f.engine, p.arxiv_id, p.url
FROM paper p LEFT JOIN summary s ON s.id = {SHOWN} LEFT JOIN summary f ON f.id = {FAILURE}
ORDER BY p.id"""
STATS_FLOOR = f"""SELECT CASE WHEN s.id IS NOT NULL THEN 'ok' WHEN {FAILURE} IS NOT NULL
  THEN 'failed' ELSE 'pending' END AS state, s.engine, s.model, count(*), sum(s.has_claims = 1),
  (SELECT count(*) FROM llm_call), (SELECT count(*) FROM run), (SELECT count(*) FROM digest)
FROM paper p LEFT JOIN summary s ON s.id = {SHOWN} GROUP BY state, s.engine, s.model"""


def floor_digest(path: Path, _out: Path) -> int:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(DIGEST_FLOOR).fetchall()
    return len(rows)


def floor_export(path: Path, out: Path) -> int:
    conn = sqlite3.connect(path)
    n = 0
    with out.open("w", encoding="utf-8") as handle:
        for (
            pid,
            title,
            take,
            claims,
            gains,
            eng,
            model,
            prompt,
            err,
            f_eng,
            arxiv,
            url,
        ) in conn.execute(EXPORT_FLOOR):
            row = {"id": pid, "title": title, "takeaway": None, "has_claims": None, "gains": [],
                   "status": "pending", "engine": None, "model": None, "prompt_version": None,
                   "error": None, "arxiv_id": arxiv, "url": url}  # fmt: skip
            if eng is not None:
                row.update(takeaway=take, has_claims=None if claims is None else bool(claims),
                           gains=json.loads(gains), status="ok", engine=eng, model=model,
                           prompt_version=prompt)  # fmt: skip
            elif f_eng is not None:
                row.update(status="failed", error=err, engine=f_eng)
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    conn.close()
    return n


def floor_stats(path: Path, _out: Path) -> int:
    with sqlite3.connect(path) as conn:
        return len(conn.execute(STATS_FLOOR).fetchall())


def run_digest(store: object, _out: Path) -> int:
    items = collect(store, top=50)  # type: ignore[arg-type]
    render_markdown(items)
    return len(items)


def run_export(store: object, out: Path) -> int:
    with out.open("w", encoding="utf-8") as handle:
        return write_export(store, handle, "jsonl")  # type: ignore[arg-type]


def run_stats(store: object, _out: Path) -> int:
    return store_stats(store).papers  # type: ignore[arg-type]


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["digest", "export", "stats"], action="append")
    args = parser.parse_args()
    store, path = cached_store(args.papers)
    out = path.parent / f"bench-commands-{args.papers}"
    out.mkdir(exist_ok=True)
    pairs = {
        "digest": (run_digest, floor_digest),
        "export": (run_export, floor_export),
        "stats": (run_stats, floor_stats),
    }
    print(f"store: {args.papers:,} papers at {path}")
    for name in args.only or list(pairs):
        command, floor = pairs[name]
        mine, base = [], []
        command(store, out / f"{name}.jsonl")  # warm-up, untimed (statement caches, page cache)
        floor(path, out / f"{name}-floor.jsonl")
        for _ in range(args.rounds):
            mine.append(timed(lambda: command(store, out / f"{name}.jsonl")))  # noqa: B023
            base.append(timed(lambda: floor(path, out / f"{name}-floor.jsonl")))  # noqa: B023
        m, b = statistics.median(mine), statistics.median(base)
        verdict = "ok" if m <= 2 * b else "OVER TARGET"
        print(
            f"{name:7s} command {m:8.3f} s  floor {b:8.3f} s  ratio {m / b:5.2f}x  "
            f"(target <= 2x: {verdict})"
        )
        if name == "export":
            same = (out / "export.jsonl").read_bytes() == (out / "export-floor.jsonl").read_bytes()
            print(f"        export output byte-identical to the floor's: {same}")
        if name == "digest":
            buf = io.StringIO()
            buf.write(render_markdown(collect(store, top=50)))  # type: ignore[arg-type]
            print(f"        digest --top 50: {len(buf.getvalue()):,} characters of Markdown")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {rss:.0f} MB")
    store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
