"""Digests sent or written, and which papers each had."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.tables import Digest, DigestEntry


def list_digests(store: Engine, limit: int | None = None) -> list[Digest]:
    """Digests, newest first."""
    with Session(store) as session:
        query = select(Digest).order_by(col(Digest.id).desc())
        if limit is not None:
            query = query.limit(limit)
        return list(session.exec(query).all())


def digest_entries(session: Session, digest_id: int) -> list[DigestEntry]:
    """A digest's papers in the order it showed them."""
    return list(
        session.exec(
            select(DigestEntry)
            .where(DigestEntry.digest_id == digest_id)
            .order_by(col(DigestEntry.position), col(DigestEntry.paper_id))
        ).all()
    )
