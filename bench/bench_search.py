"""`ask` latency on a large store: synthetic papers in a cached SQLite store, then p50/p95.

    .venv/bin/python bench/bench_search.py                    # 100,000 papers
    .venv/bin/python bench/bench_search.py --papers 1000000   # issue 15's size
    .venv/bin/python bench/bench_search.py --papers 2000 --target-ms inf   # CI

Papers are made from the words of the seed abstracts plus made-up words, drawn with a Zipf-like
skew (so common words are common and rare ones rare), each with an offline-style summary and
0-4 claimed gains. They are written in bulk through the store's schema (paper, revision,
summary and gain rows, the FTS5 index filled by the store's deferred-index statement as bulk
ingest fills it), then every abstract is embedded with the bundled model by `embed_missing`,
the call `paperskim ingest` makes (timed: issue 14's target is 100,000 abstracts within 10
minutes). The store is kept in the temp dir as `paperskim-bench/search-N-HEAD.db` (N papers,
HEAD the schema's migration head), with the build and embedding times, so later runs reuse it.

The questions of evals/data/questions.jsonl are then timed, warm (after one untimed round):

- load: reading the store's vectors into memory, as a new process's first `ask` does;
- search: `search_papers(keywords, limit=10)`, BM25 over the FTS5 index;
- search+filter: the same with the question's gain filter, when it has one;
- dense: the question's nearest papers by the bundled embeddings;
- ask: the whole offline answer of `paperskim ask` (`answer_offline`: parse, BM25 and dense
  fused, gain filter, relevance cut, the shown papers read); target p95 < 100 ms on 2 cores.
  Its steps are timed inside the same calls (`ask:` rows): the part not in any named step is
  `ask: rest` (parsing, fusion, reading the shown papers); `ask: cpu` is the process's CPU
  time of the whole answer, which a busy machine does not inflate as it does wall time.

Exit code 1 when the ask p95 misses `--target-ms`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial, wraps
from pathlib import Path
from typing import Any

import numpy as np
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from agent.ask import dense, retrieve
from agent.ask.embed import DIM, embed, embed_missing
from agent.ask.offline import answer_offline
from agent.ask.questions import parse_question
from evals.ask_eval import QUESTIONS_PATH, load_questions
from evals.gold import load_papers
from evals.paths import PAPERS_PATH
from store.db import MIGRATIONS_DIR, open_engine
from store.search import search_papers

UNITS = [("x", 1.1, 50.0), ("%", 0.5, 95.0), ("ms", 1.0, 500.0), ("points", 0.1, 10.0)]
METRICS = ["speedup", "throughput", "memory", "accuracy", "latency", "error rate", "energy"]
BATCH = 10_000
NOW = "2026-01-01 00:00:00"
# The steps of `ask` timed inside it: (label, module, function name).
ASK_STEPS = [
    ("bm25", retrieve, "search_papers"),
    ("dense", retrieve, "nearest_papers"),
    ("dense", retrieve, "cosines"),
    ("gain filter", retrieve, "passing_gains"),
    ("topic cut", retrieve, "topic_coverage"),
]


def vocabulary(rng: np.random.Generator, extra: int) -> list[str]:
    """Seed-abstract words first (most frequent first), then made-up rare words."""
    counts: dict[str, int] = {}
    for paper in load_papers(PAPERS_PATH).values():
        for word in re.findall(r"[A-Za-z][A-Za-z-]+", paper.abstract):
            counts[word] = counts.get(word, 0) + 1
    seed = sorted(counts, key=lambda w: -counts[w])
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    made_up = ["".join(rng.choice(letters, size=rng.integers(5, 11))) for _ in range(extra)]
    return seed + made_up


class Texts:
    """Zipf-distributed word strings, drawn a batch at a time with numpy."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.vocab = np.array(vocabulary(rng, extra=30_000), dtype=object)
        weights = 1.0 / (np.arange(len(self.vocab)) + 1.0) ** 1.05
        self.p = weights / weights.sum()

    def draw(self, count: int, low: int, high: int) -> list[str]:
        lengths = self.rng.integers(low, high + 1, size=count)
        words = self.vocab[self.rng.choice(len(self.vocab), size=int(lengths.sum()), p=self.p)]
        return [" ".join(part) for part in np.split(words, np.cumsum(lengths)[:-1])]


