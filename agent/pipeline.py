"""The ingest step and the whole job: source → paper → summary → store → digest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from agent.ingest import Format, RecordError, parse_file
from store.papers import upsert_paper

COMMIT_EVERY = 500


@dataclass
class IngestReport:
    """What reading the sources did to the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)

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
    with Session(store) as session:
        pending = 0
        for path in paths:
            for item in parse_file(path, fmt):
                if isinstance(item, RecordError):
                    report.errors.append(item)
                    continue
                _paper, outcome = upsert_paper(session, item)
                setattr(report, outcome, getattr(report, outcome) + 1)
                pending += 1
                if pending >= COMMIT_EVERY:  # bounded transactions for large files
                    session.commit()
                    pending = 0
                if on_record:
                    on_record()
            session.commit()
    return report
