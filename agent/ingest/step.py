"""The ingest step and the whole job: source → paper → summary → store → digest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from agent.ingest.records import Format, RecordError, parse_file
from store.db import writer
from store.papers import public_id, upsert_paper
from store.tables import Paper, utcnow

COMMIT_EVERY = 500


@dataclass
class IngestReport:
    """What reading the sources did to the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)
    # Records whose paper an earlier record of the same file already gave (same id or title):
    # the later one is kept (a changed abstract becomes a new version), and said so here.
    duplicates: list[RecordError] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.new + self.updated + self.unchanged


def ingest_files(
    store: Engine,
    paths: Sequence[Path],
    fmt: Format | None = None,
    on_record: Callable[[], None] | None = None,
) -> IngestReport:
    """Read every record of every file into the store; bad records are reported, not fatal."""
    report = IngestReport()
    # writer(): each commit's look-ups and inserts are one locked transaction, so two ingests
    # at once never both insert the same new paper.
    with Session(writer(store)) as session:
        pending = 0
        for path in paths:
            started = utcnow()
            for item in parse_file(path, fmt):
                if isinstance(item, RecordError):
                    report.errors.append(item)
                    continue
                paper, outcome = upsert_paper(session, item)
                if outcome != "new" and _first_read_here(paper, item.source, started):
                    what = "a new version" if outcome == "updated" else "unchanged"
                    report.duplicates.append(
                        RecordError(
                            item.source,
                            item.line,
                            f"duplicate of an earlier record in this file ({public_id(paper)}); "
                            f"kept as {what}",
                        )
                    )
                setattr(report, outcome, getattr(report, outcome) + 1)
                pending += 1
                if pending >= COMMIT_EVERY:  # bounded transactions for large files
                    _commit(session)
                    pending = 0
                if on_record:
                    on_record()
            _commit(session)
    return report


def _commit(session: Session) -> None:
    session.commit()
    # Forget the committed papers: over a snapshot of millions of records the session's
    # identity map would otherwise hold every one of them.
    session.expunge_all()


def _first_read_here(paper: Paper, source: str, started: datetime) -> bool:
    """True when `paper` was created by this very pass over `source` (so a record again
    naming it is a duplicate within the file)."""
    created = paper.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return paper.source == source and created >= started
