"""Reviewed summaries leave the store as gold data (`export --reviewed`) and as an eval set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from agent.cli.main import app
from agent.core.errors import NotFoundError
from agent.core.models import PaperSummary
from agent.review.actions import approve, correct, reject, reopen
from evals.gold import load_gold
from store.db import open_engine
from store.papers import get_paper
from store.summaries import as_paper_summary, current_summary
from store.tables import EvalRun
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAIServer
from tests.llm_answers import answer_all

runner = CliRunner()
SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Six seed papers summarized offline; 1 approved, 3 corrected, 5 rejected, 6 reopened."""
    papers = tmp_path / "six.jsonl"
    papers.write_text("".join(SEED.read_text().splitlines(keepends=True)[:6]))
    path = str(tmp_path / "r.db")
    cli("ingest", str(papers), "--db", path)
    cli("summarize", "--db", path)
    with Session(open_engine(f"sqlite:///{path}")) as session:

        def paper(pid: str):  # type: ignore[no-untyped-def]
            found = get_paper(session, pid)
            assert found is not None
            return found

        approve(session, paper("seed-001"), "ana")
        shown = current_summary(session, paper("seed-003"))
        assert shown is not None
        fixed = as_paper_summary(session, "seed-003", shown).model_copy(
            update={"takeaway": "PipeLLM encrypts LLM serving with under 19.6 percent overhead."}
        )
        correct(session, paper("seed-003"), fixed, "bo")
        reject(session, paper("seed-005"), "ana")
        approve(session, paper("seed-006"), "ana")
        reopen(session, paper("seed-006"), "ana")
        session.commit()
    return path


def reviewed_lines(db: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in cli("export", "--db", db, "--reviewed").splitlines()]


def test_export_reviewed_writes_approved_and_corrected_in_the_gold_format(
    db: str, tmp_path: Path
) -> None:
    rows = reviewed_lines(db)
    assert [r["id"] for r in rows] == ["seed-001", "seed-003"]
    assert all(list(r) == ["id", "takeaway", "has_claims", "gains"] for r in rows)
    assert rows[1]["takeaway"] == "PipeLLM encrypts LLM serving with under 19.6 percent overhead."

    out = tmp_path / "reviewed.jsonl"
    result = runner.invoke(app, ["export", "--db", db, "--reviewed", "--out", str(out)])
    assert result.exit_code == 0 and "2 reviewed papers" in result.output
    gold = load_gold(out)  # the gold loader accepts it as it is
    assert set(gold) == {"seed-001", "seed-003"}
    assert all(isinstance(s, PaperSummary) for s in gold.values())


def test_an_approval_vouches_for_the_summary_that_was_approved(
    db: str, fake_openai: FakeOpenAIServer
) -> None:
    before = reviewed_lines(db)[0]
    fake_openai.handler = answer_all
    cli("summarize", "--db", db, "--base-url", fake_openai.url)  # LLM summaries now shown
    exported = {
        r["id"]: r for r in json.loads("[" + ",".join(cli("export", "--db", db).splitlines()) + "]")
    }
    assert exported["seed-001"]["engine"] == "llm"
    assert exported["seed-003"]["engine"] == "human"  # the correction stays in front
    after = reviewed_lines(db)
    assert after[0] == before  # still the offline summary the reviewer approved
    assert after[1]["takeaway"] == "PipeLLM encrypts LLM serving with under 19.6 percent overhead."


def test_export_reviewed_refuses_csv(db: str) -> None:
    result = runner.invoke(app, ["export", "--db", db, "--reviewed", "--format", "csv"])
    assert result.exit_code != 0 and "--reviewed writes jsonl" in result.output


def test_eval_reviewed_scores_the_engine_against_the_reviews(db: str) -> None:
    output = cli("eval", "--db", db, "--reviewed")
    with Session(open_engine(f"sqlite:///{db}")) as session:
        run = session.exec(select(EvalRun)).one()
    assert run.papers == 2 and run.gold_set.startswith("reviewed@")
    assert run.gold_set in output
    assert run.engine == "offline"
    # The offline engine made both reviewed summaries and the correction kept its gains, so
    # every gain matches; only the corrected takeaway differs from what the engine writes.
    assert run.scores["precision"] == 1.0 and run.scores["recall"] == 1.0
    assert {row["paper_id"] for row in run.per_paper} == {"seed-001", "seed-003"}


def test_eval_reviewed_counts_a_removed_gain_as_a_false_positive(db: str) -> None:
    with Session(open_engine(f"sqlite:///{db}")) as session:
        paper = get_paper(session, "seed-001")
        assert paper is not None
        correct(
            session,
            paper,
            PaperSummary(
                id="seed-001", takeaway="IsolateGPT isolates apps.", has_claims=False, gains=[]
            ),
            "ana",
        )
        session.commit()
    cli("eval", "--db", db, "--reviewed")
    with Session(open_engine(f"sqlite:///{db}")) as session:
        run = session.exec(select(EvalRun)).one()
    assert run.scores["precision"] < 1.0 and run.scores["recall"] == 1.0


def test_eval_reviewed_with_nothing_reviewed_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--db", str(tmp_path / "empty.db"), "--reviewed"])
    assert isinstance(result.exception, NotFoundError)
    assert "paperskim serve" in str(result.exception)