def build(path: Path, n: int, seed: int = 7) -> float:
    """Fill a store at `path` with `n` synthetic papers; return the seconds it took."""
    rng = np.random.default_rng(seed)
    texts = Texts(rng)
    open_engine(f"sqlite:///{path}").dispose()  # creates the schema, index and triggers
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        titles = texts.draw(count, 6, 12)
        abstracts = texts.draw(count, 120, 220)
        takeaways = texts.draw(count, 12, 25)
        papers, revisions, summaries, gains = [], [], [], []
        for i in range(count):
            pid = start + i + 1
            h = f"{pid:016x}"
            papers.append(
                (pid, f"bench:{pid}", f"bench-{pid:07d}", h, titles[i], abstracts[i], h, NOW, NOW)
            )
            revisions.append((pid, h, NOW))
            summaries.append((pid, pid, h, takeaways[i], NOW))
            for pos in range(int(rng.choice([0, 0, 1, 1, 2, 3, 4]))):
                unit, low, high = UNITS[int(rng.integers(len(UNITS)))]
                value = round(float(rng.uniform(low, high)), 2)
                metric = METRICS[int(rng.integers(len(METRICS)))]
                kind = "cost" if pid % 7 == 0 else "improvement"
                gains.append((pid, pos, metric, value, unit, kind, f"{value:g}{unit} {metric}"))
        with conn:
            # The store's bulk path (store/search.deferred_index): the range is indexed in one
            # statement when its row is deleted, after the summaries are in.
            conn.execute(
                "INSERT INTO paper_search_deferred (from_id, to_id) VALUES (?, ?)",
                (start + 1, start + count),
            )
            conn.executemany(
                "INSERT INTO paper (id, key, source_id, title_key, title, abstract, abstract_hash,"
                " version, authors, categories, source, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 1, '[]', '[]', 'bench', ?, ?)",
                papers,
            )
            conn.executemany(
                "INSERT INTO paperrevision (paper_id, version, abstract_hash, abstract, source,"
                " created_at) VALUES (?, 1, ?, NULL, 'bench', ?)",
                revisions,
            )
            conn.executemany(
                "INSERT INTO summary (id, paper_id, abstract_hash, engine, prompt_version, status,"
                " takeaway, has_claims, created_at)"
                " VALUES (?, ?, ?, 'offline', 'offline-v1', 'ok', ?, 1, ?)",
                summaries,
            )
            conn.executemany(
                "INSERT INTO gain (summary_id, position, metric, value, unit, kind, quote)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                gains,
            )
            conn.execute("DELETE FROM paper_search_deferred")
    conn.execute("INSERT INTO paper_search (paper_search) VALUES ('optimize')")
    conn.execute("PRAGMA optimize")
    conn.close()
    return time.perf_counter() - started


def schema_head() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return "+".join(sorted(ScriptDirectory.from_config(cfg).get_heads()))


def cached_store(n: int) -> tuple[Path, dict[str, Any]]:
    """The store of `n` papers for this schema, built and embedded on first use; (path, how
    long building and embedding took when it was built)."""
    folder = Path(tempfile.gettempdir()) / "paperskim-bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"search-{n}-{schema_head()}.db"
    done = path.with_suffix(".json")
    if not done.exists():
        for stale in folder.glob(path.name + "*"):
            stale.unlink()
        built = {"papers": n, "build_s": round(build(path, n), 1)}
        store = open_engine(f"sqlite:///{path}")
        started = time.perf_counter()
        built["embedded"] = embed_missing(store)
        built["embed_s"] = round(time.perf_counter() - started, 1)
        built["load_average"] = os.getloadavg()
        store.dispose()
        done.write_text(json.dumps(built))
    return path, json.loads(done.read_text())


