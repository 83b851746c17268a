"""Papers in the store: idempotent upsert from ingested records, and lookups."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from sqlmodel import Session, col, or_, select

from store.tables import Paper, PaperRevision, utcnow

if TYPE_CHECKING:
    from agent.core.records import PaperRecord

# "older": an arXiv version older than the stored one, which must not replace it.
Outcome = Literal["new", "updated", "unchanged", "older"]


def paper_key(record: PaperRecord) -> str:
    """A paper's identity: its arXiv id, else the id its source gave, else its title."""
    if record.arxiv_id:
        return f"arxiv:{record.arxiv_id}"
    if record.source_id:
        return f"id:{record.source_id}"
    return f"title:{record.title_key}"


def find_existing(session: Session, record: PaperRecord) -> Paper | None:
    """The stored paper this record is: the source's id decides whenever there is one.

    - an arXiv id matches that arXiv paper; another id matches the paper stored with it;
    - two different ids are never the same paper, even with the same title;
    - the title decides only when one side has no id at all (a listing, an id-less file).
    """
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
        # A record with an id may only join a paper stored without one.
        query = query.where(col(Paper.arxiv_id).is_(None), col(Paper.source_id).is_(None))
    return session.exec(query).first()


def upsert_paper(session: Session, record: PaperRecord) -> tuple[Paper, Outcome]:
    """Store `record` as a new paper, a new version of a stored one, or nothing new."""
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
        return paper, "older"  # versions are ordered by number, not by when they were read
    if new_version is not None:
        paper.arxiv_version = new_version
    if paper.abstract_hash != record.abstract_hash:
        paper.abstract = record.abstract
        paper.abstract_hash = record.abstract_hash
        paper.version += 1
        paper.title = record.title
        _add_revision(session, paper, record.source)
        outcome = "updated"
    # Fill in what an earlier source did not give; never overwrite what it did.
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


def public_id(paper: Paper) -> str:
    """The id users see and exports carry: the id its source gave, else the internal key."""
    return paper.source_id or paper.key


# "2401.12345", "arXiv:2401.12345v2", "https://arxiv.org/abs/hep-th/9901001"
_ARXIV_REF_RE = re.compile(
    r"^(?:arxiv:|https?://arxiv\.org/(?:abs|pdf)/)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?$",
    re.IGNORECASE,
)


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (with escape="\\")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_paper(session: Session, ref: str) -> Paper | None:
    """A paper by the id its source gave, its arXiv id (also written "arXiv:2401.12345v2" or as
    an arxiv.org link), its key, or its row number."""
    ref = ref.strip()
    refs = {ref}
    if match := _ARXIV_REF_RE.match(ref):
        refs.add(match.group("id"))
    query = select(Paper).where(
        or_(
            col(Paper.source_id).in_(refs),
            col(Paper.arxiv_id).in_(refs),
            col(Paper.key).in_(refs),
        )
    )
    found = session.exec(query).first()
    if found is None and ref.isdigit():
        found = session.get(Paper, int(ref))
    return found


def papers_titled(session: Session, text: str, limit: int = 20) -> list[Paper]:
    """Papers whose title contains `text` (case-insensitive), oldest first."""
    needle = "%" + escape_like(text.strip()) + "%"
    query = (
        select(Paper)
        .where(col(Paper.title).ilike(needle, escape="\\"))
        .order_by(col(Paper.id))
        .limit(limit)
    )
    return list(session.exec(query).all())
