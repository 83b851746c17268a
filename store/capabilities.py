"""What each endpoint+model was found to accept, so a refusal is paid for once, not every run."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from store.tables import EndpointCapability


def known_mode(store: Engine, base_url: str, model: str) -> str | None:
    """The structured-output mode learned for this endpoint and model, if any."""
    with Session(store) as session:
        row = session.get(EndpointCapability, (base_url, model))
        return row.structured_output if row else None


def remember_mode(store: Engine, base_url: str, model: str, mode: str, reason: str) -> None:
    """Record (or replace) the mode this endpoint and model take, and the refusal that taught it."""
    with Session(store) as session:
        row = session.get(EndpointCapability, (base_url, model))
        if row is None:
            row = EndpointCapability(base_url=base_url, model=model, structured_output=mode)
        row.structured_output = mode
        row.reason = reason
        session.add(row)
        session.commit()
