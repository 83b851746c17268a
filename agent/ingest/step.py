"""The ingest step: every source read into the store, each source's outcome reported.

A source that cannot be read, or stops part way, is that source's failure: the records before
the fault are kept, the other sources are read, and the report says what happened to each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from agent.core.clock import as_utc
from agent.ingest.opening import IngestError
from agent.ingest.records import Format, PaperRecord, RecordError, parse_file
from store.papers import Upserted, upsert_papers
from store.tables import utcnow

# Records stored per transaction: one dedup look-up and one batch of writes each, and what a
# fault (or Ctrl-C) part way through a large file can lose at most.
CHUNK = 2000


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
    on_records: Callable[[int], None] | None = None,
    mapping: Mapping[str, str] | None = None,
    labels: Mapping[Path, str] | None = None,
) -> IngestReport:
    """Read every record of every file into the store; bad records and bad files are reported,
    never fatal. `labels` names a file's source (the URL it was fetched from); `on_records`
    hears how many records were just stored (after each chunk)."""
    report = IngestReport()
    for path in paths:
        label = (labels or {}).get(path)
        outcome = SourceOutcome(label or str(path))
        report.sources.append(outcome)
        try:
            _ingest_one(store, report, outcome, path, fmt, mapping, label, on_records)
        except IngestError as exc:
            # Name the source as the user knows it (a URL), not the file it was saved in.
            message = str(exc)
            outcome.failed = message.replace(str(path), label, 1) if label else message
    return report


def _ingest_one(
    store: Engine,
    report: IngestReport,
    outcome: SourceOutcome,
    path: Path,
    fmt: Format | None,
    mapping: Mapping[str, str] | None,
    label: str | None,
    on_records: Callable[[int], None] | None,
) -> None:
    started = utcnow()
    items = parse_file(path, fmt, mapping=mapping, label=label)
    for chunk in _chunks(items, report, outcome):
        # upsert_papers: each chunk's look-up and writes are one locked transaction, so two
        # ingests at once never both insert the same new paper.
        for record, done in zip(chunk, upsert_papers(store, chunk), strict=True):
            _report(report, record, done, started)
        outcome.read += len(chunk)
        if on_records:
            on_records(len(chunk))


def _chunks(
    items: Iterator[PaperRecord | RecordError], report: IngestReport, outcome: SourceOutcome
) -> Iterator[list[PaperRecord]]:
    """The file's records CHUNK at a time (bad ones go to the report); if the file stops part
    way, the records read before the fault are given first, then the error is raised."""
    chunk: list[PaperRecord] = []
    try:
        for item in items:
            if isinstance(item, RecordError):
                report.errors.append(item)
                outcome.skipped += 1
                continue
            chunk.append(item)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    except IngestError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _report(report: IngestReport, item: PaperRecord, done: Upserted, started: datetime) -> None:
    if done.outcome == "older":
        report.unchanged += 1
        report.duplicates.append(
            RecordError(
                item.source,
                item.line,
                f"arXiv v{item.arxiv_version} is older than the stored "
                f"v{done.arxiv_version} of {done.public_id}; kept the newer one",
            )
        )
        return
    if done.outcome != "new" and _first_read_here(done, item.source, started):
        what = "a new version" if done.outcome == "updated" else "unchanged"
        report.duplicates.append(
            RecordError(
                item.source,
                item.line,
                f"duplicate of an earlier record in this file ({done.public_id}); kept as {what}",
            )
        )
    setattr(report, done.outcome, getattr(report, done.outcome) + 1)


def _first_read_here(done: Upserted, source: str, started: datetime) -> bool:
    """True when the paper was created by this very pass over `source` (so a record again
    naming it is a duplicate within the file)."""
    return done.source == source and as_utc(done.created_at) >= started
