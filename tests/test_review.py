"""Review actions in the store: validation of corrections, history, precedence over machines."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from agent.core.errors import CorrectionRefused
from agent.core.models import Gain, PaperSummary
from agent.ingest.records import parse_file
from agent.review.actions import approve, correct, reject, reopen
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.papers import get_paper, upsert_paper
from store.reviews import review_history, review_status
from store.summaries import current_summary, gains_of

ABSTRACT = "Zeta speeds up serving by 2.5x over vLLM while using 10% more memory."


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    engine = open_engine(f"sqlite:///{tmp_path / 'r.db'}")
    source = tmp_path / "p.jsonl"
    source.write_text(f'{{"id": "z1", "title": "Zeta: Fast Serving", "abstract": "{ABSTRACT}"}}\n')
    with Session(engine) as session:
        for record in parse_file(source):
            assert not isinstance(record, str)
            upsert_paper(session, record)  # type: ignore[arg-type]
        session.commit()
    summarize_pending(engine, OfflineSummarizer())
    return engine


def fix(takeaway: str, quote: str = "2.5x", value: float = 2.5) -> PaperSummary:
    gain = Gain(
        metric="serving speedup",
        value=value,
        value_high=None,
        unit="×",
        kind="improvement",
        qualifier=None,
        baseline="vLLM",
        condition=None,
        quote=quote,
    )
    return PaperSummary(id="ignored", takeaway=takeaway, has_claims=True, gains=[gain])


def test_a_correction_is_shown_first_and_survives_re_summarizing(store: Engine) -> None:
    with Session(store) as session:
        paper = get_paper(session, "z1")
        assert paper is not None and review_status(session, paper) == "draft"
        correct(session, paper, fix("Zeta serves models 2.5x faster than vLLM."), "ana", "units")
        session.commit()
        shown = current_summary(session, paper)
        assert shown is not None and shown.engine == "human" and shown.model == "ana"
        assert gains_of(session, shown)[0].unit == "x"  # normalized like model output
        assert review_status(session, paper) == "corrected"

    # A new machine summary (another engine run) waits beside the correction.
    from store.summaries import MadeBy, save_summary

    with Session(store) as session:
        paper = get_paper(session, "z1")
        assert paper is not None
        save_summary(session, paper, fix("Zeta is fast."), MadeBy("llm", "m", "summarize/v1"))
        session.commit()
        shown = current_summary(session, paper)
        assert shown is not None and shown.engine == "human"


@pytest.mark.parametrize(
    ("correction", "reason"),
    [
        (fix("Zeta serves models 3x faster."), "not in the abstract: 3"),
        (fix("Zeta is fast.", quote="2.5 x"), "does not occur verbatim"),
        (fix("Zeta is fast.", value=2.0), "does not contain the value 2"),
        (fix(" ".join(["word"] * 31)), "31 words"),
    ],
)
def test_an_invalid_correction_is_refused_and_not_stored(
    store: Engine, correction: PaperSummary, reason: str
) -> None:
    with Session(store) as session:
        paper = get_paper(session, "z1")
        assert paper is not None
        with pytest.raises(CorrectionRefused, match=reason):
            correct(session, paper, correction, "ana")
        session.commit()
        shown = current_summary(session, paper)
        assert shown is not None and shown.engine == "offline"
        assert review_history(session, paper) == []


def test_every_action_is_appended_with_who_and_before_after(store: Engine) -> None:
    with Session(store) as session:
        paper = get_paper(session, "z1")
        assert paper is not None
        approve(session, paper, "ana")
        reject(session, paper, "bo", note="misses the memory cost")
        reopen(session, paper, "ana")
        session.commit()
        history = review_history(session, paper)
        assert [(r.action, r.status, r.reviewer) for r in history] == [
            ("approve", "approved", "ana"),
            ("reject", "rejected", "bo"),
            ("reopen", "draft", "ana"),
        ]
        assert history[1].note == "misses the memory cost"
        assert history[0].before is not None and history[0].before["takeaway"]
        assert review_status(session, paper) == "draft"