def rss_mb() -> float:
    """Current resident memory of this process (Linux /proc), in MB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


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


@contextmanager
def step_clock() -> Iterator[dict[str, float]]:
    """Milliseconds spent in each of ASK_STEPS while inside, summed by label."""
    spent: dict[str, float] = {}
    saved = []
    for label, module, name in ASK_STEPS:
        if not hasattr(module, name):
            continue
        original = getattr(module, name)

        @wraps(original)
        def clocked(*args: Any, _f: Any = original, _label: str = label, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return _f(*args, **kw)
            finally:
                ms = (time.perf_counter() - started) * 1000
                spent[_label] = spent.get(_label, 0.0) + ms

        saved.append((module, name, original))
        setattr(module, name, clocked)
    try:
        yield spent
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def time_ask(
    store: Engine, question: str, rounds: int, steps: dict[str, list[float]]
) -> list[float]:
    """Warm timings of the whole answer, and of its steps (added to `steps`)."""
    answer_offline(store, question)  # warm-up, untimed
    out = []
    for _ in range(rounds):
        with step_clock() as spent:
            started, cpu = time.perf_counter(), time.process_time()
            answer_offline(store, question)
            total = (time.perf_counter() - started) * 1000
            cpu_ms = (time.process_time() - cpu) * 1000
        for label in {label for label, _m, _n in ASK_STEPS}:
            steps.setdefault(label, []).append(spent.get(label, 0.0))
        steps.setdefault("rest", []).append(total - sum(spent.values()))
        # CPU time is what the code costs; on a busy machine wall time also waits for a core.
        steps.setdefault("cpu", []).append(cpu_ms)
        out.append(total)
    return out


def load_ms(store: Engine) -> float:
    """Reading the vectors as a new process does (the process's cache emptied first)."""
    dense._CACHE.clear()
    started = time.perf_counter()
    dense.vector_index(store)
    return (time.perf_counter() - started) * 1000


def dense_recall(path: Path, store: Engine, questions: list[str]) -> list[float]:
    """Per question, the share of the exact DEPTH nearest papers (every cosine computed) that
    the index's search returns among its DEPTH nearest."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT paper_id, vector FROM paper_vector ORDER BY paper_id").fetchall()
    conn.close()
    ids = np.array([r[0] for r in rows])
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f2").reshape(len(rows), DIM)
    del rows
    shares = []
    for question, query in zip(questions, embed(questions), strict=True):
        sims = np.concatenate(
            [matrix[i : i + 65_536].astype(np.float32) @ query for i in range(0, len(ids), 65_536)]
        )
        exact = set(ids[np.argsort(-sims, kind="stable")[: retrieve.DEPTH]].tolist())
        found = dense.dense_ranking(store, question)
        best = sorted(found, key=lambda p: -found[p])[: retrieve.DEPTH]
        shares.append(len(exact & set(best)) / len(exact))
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="synthetic papers to store")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per question")
    parser.add_argument("--questions", type=int, default=0, help="only the first N (0: all)")
    parser.add_argument("--target-ms", type=float, default=100.0, help="ask p95 target")
    args = parser.parse_args()
    path, built = cached_store(args.papers)
    size_mb = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    print(
        f"store: {args.papers:,} papers ({size_mb:,.0f} MB, {path}); built in "
        f"{built['build_s']:.1f} s, {built['embedded']:,} abstracts embedded in "
        f"{built['embed_s']:.1f} s (load average then {built['load_average'][0]:.1f})"
    )
    store = open_engine(f"sqlite:///{path}")
    rss_before = rss_mb()
    loads = [load_ms(store) for _ in range(3)]
    rss_loaded = rss_mb()
    questions = [q.question for q in load_questions(QUESTIONS_PATH)]
    questions = questions[: args.questions] if args.questions else questions
    samples: dict[str, list[float]] = {"load": loads, "search": [], "search+filter": []}
    samples.update({"dense": [], "ask": []})
    steps: dict[str, list[float]] = {}
    for question in questions:
        parsed = parse_question(question)
        text = " ".join(parsed.keywords) or question
        samples["search"] += timed(partial(search_papers, store, text), args.rounds)
        if parsed.gain is not None and not parsed.gain.is_empty:
            flt = retrieve.gain_filter(parsed.gain)
            filtered = partial(search_papers, store, text, gains=flt)
            samples["search+filter"] += timed(filtered, args.rounds)
        samples["dense"] += timed(partial(dense.dense_ranking, store, question), args.rounds)
        samples["ask"] += time_ask(store, question, args.rounds, steps)
    samples.update({f"ask: {label}": values for label, values in steps.items()})
    load = os.getloadavg()
    print(f"{len(questions)} questions x {args.rounds} warm rounds; latency in ms")
    print(f"{'step':<18} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}")
    figures = {}
    for step, values in samples.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        figures[step] = {"n": len(values), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}
        print(f"{step:<18} {len(values):>5} {p50:>8.2f} {p95:>8.2f} {max(values):>8.2f}")
    rss = rss_mb()
    print(
        f"resident memory (MB): {rss_before:.0f} store opened, {rss_loaded:.0f} vectors loaded, "
        f"{rss:.0f} at the end; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    recall = dense_recall(path, store, questions)
    print(
        f"dense search: {statistics.mean(recall):.3f} of the exact {retrieve.DEPTH} nearest "
        f"papers found (mean over the questions; lowest {min(recall):.2f})"
    )
    ask_p95 = figures["ask"]["p95_ms"]
    met = ask_p95 < args.target_ms
    print(f"ask p95 {ask_p95:.1f} ms: target < {args.target_ms:g} ms {'met' if met else 'NOT met'}")
    summary = {
        **built,
        "rss_mb": round(rss),
        "dense_recall": round(statistics.mean(recall), 3),
        "load_average": load,
        "latency": figures,
    }
    print(json.dumps(summary))
    store.dispose()
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
