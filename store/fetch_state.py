"""Fetch state: the cache validators and newest entry date of each fetched URL."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from store.tables import FetchState, utcnow


def get_fetch_state(store: Engine, url: str) -> FetchState | None:
    with Session(store) as session:
        state = session.get(FetchState, url)
        if state is not None:
            session.expunge(state)
        return state


def save_fetch_state(
    store: Engine,
    url: str,
    *,
    status: int,
    etag: str | None = None,
    last_modified: str | None = None,
    newest: str | None = None,
) -> None:
    """Record a response; a 304 keeps the validators and newest date already stored."""
    with Session(store) as session:
        state = session.get(FetchState, url) or FetchState(url=url, status=status)
        state.status, state.fetched_at = status, utcnow()
        if status != 304:
            state.etag, state.last_modified = etag, last_modified
        if newest and (state.newest is None or newest > state.newest):
            state.newest = newest
        session.add(state)
        session.commit()
