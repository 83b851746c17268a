"""Search latency on a large store: synthetic papers in a temporary SQLite store, then p50/p95.

    .venv/bin/python bench/bench_search.py                 # 100,000 papers (about 15 minutes)
    .venv/bin/python bench/bench_search.py --papers 5000   # a reduced size, e.g. for CI

Papers are made from the words of the seed abstracts plus made-up words, drawn with a Zipf-like
skew (so common words are common and rare ones rare), each with an offline-style summary and
0-4 claimed gains, and are written through the store's schema, so the FTS5 index is filled by
its triggers exactly as ingest fills it. Then every abstract is embedded with the bundled model
(timed: the cost `ask` pays once at ingest scale), and the questions of evals/data/questions.jsonl
are timed, warm (after one untimed round), as four steps:

- search: `search_papers(keywords, limit=10)`, BM25 over the FTS5 index;
- search+filter: the same with the question's gain filter, when it has one;
- dense: the question's cosine similarity to every stored vector;
- ask: the whole offline answer of `paperskim ask` (`answer_offline`: parse, BM25 and dense
  fused, gain filter, relevance cut, the shown papers read); target p95 < 100 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from agent.ask.embed import dense_scores, embed_missing
from agent.ask.offline import answer_offline
from agent.ask.questions import parse_question
from agent.ask.retrieve import gain_filter
from evals.ask_eval import QUESTIONS_PATH, load_questions
from evals.gold import load_papers
from evals.paths import PAPERS_PATH
from store.db import open_engine
from store.search import search_papers

UNITS = [("x", 1.1, 50.0), ("%", 0.5, 95.0), ("ms", 1.0, 500.0), ("points", 0.1, 10.0)]
METRICS = ["speedup", "throughput", "memory", "accuracy", "latency", "error rate", "energy"]


def vocabulary(rng: random.Random, extra: int) -> list[str]:
    """Seed-abstract words first (most frequent first), then made-up rare words."""
    counts: dict[str, int] = {}
    for paper in load_papers(PAPERS_PATH).values():
        for word in re.findall(r"[A-Za-z][A-Za-z-]+", paper.abstract):
            counts[word] = counts.get(word, 0) + 1
    seed = sorted(counts, key=lambda w: -counts[w])
    letters = "abcdefghijklmnopqrstuvwxyz"
    made_up = ["".join(rng.choices(letters, k=rng.randint(5, 10))) for _ in range(extra)]
    return seed + made_up


def build(path: Path, n: int, seed: int = 7) -> float:
    """Fill a store at `path` with `n` synthetic papers; return the seconds it took."""
    rng = random.Random(seed)
    vocab = vocabulary(rng, extra=30_000)
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(vocab))]
    cum = list(_accumulate(weights))
    open_engine(f"sqlite:///{path}").dispose()  # creates the schema, index and triggers
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    now = "2026-01-01 00:00:00"
    batch = 5_000
    for start in range(0, n, batch):
        papers, summaries, gains = [], [], []
        for i in range(start, min(start + batch, n)):
            pid = i + 1
            title = " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(6, 12)))
            abstract = " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(120, 220)))
            takeaway = " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(12, 25)))
            h = f"{pid:016x}"
            papers.append(
                (pid, f"bench:{pid}", f"bench-{pid:06d}", h, title, abstract, h, now, now)
            )
            summaries.append((pid, pid, h, takeaway, now))
            for pos in range(rng.choice([0, 0, 1, 1, 2, 3, 4])):
                unit, low, high = rng.choice(UNITS)
                value = round(rng.uniform(low, high), 2)
                metric = rng.choice(METRICS)
                gains.append(
                    (pid, pos, metric, value, unit, f"{value:g}{unit} {metric}", pid % 7 == 0)
                )
        with conn:
            conn.executemany(
                "INSERT INTO paper (id, key, source_id, title_key, title, abstract, abstract_hash,"
                " version, authors, categories, source, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 1, '[]', '[]', 'bench', ?, ?)",
                papers,
            )
            conn.executemany(
                "INSERT INTO summary (id, paper_id, abstract_hash, engine, prompt_version, status,"
                " takeaway, has_claims, created_at)"
                " VALUES (?, ?, ?, 'offline', 'offline-v1', 'ok', ?, 1, ?)",
                summaries,
            )
            conn.executemany(
                "INSERT INTO gain (summary_id, position, metric, value, unit, kind, quote)"
                " VALUES (?, ?, ?, ?, ?, CASE WHEN ? THEN 'cost' ELSE 'improvement' END, ?)",
                [(s, p, m, v, u, c, q) for s, p, m, v, u, q, c in gains],
            )
    conn.execute("INSERT INTO paper_search (paper_search) VALUES ('optimize')")
    conn.execute("PRAGMA optimize")
    conn.close()
    return time.perf_counter() - started


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(step: Callable[[], object], rounds: int) -> list[float]:
    step()  # warm-up, untimed
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        step()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="synthetic papers to store")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per question")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paperskim-bench-") as folder:
        path = Path(folder) / "bench.db"
        seconds = build(path, args.papers)
        size_mb = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
        print(f"store: {args.papers:,} papers written in {seconds:.1f} s ({size_mb:.0f} MB)")
        store = open_engine(f"sqlite:///{path}")
        started = time.perf_counter()
        embedded = embed_missing(store)
        embed_s = time.perf_counter() - started
        print(f"embedding: {embedded:,} abstracts in {embed_s:.1f} s")
        questions = [q.question for q in load_questions(QUESTIONS_PATH)]
        samples: dict[str, list[float]] = {
            "search": [],
            "search+filter": [],
            "dense": [],
            "ask": [],
        }
        for question in questions:
            parsed = parse_question(question)
            text = " ".join(parsed.keywords) or question
            samples["search"] += timed(partial(search_papers, store, text), args.rounds)
            if parsed.gain is not None and not parsed.gain.is_empty:
                flt = gain_filter(parsed.gain)
                filtered = partial(search_papers, store, text, gains=flt)
                samples["search+filter"] += timed(filtered, args.rounds)
            samples["dense"] += timed(partial(dense_scores, store, question), args.rounds)
            samples["ask"] += timed(partial(answer_offline, store, question), args.rounds)
        print(f"{len(questions)} questions x {args.rounds} warm rounds; latency in ms")
        print(f"{'step':<14} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}")
        figures = {}
        for step, values in samples.items():
            p50, p95 = statistics.median(values), percentile(values, 0.95)
            figures[step] = {"n": len(values), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}
            print(f"{step:<14} {len(values):>5} {p50:>8.2f} {p95:>8.2f} {max(values):>8.2f}")
        summary = {"papers": args.papers, "embed_seconds": round(embed_s, 1), "latency": figures}
        print(json.dumps(summary))
        store.dispose()


if __name__ == "__main__":
    main()
