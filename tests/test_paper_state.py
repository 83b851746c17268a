"""Each paper's read state (store/paper_state.py) against the rules restated here in Python over
the raw rows, after every kind of write that changes it, and after the migration that fills it
for a store written before it existed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session

from agent.core.models import Gain, PaperSummary, RelevanceRating, SummaryAnswer
from agent.ingest.step import ingest_files
from agent.review.actions import approve, correct, reject, reopen
from store.db import _alembic_config, open_engine, writer
from store.summaries import MadeBy, NewSummary, save_failure, save_summaries, save_summary
from store.tables import Paper
from tests.pg_server import PostgresServer
from tests.scale_data import load_synthetic, synthetic_records, write_jsonl
from tests.state_reference import blank_state, reference_states, stored_states

OFFLINE = MadeBy("offline", None, "offline-v1")
LLM = MadeBy("llm", "gpt-test", "summarize/v3")


def _gain(value: float, unit: str, **extra: Any) -> Gain:
    fields: dict[str, Any] = {
        "metric": "throughput", "value": value, "value_high": None, "unit": unit,
        "kind": "improvement", "qualifier": None, "baseline": "vLLM", "condition": None,
        "quote": f"{value}{unit}",
    }  # fmt: skip
    return Gain(**{**fields, **extra})


def _summary(*gains: Gain, rating: int | None = None) -> PaperSummary:
    if rating is None:
        return PaperSummary(
            id="x", takeaway="A takeaway.", has_claims=bool(gains), gains=list(gains)
        )
    return SummaryAnswer(
        id="x", takeaway="A rated takeaway.", has_claims=bool(gains), gains=list(gains),
        relevance=RelevanceRating(score=rating, reason="KV cache"),
    )  # fmt: skip


def _paper(session: Session, paper_id: int) -> Paper:
    paper = session.get(Paper, paper_id, populate_existing=True)
    assert paper is not None
    return paper


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    store = open_engine(f"sqlite:///{tmp_path / 'state.db'}")
    load_synthetic(store, tmp_path, 12)
    return store


def write_everything(store: Engine, folder: Path) -> None:
    """Every kind of write the state depends on, on papers 1-12 (the 12th is left alone)."""
    with Session(store) as session:
        p = {i: _paper(session, i) for i in range(1, 12)}
        save_summary(session, p[1], _summary(_gain(2.5, "x")), OFFLINE)
        save_summary(session, p[1], _summary(_gain(40, "%"), rating=2), LLM)  # LLM beats offline
        save_failure(session, p[1], "bad answer", LLM)  # newest machine attempt failed
        save_failure(session, p[2], "no takeaway", OFFLINE)  # failed, nothing shown
        save_summary(session, p[3], _summary(_gain(3, "x", qualifier="up to", baseline=None)), LLM)
        correct(session, p[3], _summary(), "ana")  # a correction is shown first, no claims
        save_summary(session, p[4], _summary(_gain(12, "ms", kind="cost")), OFFLINE)
        approve(session, p[4], "ana")
        reopen(session, p[4], "ana")  # back to draft
        save_summary(session, p[5], _summary(_gain(1.5, "x", value_high=4.0)), OFFLINE)
        reject(session, p[5], "ana")
        save_summary(session, p[6], _summary(rating=3), LLM)
        save_failure(session, p[6], "timeout", LLM)
        save_summary(session, p[6], _summary(_gain(2, "x")), OFFLINE)  # a later success clears it
        save_summary(session, p[7], _summary(_gain(5, "x")), OFFLINE)
        approve(session, p[7], "ana")
        session.commit()
    with Session(store) as session:  # a chunk at once, as summarize stores it
        results = [
            NewSummary(_paper(session, 8), _summary(_gain(1.2, "x"), rating=1)),
            NewSummary(_paper(session, 9), None, "invalid quote"),
            NewSummary(_paper(session, 10), _summary(_gain(9, "%", baseline=""))),
            NewSummary(_paper(session, 11), _summary()),
        ]
        save_summaries(session, results, LLM, run_id=None)
        session.commit()
    # a new abstract for paper 7 (approved, summarized): nothing of the old one applies
    changed = synthetic_records(12)[6] | {"abstract": "We present Method6 for serving, 2x faster."}
    ingest_files(store, [write_jsonl(folder / "v2.jsonl", [changed])])


def test_the_state_follows_every_write(store: Engine, tmp_path: Path) -> None:
    write_everything(store, tmp_path)
    with Session(store) as session:
        states = stored_states(session)
        assert states == reference_states(session)
    # spot checks that the scenario covers what it says
    assert states[1]["engine"] == "llm" and states[1]["failed"] and states[1]["llm_points"] == 2
    assert states[2]["failed"] and states[2]["summary_id"] is None
    assert states[3]["engine"] == "human" and states[3]["status"] == "corrected"
    assert states[4]["status"] == "draft" and states[4]["strength"] == 0.0  # a cost is no gain
    assert states[5]["status"] == "rejected" and states[5]["strength"] == 4.0 * 1.0
    assert not states[6]["failed"] and states[6]["llm_points"] == 3 and states[6]["engine"] == "llm"
    assert states[7] == blank_state() and states[12] == blank_state()
    assert states[9]["failed"] and states[10]["strength"] == pytest.approx(1.09 * 0.9)


def test_back_to_an_earlier_abstract_its_state_comes_back(store: Engine, tmp_path: Path) -> None:
    write_everything(store, tmp_path)
    with Session(store) as session:
        save_summary(session, _paper(session, 7), _summary(_gain(2, "x")), OFFLINE)
        session.commit()
    original = synthetic_records(12)[6]
    ingest_files(store, [write_jsonl(tmp_path / "v1.jsonl", [original])])
    with Session(store) as session:
        states = stored_states(session)
        assert states == reference_states(session)
    assert states[7]["status"] == "approved" and states[7]["strength"] == 5.0


def test_the_migration_fills_the_state_of_a_store_written_before_it(
    store: Engine, tmp_path: Path
) -> None:
    write_everything(store, tmp_path)
    with Session(store) as session:
        expected = reference_states(session)
    cfg = _alembic_config()
    with writer(store).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013_one_abstract_copy")
        assert "strength" not in {c[1] for c in conn.execute(text("PRAGMA table_info(summary)"))}
        command.upgrade(cfg, "heads")
    with Session(store) as session:
        assert stored_states(session) == expected


@pytest.mark.postgres
def test_the_state_follows_every_write_on_postgresql(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    store = open_engine(postgres_server.create_database())
    load_synthetic(store, tmp_path, 12)
    write_everything(store, tmp_path)
    with Session(store) as session:
        states = stored_states(session)
        assert states == reference_states(session)
    assert states[1]["engine"] == "llm" and states[3]["status"] == "corrected"
    store.dispose()
