"""The ingest paperskim had before bulk ingest (issue 15): one ORM upsert a record.

Kept as the reference the bulk path (store/papers.upsert_papers) must agree with, record for
record: tests/test_ingest_bulk.py runs both over the same files and compares the reports, the
paper rows and the revisions. Its rules are the ones users saw; do not "fix" them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agent.core.clock import as_utc
from agent.ingest.records import PaperRecord, RecordError, parse_file
from agent.ingest.step import IngestReport, SourceOutcome
from store.db import writer
from store.papers import Outcome, paper_key, public_id
from store.tables import Paper, PaperRevision, utcnow


def find_existing(session: Session, record: PaperRecord) -> Paper | None:
    if record.arxiv_id:
        found = session.exec(select(Paper).where(Paper.arxiv_id == record.arxiv_id)).first()
        if found:
            return found
    elif record.source_id:
        found = session.exec(
            select(Paper).where(Paper.source_id == record.source_id, col(Paper.arxiv_id).is_(None))
        ).first()
        if found:
            return found
    query = select(Paper).where(Paper.title_key == record.title_key)
    if record.arxiv_id or record.source_id:
        query = query.where(col(Paper.arxiv_id).is_(None), col(Paper.source_id).is_(None))
    return session.exec(query).first()


def upsert_paper(session: Session, record: PaperRecord) -> tuple[Paper, Outcome]:
    paper = find_existing(session, record)
    if paper is None:
        paper = Paper(
            key=paper_key(record),
            source_id=record.source_id or record.arxiv_id,
            arxiv_id=record.arxiv_id,
            title_key=record.title_key,
            title=record.title,
            abstract=record.abstract,
            abstract_hash=record.abstract_hash,
            arxiv_version=record.arxiv_version,
            url=record.url,
            authors=list(record.authors),
            categories=list(record.categories),
            published=record.published,
            source=record.source,
        )
        session.add(paper)
        session.flush()
        _add_revision(session, paper, record.source)
        return paper, "new"

    outcome: Outcome = "unchanged"
    stored_version, new_version = paper.arxiv_version, record.arxiv_version
    if stored_version is not None and new_version is not None and new_version < stored_version:
        return paper, "older"
    if new_version is not None:
        paper.arxiv_version = new_version
    if paper.abstract_hash != record.abstract_hash:
        paper.abstract = record.abstract
        paper.abstract_hash = record.abstract_hash
        paper.version += 1
        paper.title = record.title
        _add_revision(session, paper, record.source)
        outcome = "updated"
    if record.arxiv_id and not paper.arxiv_id:
        paper.arxiv_id = record.arxiv_id
    if not paper.source_id:
        paper.source_id = record.source_id or record.arxiv_id
    paper.url = paper.url or record.url
    paper.published = paper.published or record.published
    if record.authors and not paper.authors:
        paper.authors = list(record.authors)
    if record.categories and not paper.categories:
        paper.categories = list(record.categories)
    if outcome == "updated" or session.is_modified(paper):
        paper.updated_at = utcnow()
        session.add(paper)
    return paper, outcome


def _add_revision(session: Session, paper: Paper, source: str) -> None:
    assert paper.id is not None
    exists = session.exec(
        select(PaperRevision).where(
            PaperRevision.paper_id == paper.id, PaperRevision.abstract_hash == paper.abstract_hash
        )
    ).first()
    if exists is None:
        session.add(
            PaperRevision(
                paper_id=paper.id,
                version=paper.version,
                abstract_hash=paper.abstract_hash,
                abstract=paper.abstract,
                source=source,
            )
        )


def ingest_files(store: Engine, paths: Sequence[Path]) -> IngestReport:
    """The old ingest loop (every source readable: the fault paths are tested elsewhere)."""
    report = IngestReport()
    with Session(writer(store)) as session:
        for path in paths:
            outcome = SourceOutcome(str(path))
            report.sources.append(outcome)
            started = utcnow()
            for item in parse_file(path):
                if isinstance(item, RecordError):
                    report.errors.append(item)
                    outcome.skipped += 1
                    continue
                _store(session, report, item, started)
                outcome.read += 1
            session.commit()
    return report


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
    first_here = paper.source == item.source and as_utc(paper.created_at) >= started
    if result != "new" and first_here:
        what = "a new version" if result == "updated" else "unchanged"
        report.duplicates.append(
            RecordError(
                item.source,
                item.line,
                f"duplicate of an earlier record in this file ({public_id(paper)}); kept as {what}",
            )
        )
    setattr(report, result, getattr(report, result) + 1)
