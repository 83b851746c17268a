"""The terminal review loop, driven by a stream of typed answers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import Session

from agent.ingest.step import ingest_files
from agent.review.terminal import marked_abstract, review_in_terminal, stream_reader
from agent.review.web.queue import QueueFilter
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.papers import get_paper
from store.reviews import review_history, review_status
from store.summaries import current_summary

PAPERS = [
    {"id": "z1", "title": "Zeta: Fast Serving", "abstract": "Zeta is 2.5x faster than vLLM."},
    {"id": "q1", "title": "Quill [bold]x[/]", "abstract": "Quill cuts cache misses by 30%."},
    {"id": "w1", "title": "Wren: Words Only", "abstract": "Wren explains caches in words."},
]


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    source = tmp_path / "p.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in PAPERS))
    engine = open_engine(f"sqlite:///{tmp_path / 't.db'}")
    ingest_files(engine, [source])
    summarize_pending(engine, OfflineSummarizer())
    return engine


def drive(store: Engine, typed: str, wanted: QueueFilter | None = None) -> tuple[str, object]:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    done = review_in_terminal(
        store, "ana", console, stream_reader(io.StringIO(typed), console), wanted
    )
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return output, done


def status(store: Engine, pid: str) -> tuple[str, str | None, str | None]:
    with Session(store) as session:
        paper = get_paper(session, pid)
        assert paper is not None
        shown = current_summary(session, paper)
        return (
            review_status(session, paper),
            shown.engine if shown else None,
            shown.takeaway if shown else None,
        )


def test_approve_reject_and_skip_walk_the_queue(store: Engine) -> None:
    output, done = drive(store, "a\nr\ntoo vague\ns\n")
    assert done == {"approved": 1, "rejected": 1, "skipped": 1}
    assert status(store, "z1")[0] == "approved"
    assert status(store, "q1")[0] == "rejected"
    assert status(store, "w1")[0] == "draft"
    with Session(store) as session:
        paper = get_paper(session, "q1")
        assert paper is not None
        assert [(r.reviewer, r.note) for r in review_history(session, paper)] == [
            ("ana", "too vague")
        ]
    assert "1 of 3" in output and "3 of 3" in output
    assert "Quill [bold]x[/]" in output  # titles are text, not rich markup


def test_edit_takeaway_is_validated_and_refusals_are_shown(store: Engine) -> None:
    output, done = drive(
        store, "e\nZeta is 3x faster.\nZeta is 2.5x faster than vLLM, per its tests.\nq\n"
    )
    assert "Correction refused, nothing stored" in output
    assert "numbers not in the abstract: 3" in output
    assert "Correction saved." in output
    assert done == {"corrected": 1}
    state, engine, takeaway = status(store, "z1")
    assert (state, engine) == ("corrected", "human")
    assert takeaway == "Zeta is 2.5x faster than vLLM, per its tests."
    assert status(store, "q1")[0] == "draft"  # quit before it


def test_a_cancelled_edit_stores_nothing_and_unknown_keys_show_help(store: Engine) -> None:
    output, done = drive(store, "e\n\nx\nq\n")
    assert "Edit cancelled." in output and "approve" in output
    assert done == {} and status(store, "z1") == (
        "draft",
        "offline",
        "Zeta is 2.5x faster than vLLM.",
    )


def test_the_queue_defaults_to_drafts_and_ends_at_end_of_input(store: Engine) -> None:
    drive(store, "a\n")  # input ends after the first paper: the loop stops cleanly
    output, done = drive(store, "s\ns\n")
    assert "2 papers to review" in output and done == {"skipped": 2}
    output, _ = drive(store, "", QueueFilter(status="rejected"))
    assert "Nothing to review" in output


def test_quotes_are_marked_in_the_abstract() -> None:
    text = marked_abstract("Zeta is 2.5x faster than vLLM.", ["2.5x faster"])
    marked = [text.plain[span.start : span.end] for span in text.spans]
    assert "2.5x faster" in marked
