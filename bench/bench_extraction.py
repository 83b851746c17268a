"""Offline extraction against the gold set, next to the plain-regex baseline, with its speed.

    .venv/bin/python bench/bench_extraction.py

The baseline is the "number followed by x or %" regex (every spelling of both units) that
ANNOTATION.md-style scoring puts at F1 0.82; the offline engine must beat it clearly. The engine's
rules were written while reading these same 119 papers, so its figure is an upper bound on what
it scores on unseen abstracts.
"""

from __future__ import annotations

import re
import time

from agent.core.models import Gain, PaperSummary
from agent.summarize.offline import summarize_offline
from evals.gold import load_gold, load_papers
from evals.scoring import RunScores, score_run

PLAIN = re.compile(r"(\d+(?:\.\d+)?)\s?(x|×|\$\\times\$|\\times|times|-?fold|\\%|%|\s?percent)")


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


def main() -> None:
    papers, gold = load_papers(), load_gold()
    abstracts = {k: p.abstract for k, p in papers.items()}
    titles = {k: p.title for k, p in papers.items()}

    def report(name: str, scores: RunScores, seconds: float) -> None:
        per = seconds / len(papers) * 1000
        print(f"{name:<16} {scores.summary_line()}  {per:.2f} ms/abstract")

    started = time.perf_counter()
    baseline = {pid: plain_regex(pid, p.abstract) for pid, p in papers.items()}
    report(
        "plain regex", score_run(baseline, gold, abstracts, titles), time.perf_counter() - started
    )
    started = time.perf_counter()
    engine = {pid: summarize_offline(pid, p.title, p.abstract) for pid, p in papers.items()}
    report(
        "offline engine", score_run(engine, gold, abstracts, titles), time.perf_counter() - started
    )


if __name__ == "__main__":
    main()
