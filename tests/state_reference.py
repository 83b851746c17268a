"""Each paper's read state (store/paper_state.py) by its rules restated in Python over the raw
rows, one paper at a time: the reference the tests compare the stored states to."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agent.core.units import claim_strength
from store.tables import GainRecord, Paper, PaperState, Review, Summary

PREFERENCE = {"human": 0, "llm": 1, "offline": 2}


def reference_states(session: Session) -> dict[int, dict[str, Any]]:
    """Every paper's state by the documented rules, one paper at a time, from the raw rows."""
    summaries = session.exec(select(Summary).order_by(col(Summary.id))).all()
    reviews = session.exec(select(Review).order_by(col(Review.id))).all()
    gains = session.exec(select(GainRecord).order_by(col(GainRecord.position))).all()
    states = {}
    for paper in session.exec(select(Paper)).all():
        assert paper.id is not None
        mine = [
            s for s in summaries if (s.paper_id, s.abstract_hash) == (paper.id, paper.abstract_hash)
        ]
        ok = [s for s in mine if s.status == "ok"]
        shown = min(ok, key=lambda s: (PREFERENCE.get(s.engine, 9), -(s.id or 0)), default=None)
        machine = [s for s in mine if s.engine != "human"]
        failures = [s for s in mine if s.status != "ok"]
        rated = [s for s in ok if s.relevance_score is not None]
        reviewed = [
            r for r in reviews if (r.paper_id, r.abstract_hash) == (paper.id, paper.abstract_hash)
        ]
        states[paper.id] = {
            "summary_id": shown.id if shown else None,
            "engine": shown.engine if shown else None,
            "has_claims": shown.has_claims if shown else None,
            "strength": claim_strength([g for g in gains if shown and g.summary_id == shown.id]),
            "status": reviewed[-1].status if reviewed else "draft",
            "failed": bool(machine) and machine[-1].status != "ok",
            "failure_id": failures[-1].id if failures else None,
            "rating_id": rated[-1].id if rated else None,
            "llm_points": rated[-1].relevance_score if rated else 0,
        }
    return states


def stored_states(session: Session) -> dict[int, dict[str, Any]]:
    """Every paper's state row (none: the state of a paper nothing was written on)."""
    blank = blank_state()
    rows = {
        s.paper_id: s.model_dump(exclude={"paper_id"}) for s in session.exec(select(PaperState))
    }
    papers = session.exec(select(Paper.id)).all()
    return {pid: rows.get(pid, blank) for pid in papers if pid is not None}


def blank_state() -> dict[str, Any]:
    """The state of a paper nothing was written on (it has no row)."""
    return PaperState(paper_id=0).model_dump(exclude={"paper_id"})
