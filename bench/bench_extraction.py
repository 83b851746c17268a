"""Offline extraction on every shipped gold set, next to the plain-regex floor, with its speed.

    .venv/bin/python bench/bench_extraction.py            # the table of evals/data/real/RESULTS.md
    .venv/bin/python bench/bench_extraction.py --dense    # also time a 15 KB number-dense abstract
    .venv/bin/python bench/bench_extraction.py --sets=real-dev,real-dev2   # only these sets

"offline" is the engine as it runs (the strict rules decide which numbers are claims); "claim
model" is the same engine with the learned decision of agent/summarize/claim_model.py in place of
the rules' (trained on `real-dev` by evals/train_claim_model.py, so its `real-dev` row is a
training-set figure). The floor is the plain "number followed by x or %" regex (every spelling
of both units), scored the same way; it has no metric, baseline or takeaway, so those columns
read 0 for it. The seed
set is the one the rules were first written on (a regression set); `real-dev` is read and tuned
on; `real-dev2` is a second dev part drawn after the rules were written (its first row
was an unseen-data figure); `real-test` is frozen and only ever scored here, in aggregate.
"""

from __future__ import annotations

import re
import sys
import time

from agent.core.models import Gain, PaperSummary
from agent.summarize.claim_model import load_model
from agent.summarize.offline import summarize_offline
from evals.gold import gold_set_paths, load_gold, load_papers
from evals.scoring import RunScores, score_run

PLAIN = re.compile(r"(\d+(?:\.\d+)?)\s?(x|×|\$\\times\$|\\times|times|-?fold|\\%|%|\s?percent)")
SETS = (
    "seed",
    "real-dev",
    "real-dev2",
    "real-dev3",
    "real-dev4",
    "real-dev5",
    "real-dev6",
    "real-dev7",
    "real-test",
    "real-test2",
)
ENGINES = ("offline", "claim model", "regex floor")
COLUMNS = [
    ("P", "precision", "{:.3f}"),
    ("R", "recall", "{:.3f}"),
    ("F1", "f1", "{:.3f}"),
    ("trusted F1", "trusted_f1", "{:.3f}"),
    ("metric agr.", "metric_agreement", "{:.3f}"),
    ("baseline agr.", "baseline_agreement", "{:.3f}"),
    ("kind acc.", "kind_accuracy", "{:.3f}"),
    ("unfaithful quotes", "quotes_not_verbatim", "{}"),
    ("takeaways w/ unsupported numbers", "takeaways_with_unsupported_numbers", "{}"),
    ("invented / 20 no-claim", "invented_per_20_no_claim", "{:.2f}"),
    ("first-sentence takeaways", "first_sentence_share", "{:.3f}"),
    ("mid-phrase takeaways", "takeaways_mid_phrase", "{}"),
    ("markup in takeaways", "takeaways_with_markup", "{}"),
]


def plain_regex(pid: str, abstract: str) -> PaperSummary:
    gains = [
        Gain(
            metric="?",
            value=float(m.group(1)),
            value_high=None,
            unit="%" if "%" in m.group(2) or "percent" in m.group(2) else "x",
            kind="improvement",
            qualifier=None,
            baseline=None,
            condition=None,
            quote=m.group(0),
        )
        for m in PLAIN.finditer(abstract)
    ]
    return PaperSummary(id=pid, takeaway="", has_claims=bool(gains), gains=gains)


def score_set(name: str, engine: str) -> tuple[RunScores, float]:
    gold_path, papers_path = gold_set_paths(name)
    papers, gold = load_papers(papers_path), load_gold(gold_path)
    started = time.perf_counter()
    if engine == "offline":
        preds = {pid: summarize_offline(pid, p.title, p.abstract) for pid, p in papers.items()}
    elif engine == "claim model":
        model = load_model()
        preds = {
            pid: summarize_offline(pid, p.title, p.abstract, model=model)
            for pid, p in papers.items()
        }
    else:
        preds = {pid: plain_regex(pid, p.abstract) for pid, p in papers.items()}
    per_ms = (time.perf_counter() - started) / max(len(papers), 1) * 1000
    abstracts = {k: p.abstract for k, p in papers.items()}
    titles = {k: p.title for k, p in papers.items()}
    return score_run(preds, gold, abstracts, titles), per_ms


def dense_abstract(n: int = 200) -> str:
    """A generated 15 KB abstract made of claims (the shape of issue 16's 80 s case)."""
    return " ".join(
        f"Our method improves accuracy by {i % 97 + 1}.{i % 10}% and is {i % 9 + 1}.{i % 7}x "
        f"faster than BarNet on task {i}."
        for i in range(n)
    )


def main() -> None:
    # --sets a,b scores only those sets (e.g. to score dev parts without touching real-test)
    chosen = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--sets=")), None)
    sets = tuple(chosen.split(",")) if chosen else SETS
    header = ["set", "engine", "papers", *[c[0] for c in COLUMNS], "ms/abstract"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in sets:
        for engine in ENGINES:
            scores, per_ms = score_set(name, engine)
            cells = [fmt.format(getattr(scores, key)) for _, key, fmt in COLUMNS]
            row = [name, engine, str(scores.papers), *cells, f"{per_ms:.2f}"]
            print("| " + " | ".join(row) + " |")
    if "--dense" in sys.argv[1:]:
        text = dense_abstract()
        started = time.perf_counter()
        summary = summarize_offline("dense", "FooNet: a method", text)
        seconds = time.perf_counter() - started
        print(f"\ndense abstract: {len(text):,} chars, {len(summary.gains)} gains, {seconds:.3f} s")


if __name__ == "__main__":
    main()
