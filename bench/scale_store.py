"""A large store for the page and command benchmarks, built once and cached in a temp dir.

Papers are tests/scale_data.py's synthetic records, read through the real ingest; each is
summarized by the real offline engine and stored by the real `store_outcomes`, 2,000 papers a
transaction (the work queue's per-claim bookkeeping is skipped: it is what issue 15 item 2
speeds up, and it is not what these benchmarks measure). Every 20th paper is approved, every
50th rejected, every 97th corrected, so review statuses and human summaries are present.
The file is kept under the temp dir keyed by size and by the schema head, so later runs reuse it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agent.review.actions import approve, correct, reject
from agent.summarize.engines import OfflineSummarizer
from agent.summarize.outcomes import SummarizeReport, store_outcomes
from store.db import open_engine
from store.papers import public_id
from store.summaries import as_paper_summary, current_summary
from store.tables import Paper
from tests.scale_data import load_synthetic

CHUNK = 2_000


def cached_store(n: int, folder: Path | None = None) -> tuple[Engine, Path]:
    """The store of `n` synthetic papers, built on first use; (engine, path)."""
    folder = folder or Path(tempfile.gettempdir()) / "paperskim-bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"scale-{n}.db"
    done = folder / f"scale-{n}.done"
    if not done.exists():
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        build(path, n)
        done.write_text(f"{time.perf_counter() - started:.1f} s\n")
    return open_engine(f"sqlite:///{path}"), path


def build(path: Path, n: int) -> None:
    store = open_engine(f"sqlite:///{path}")
    source = path.parent / f"scale-{n}-src"
    source.mkdir(exist_ok=True)
    load_synthetic(store, source, n)
    engine = OfflineSummarizer()
    report = SummarizeReport(candidates=n)
    last = 0
    while True:
        with Session(store) as session:
            papers = session.exec(
                select(Paper).where(col(Paper.id) > last).order_by(col(Paper.id)).limit(CHUNK)
            ).all()
            if not papers:
                break
            last = papers[-1].id or 0
            outcomes = [o for batch in engine.run(papers) for o in batch]
            held = [p.id for p in papers if p.id is not None]
            store_outcomes(session, held, engine.made_by, outcomes, report, run_id=None)
            session.commit()
    _review(store, n)
    store.dispose()


def _review(store: Engine, n: int) -> None:
    with Session(store) as session:
        for paper_id in range(1, n + 1):
            if paper_id % 20 and paper_id % 50 and paper_id % 97:
                continue
            paper = session.get(Paper, paper_id)
            if paper is None:
                continue
            if paper_id % 97 == 0:
                summary = current_summary(session, paper)
                if summary is not None:
                    shown = as_paper_summary(session, public_id(paper), summary)
                    takeaway = (summary.takeaway or "").split(".")[0] + "."
                    correct(
                        session, paper, shown.model_copy(update={"takeaway": takeaway}), "bench"
                    )
            elif paper_id % 50 == 0:
                reject(session, paper, "bench", None)
            else:
                approve(session, paper, "bench", None)
        session.commit()
