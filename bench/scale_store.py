"""A large store for the page and command benchmarks, built once and cached in a temp dir.

Papers are tests/scale_data.py's synthetic records, read by the real parser (so every derived
field, key and hash is what ingest computes), and summarized by the real offline engine. The
synthetic abstracts differ only in their method name and in numbers that repeat every 360
records, so the engine runs once per distinct text (the name masked) and the others get that
summary with their own name put back; each such summary is checked against its own abstract by
the real validator (agent/core/validate.summary_errors), and the engine runs on any that fails.
Rows are then written with `executemany` in the store's schema (the FTS index filled by its
triggers, each summary with its claim strength, then every paper's read state by
store/paper_state.refresh_all), because the per-record ingest and per-claim summarize paths
are what issue 15 items 1-2 speed up, and 100,000 papers through them takes most of an hour on
this machine: they are not what these benchmarks measure. Every 20th paper is approved, every
50th rejected, every 97th corrected (through agent/review/actions.py), so review statuses and
human summaries exist.
The file is kept under the temp dir keyed by size, so later runs reuse it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from agent.core.models import PaperSummary
from agent.core.units import claim_strength
from agent.core.validate import summary_errors
from agent.ingest.records import parse_file
from agent.review.actions import approve, correct, reject
from agent.summarize.engines import OfflineSummarizer
from store import paper_state
from store.db import open_engine
from store.papers import paper_key, public_id
from store.summaries import as_paper_summary, current_summary
from store.tables import Paper
from tests.scale_data import synthetic_records, write_jsonl

CHUNK = 5_000


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
        done.write_text(f"built in {time.perf_counter() - started:.1f} s\n")
    return open_engine(f"sqlite:///{path}"), path


PAPER_SQL = (
    "INSERT INTO paper (id, key, source_id, arxiv_id, title_key, title, abstract, abstract_hash,"
    " version, url, authors, categories, published, source, created_at, updated_at)"
    " VALUES (?,?,?,?,?,?,?,?,1,?,?,?,?,?,?,?)"
)
# The current abstract's revision holds no copy of its text (migration 0013).
REVISION_SQL = (
    "INSERT INTO paperrevision (paper_id, version, abstract_hash, abstract, source, created_at)"
    " VALUES (?,1,?,NULL,?,?)"
)
SUMMARY_SQL = (
    "INSERT INTO summary (id, paper_id, abstract_hash, engine, model, prompt_version, status,"
    " takeaway, has_claims, error, strength, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
GAIN_SQL = (
    "INSERT INTO gain (summary_id, position, metric, value, value_high, unit, kind, qualifier,"
    " baseline, condition, quote) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def build(path: Path, n: int) -> None:
    open_engine(f"sqlite:///{path}").dispose()  # the schema, indexes and triggers
    source = write_jsonl(path.with_suffix(".jsonl"), synthetic_records(n))
    records = [r for r in parse_file(source) if not isinstance(r, Exception)]
    assert len(records) == n, "the synthetic records must all parse"
    memo = _Memo(OfflineSummarizer())
    made = memo.engine.made_by
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    conn = sqlite3.connect(path)
    for start in range(0, n, CHUNK):
        papers, revisions, summaries, gains = [], [], [], []
        for pid, r in enumerate(records[start : start + CHUNK], start + 1):
            papers.append(
                (pid, paper_key(r), r.source_id or r.arxiv_id, r.arxiv_id, r.title_key, r.title,
                 r.abstract, r.abstract_hash, r.url, json.dumps(list(r.authors)),
                 json.dumps(list(r.categories)), r.published, r.source, now, now)
            )  # fmt: skip
            revisions.append((pid, r.abstract_hash, r.source, now))
            summary, error = memo.summarize(pid, r.source_id or "", r.title, r.abstract)
            h = r.abstract_hash
            if summary is None:
                summaries.append((pid, pid, h, made.engine, made.model, made.prompt_version,
                                  "failed", None, None, error, None, now))  # fmt: skip
                continue
            summaries.append((pid, pid, h, made.engine, made.model, made.prompt_version,
                              "ok", summary.takeaway, summary.has_claims, None,
                              claim_strength(summary.gains), now))  # fmt: skip
            for pos, g in enumerate(summary.gains):
                gains.append((pid, pos, g.metric, g.value, g.value_high, g.unit, g.kind,
                              g.qualifier, g.baseline, g.condition, g.quote))  # fmt: skip
        with conn:
            conn.executemany(PAPER_SQL, papers)
            conn.executemany(REVISION_SQL, revisions)
            conn.executemany(SUMMARY_SQL, summaries)
            conn.executemany(GAIN_SQL, gains)
    conn.close()
    store = open_engine(f"sqlite:///{path}")
    with store.begin() as connection:
        paper_state.refresh_all(connection)  # the rows above went around the store functions
    _review(store, n)
    store.dispose()


@dataclass
class _Row:
    """The fields of a paper the offline engine reads (a table object costs ms to build)."""

    id: int
    source_id: str
    key: str
    title: str
    abstract: str


NAME, NUMBER = "@@name@@", "@@number@@"


class _Memo:
    def __init__(self, engine: OfflineSummarizer) -> None:
        self.engine = engine
        self.seen: dict[tuple[str, str], tuple[PaperSummary | None, str | None]] = {}

    def _run(self, row: _Row) -> tuple[PaperSummary | None, str | None]:
        outcome = next(iter(self.engine.run([row])))[0]  # type: ignore[list-item]
        return outcome.summary, outcome.error

    def summarize(
        self, pid: int, source_id: str, title: str, abstract: str
    ) -> tuple[PaperSummary | None, str | None]:
        name = re.match(r"(Method\d+): .* (number \d+)$", title)
        row = _Row(pid, source_id, source_id, title, abstract)
        if name is None:
            return self._run(row)

        def masked(text: str) -> str:
            return text.replace(name[1], NAME).replace(name[2], NUMBER)

        key = (masked(title), masked(abstract))
        if key not in self.seen:
            summary, error = self._run(row)
            if summary is not None:
                text = masked(summary.model_dump_json().replace(summary.id, "@@id@@"))
                self.seen[key] = (PaperSummary.model_validate_json(text), None)
            else:
                self.seen[key] = (None, error)
            return summary, error
        cached, error = self.seen[key]
        if cached is None:
            return None, error
        text = cached.model_dump_json().replace(NAME, name[1]).replace(NUMBER, name[2])
        own = PaperSummary.model_validate_json(text.replace("@@id@@", source_id))
        if summary_errors(own, abstract):
            return self._run(row)
        return own, None


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
                    takeaway = "A shorter takeaway written by a reviewer."
                    correct(
                        session, paper, shown.model_copy(update={"takeaway": takeaway}), "bench"
                    )
            elif paper_id % 50 == 0:
                reject(session, paper, "bench", None)
            else:
                approve(session, paper, "bench", None)
        session.commit()
