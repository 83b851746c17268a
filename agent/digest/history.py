"""Past digests: list them, and rebuild one as it was sent, to render it again in any format."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from agent.core.errors import NotFoundError
from agent.digest.editor_note import Note
from agent.digest.relevance import Relevance
from agent.digest.select import OTHER_SECTION, DigestItem
from store.digests import digest_entries
from store.reviews import review_status
from store.summaries import current_summary, gains_of
from store.tables import Digest, Paper, Summary


def load_digest(store: Engine, digest_id: int) -> tuple[Digest, list[DigestItem], Note | None]:
    """A stored digest with its papers in the order, sections and text it was sent with.

    Digests written before the history was kept (no summary recorded) show the current summary.
    """
    with Session(store, expire_on_commit=False) as session:
        digest = session.get(Digest, digest_id)
        if digest is None:
            raise NotFoundError(f"no digest {digest_id} (see `paperskim digests`)")
        entries = digest_entries(session, digest_id)
        items = []
        for entry in entries:
            paper = session.get(Paper, entry.paper_id)
            if paper is None:
                continue
            summary = (
                session.get(Summary, entry.summary_id)
                if entry.summary_id is not None
                else current_summary(session, paper)
            )
            if summary is None:
                continue
            items.append(
                DigestItem(
                    paper,
                    summary,
                    gains_of(session, summary),
                    relevance=Relevance(
                        score=entry.score or 0.0, reasons=tuple(entry.reasons or ())
                    ),
                    review=entry.review or review_status(session, paper),
                    section=entry.section or OTHER_SECTION,
                )
            )
    note = Note.from_dict(digest.note) if digest.note else None
    return digest, items, note
