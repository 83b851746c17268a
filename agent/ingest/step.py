"""The ingest step: every source read into the store, each source's outcome reported.

A source that cannot be read, or stops part way, is that source's failure: the records before
the fault are kept, the other sources are read, and the report says what happened to each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from agent.core.clock import as_utc
from agent.ingest.opening import IngestError
from agent.ingest.records import Format, PaperRecord, RecordError, parse_file
from store.db import writer
from store.papers import public_id, upsert_paper
from store.tables import Paper, utcnow

COMMIT_EVERY = 500


@dataclass
class SourceOutcome:
    """What reading one source gave: records stored, records skipped, and a whole-source fault."""

    source: str
    read: int = 0
    skipped: int = 0
    failed: str | None = None  # the source could not be read (to the end); see `read` for before

    def __str__(self) -> str:
        counts = f"read {self.read}, skipped {self.skipped}"
        if self.failed is None:
            return f"{self.source}: {counts}"
        return f"{self.source}: FAILED after {counts}: {self.failed}"


@dataclass
class IngestReport:
    """What reading the sources did to the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)
    # Records whose paper an earlier record of the same file already gave (same id or title):
    # the later one is kept (a changed abstract becomes a new version), and said so here; also
    # older arXiv versions that did not replace the stored newer one.
    duplicates: list[RecordError] = field(default_factory=list)
    sources: list[SourceOutcome] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.new + self.updated + self.unchanged

    @property
    def failed_sources(self) -> list[SourceOutcome]:
        return [s for s in self.sources if s.failed is not None]


def ingest_files(
    store: Engine,
    paths: Sequence[Path],
    fmt: Format | None = None,
    on_record: Callable[[], None] | None = None,
    mapping: Mapping[str, str] | None = None,
    labels: Mapping[Path, str] | None = None,
) -> IngestReport:
    """Read every record of every file into the store; bad records and bad files are reported,
    never fatal. `labels` names a file's source (the URL it was fetched from)."""
    report = IngestReport()
    # writer(): each commit's look-ups and inserts are one locked transaction, so two ingests
    # at once never both insert the same new paper.
    with Session(writer(store)) as session:
        for path in paths:
            label = (labels or {}).get(path)
            outcome = SourceOutcome(label or str(path))
            report.sources.append(outcome)
            try:
                _ingest_one(session, report, outcome, path, fmt, mapping, label, on_record)
            except IngestError as exc:
                # Name the source as the user knows it (a URL), not the file it was saved in.
                message = str(exc)
                outcome.failed = message.replace(str(path), label, 1) if label else message
            _commit(session)
    return report


def _ingest_one(
    session: Session,
    report: IngestReport,
    outcome: SourceOutcome,
    path: Path,
    fmt: Format | None,
    mapping: Mapping[str, str] | None,
    label: str | None,
    on_record: Callable[[], None] | None,
) -> None:
    started = utcnow()
    pending = 0
    for item in parse_file(path, fmt, mapping=mapping, label=label):
        if isinstance(item, RecordError):
            report.errors.append(item)
            outcome.skipped += 1
            continue
        _store(session, report, item, started)
        outcome.read += 1
        pending += 1
        if pending >= COMMIT_EVERY:  # bounded transactions for large files
            _commit(session)
            pending = 0
        if on_record:
            on_record()


def _store(session: Session, report: IngestReport, item: PaperRecord, started: datetime) -> None:
    paper, result = upsert_paper(session, item)
    if result == "older":
        report.unchanged += 1
        report.duplicates.append(
            RecordError(
                item.source,
                item.line,
                f"arXiv v{item.arxiv_version} is older than the stored "
                f"v{paper.arxiv_version} of {public_id(paper)}; kept the newer one",
            )
        )
        return
    if result != "new" and _first_read_here(paper, item.source, started):
        what = "a new version" if result == "updated" else "unchanged"
        report.duplicates.append(
            RecordError(
                item.source,
                item.line,
                f"duplicate of an earlier record in this file ({public_id(paper)}); kept as {what}",
            )
        )
    setattr(report, result, getattr(report, result) + 1)


def _commit(session: Session) -> None:
    session.commit()
    # Forget the committed papers: over a snapshot of millions of records the session's
    # identity map would otherwise hold every one of them.
    session.expunge_all()


def _first_read_here(paper: Paper, source: str, started: datetime) -> bool:
    """True when `paper` was created by this very pass over `source` (so a record again
    naming it is a duplicate within the file)."""
    return paper.source == source and as_utc(paper.created_at) >= started
