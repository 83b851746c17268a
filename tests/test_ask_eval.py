"""The ask eval: the question set, its scorer, and the offline answer's scores on the seed set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.ask.offline import NO_ANSWER, Answer
from agent.cli.main import app
from evals.ask_eval import (
    QUESTIONS_PATH,
    Question,
    folds,
    load_questions,
    offline_answerer,
    run_ask_eval,
    score_answers,
)
from evals.gold import load_papers
from evals.paths import PAPERS_PATH
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import answer_all


def test_the_question_set_is_written_against_the_seed_papers() -> None:
    questions = load_questions(QUESTIONS_PATH)
    seed = load_papers(PAPERS_PATH)
    assert len(questions) >= 25
    assert len({q.id for q in questions}) == len(questions)
    assert all(ref in seed for q in questions for ref in q.expected)
    assert sum(not q.expected for q in questions) >= 3  # questions with no answer
    numeric = [q for q in questions if any(w in q.question for w in ("more than", "at least"))]
    assert len(numeric) >= 4


def _answer(qid: str, retrieved: list[str], cited: list[str] | None = None) -> Answer:
    cited = retrieved if cited is None else cited
    return Answer(
        question=qid,
        text="",
        mode="offline",
        citations=cited,
        retrieved=retrieved,
        no_answer=not cited,
    )


def test_scores_are_computed_as_documented() -> None:
    questions = [
        Question("a", "?", ("p1", "p2")),
        Question("b", "?", ("p3",)),
        Question("c", "?", ()),
        Question("d", "?", ()),
    ]
    answers = {
        "a": _answer("a", ["x", "p1", "y", "z", "w", "p2"]),  # p2 is sixth: half recalled
        "b": _answer("b", ["p3"]),
        "c": _answer("c", []),  # correct "no answer"
        "d": _answer("d", ["p9"]),  # answered what has no answer
    }
    scores = score_answers(questions, answers)
    assert scores.recall_at_5 == pytest.approx((0.5 + 1.0) / 2)
    assert scores.citation_precision == pytest.approx(3 / 8)  # p1, p2, p3 of 8 cited
    assert scores.no_answer_accuracy == pytest.approx(3 / 4)
    assert scores.answerable == 2 and scores.questions == 4
    assert scores.per_question[0]["retrieved"] == ["x", "p1", "y", "z", "w"]


def test_folds_deal_each_kind_of_question_evenly_and_keep_the_added_flag(tmp_path: Path) -> None:
    rows = [
        {"id": "s1", "question": "?", "expected": ["p"], "kind": "structured"},
        {"id": "s2", "question": "?", "expected": ["p"], "kind": "structured"},
        {"id": "t1", "question": "?", "expected": ["p"], "kind": "topic"},
        {"id": "n1", "question": "?", "expected": [], "kind": "no-answer"},
        {"id": "n2", "question": "?", "expected": [], "added": "written later"},
        {"id": "t2", "question": "?", "expected": ["p"], "added": "written later"},
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    questions = load_questions(path)
    assert [q.added for q in questions] == [False] * 4 + [True] * 2
    one, two = folds(questions)
    # Unlabelled questions count by their gold: none is a no-answer question, else topic.
    assert [q.id for q in one] == ["s1", "t1", "n1"]
    assert [q.id for q in two] == ["s2", "n2", "t2"]


def test_offline_ask_reaches_recall_at_5_of_0_8_on_the_seed_papers() -> None:
    scores = run_ask_eval(offline_answerer)
    assert scores.recall_at_5 >= 0.8, [r for r in scores.per_question if r["recall_at_5"] != 1]
    assert scores.no_answer_accuracy >= 0.8
    assert scores.citation_precision is not None and scores.citation_precision > 0


def test_paperskim_eval_reports_and_stores_the_ask_scores(tmp_path: Path) -> None:
    db = str(tmp_path / "e.db")
    out = tmp_path / "run.json"
    result = CliRunner().invoke(
        app, ["eval", "--db", db, "--json", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "recall@5 of retrieval" in result.output
    scores = json.loads(out.read_text())["scores"]
    assert scores["ask_recall_at_5"] >= 0.8
    assert scores["ask_questions"] == len(load_questions())
    skipped = CliRunner().invoke(app, ["eval", "--db", db, "--no-ask"], catch_exceptions=False)
    assert "recall@5 of retrieval" not in skipped.output


def test_eval_with_an_endpoint_asks_the_agent_only_when_told(
    fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    def handler(body: dict[str, Any]) -> Reply:
        if "tools" not in body:  # the summarize requests of the gold eval
            return answer_all(body)
        if any(m["role"] == "tool" for m in body["messages"]):
            return Reply.content(NO_ANSWER)
        question = body["messages"][-1]["content"].removeprefix("Question: ")
        return Reply.tool_calls([("search_papers", {"query": question})])

    fake_openai.handler = handler
    base = ["eval", "--db", str(tmp_path / "e.db"), "--base-url", fake_openai.url, "--no-judge"]
    plain = CliRunner().invoke(app, base, catch_exceptions=False)
    assert plain.exit_code == 0, plain.output
    assert "recall@5 of retrieval" not in plain.output
    assert not any("tools" in b for b in fake_openai.chat_requests())

    asked = CliRunner().invoke(app, [*base, "--ask"], catch_exceptions=False)
    assert asked.exit_code == 0, asked.output
    assert "recall@5 of retrieval" in asked.output
    agent_requests = [b for b in fake_openai.chat_requests() if "tools" in b]
    assert len(agent_requests) == 2 * len(load_questions())
    # Every answer said "no answer": right exactly for the questions that have none.
    none = sum(not q.expected for q in load_questions()) / len(load_questions())
    assert f"{none:.3f}" in asked.output
