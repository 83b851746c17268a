"""`paperskim ask`: question parsing, the offline answer, citation checks, and the LLM agent
end to end (real openai client over HTTP to the local OpenAI-compatible test server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select
from typer.testing import CliRunner

from agent.ask.agent import answer_with_llm, run_tool
from agent.ask.citations import check_answer, cited_ids
from agent.ask.offline import NO_ANSWER, answer_offline
from agent.ask.questions import GainQuery, parse_question
from agent.cli.main import app
from agent.config import LLMSettings
from agent.ingest.step import ingest_files
from agent.llm.client import LLM
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.tables import LLMCall
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAIServer, Reply

SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"


def _seed(path: Path) -> Engine:
    store = open_engine(f"sqlite:///{path}")
    ingest_files(store, [SEED])
    summarize_pending(store, OfflineSummarizer())
    return store


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ask") / "seed.db"
    _seed(path).dispose()
    return path


@pytest.fixture
def store(seed_db: Path, tmp_path: Path) -> Engine:
    """A private copy of the seeded store, so LLM call logs of one test stay out of others."""
    copy = tmp_path / "seed.db"
    copy.write_bytes(seed_db.read_bytes())
    return open_engine(f"sqlite:///{copy}")


# --- question parsing -------------------------------------------------------------------------


def test_questions_are_read_by_the_one_parser() -> None:
    """The offline answer, the agent's tools and the bench read questions through questions.py
    (its grammar is tested in tests/test_ask_questions.py); here, what ask relies on."""
    parsed = parse_question("which papers claim more than 2x speedup for MoE inference?")
    assert parsed.gain == GainQuery(
        greater_than=2.0, unit="x", families=("speed",), metrics=("speedup",)
    )
    assert "moe" in parsed.keywords and "inference" in parsed.keywords
    # Two conditions with two units: the first stands rather than a filter mixing both.
    gain = parse_question("accuracy over 90 percent and latency under 5 ms").gain
    assert gain is not None and (gain.greater_than, gain.less_than, gain.unit) == (90, None, "%")
    # Search syntax in a question is text, never an error.
    assert "near" in parse_question('papers with 2.2x-over " NEAR(').keywords


# --- offline answers --------------------------------------------------------------------------


def test_offline_answer_lists_matching_papers_with_gains(store: Engine) -> None:
    answer = answer_offline(store, "which papers claim more than 2x speedup for MoE inference?")
    assert answer.mode == "offline" and not answer.no_answer
    assert "seed-011" in answer.citations
    assert answer.text.startswith("Offline answer (no LLM)")
    assert "[seed-011]" in answer.text and "2.2x" in answer.text
    # The numeric filter is hard: every listed paper has a factor above 2.
    for e in answer.evidence:
        assert e.gains, e.public_id


def test_an_offline_answer_costs_a_fixed_few_statements(store: Engine) -> None:
    """However many papers an answer shows, they are read together (and the vectors once)."""
    question = "which papers claim more than 2x speedup?"
    answer_offline(store, question)  # embeds the papers, reads the vectors into memory
    statements: list[int] = []

    def record(*_args: Any) -> None:
        statements[-1] += 1

    event.listen(store, "before_cursor_execute", record)
    try:
        for limit in (1, 5, 50):
            statements.append(0)
            answer = answer_offline(store, question, limit=limit)
    finally:
        event.remove(store, "before_cursor_execute", record)
    assert len(answer.evidence) > 5
    assert statements[0] == statements[1] == statements[2] <= 12, statements


def test_offline_answer_says_so_when_nothing_matches(store: Engine) -> None:
    for question in (
        "which papers claim more than 1000x speedup?",
        "which papers improve weather forecasting accuracy?",
    ):
        answer = answer_offline(store, question)
        assert answer.no_answer and answer.citations == []
        assert NO_ANSWER in answer.text


def test_a_gain_of_another_quantity_does_not_answer_a_question_that_names_its_own(
    tmp_path: Path,
) -> None:
    papers = tmp_path / "papers.jsonl"
    rows = [
        ("FooNet", "FooNet cuts FLOPs by 15% and reaches 75.5% top-1 accuracy on ImageNet."),
        ("BarNet", "BarNet cuts FLOPs by 45% compared with ResNet-50 on ImageNet."),
        ("BazNet", "BazNet improves top-1 accuracy by 62% over ViT-S on ImageNet."),
    ]
    papers.write_text(
        "".join(
            json.dumps({"id": f"p{n}", "title": f"{t}: vision", "abstract": a}) + "\n"
            for n, (t, a) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    store = open_engine(f"sqlite:///{tmp_path / 'flops.db'}")
    ingest_files(store, [papers])
    summarize_pending(store, OfflineSummarizer())
    answer = answer_offline(store, "Which papers cut FLOPs by 40% or more?")
    assert answer.citations == ["p1"]  # FooNet's 75.5% and BazNet's 62% are not FLOPs
    assert answer_offline(store, "Which papers cut FLOPs by 50% or more?").no_answer


def test_offline_answer_for_a_named_paper(store: Engine) -> None:
    answer = answer_offline(store, "what did IsolateGPT cost in overhead?")
    assert answer.citations[0] == "seed-001"
    assert "30%" in answer.text


# --- citation checks --------------------------------------------------------------------------


EVIDENCE = {"seed-011": "ProMoE achieves an average speedup of 2.20x (up to 3.21x)."}


def _check(text: str) -> Any:
    return check_answer(
        text,
        retrieved={"seed-011"},
        exists=lambda ref: ref in ("seed-011", "seed-067"),
        evidence_text=EVIDENCE,
    )


def test_citations_are_parsed_in_lists() -> None:
    assert cited_ids("a [seed-011] b [seed-012, seed-013; 2401.01234] [seed-011]") == [
        "seed-011",
        "seed-012",
        "seed-013",
        "2401.01234",
    ]


def test_a_fabricated_id_and_an_unretrieved_one_are_removed() -> None:
    check = _check("ProMoE is 2.2x faster [seed-011, seed-999]. BOLT is fast [seed-067].")
    assert check.valid == ["seed-011"]
    assert check.unknown == ["seed-999"] and check.not_retrieved == ["seed-067"]
    assert check.text == "ProMoE is 2.2x faster [seed-011]. BOLT is fast."
    assert not check.ok and len(check.problems()) == 2


def test_numbers_must_come_from_the_cited_papers() -> None:
    assert _check("ProMoE: 2.20x on average, up to 3.21x [seed-011].").ok
    check = _check("ProMoE is 7.5x faster [seed-011].")
    assert check.unsupported_numbers == [7.5]
    assert "7.5" in check.problems()[0]


# --- the agent, end to end against the local OpenAI-compatible server -------------------------


def _llm(server: FakeOpenAIServer, store: Engine) -> LLM:
    return LLM(LLMSettings(base_url=server.url, model="fake-model", max_retries=0), store)


def _tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]


def test_the_agent_searches_with_tools_and_cites_what_it_found(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.script(
        Reply.tool_calls(
            [
                ("search_papers", {"query": "MoE inference speedup"}),
                ("filter_gains", {"keywords": "MoE", "unit": "x", "greater_than": 2}),
            ]
        ),
        Reply.tool_calls([("read_paper", {"id": "seed-011"})]),
        Reply.content("ProMoE speeds up prefill by 2.20x on average, up to 3.21x [seed-011]."),
    )
    answer = answer_with_llm(store, _llm(fake_openai, store), "more than 2x speedup for MoE?")
    assert answer.mode == "llm" and not answer.no_answer and answer.flagged == []
    assert answer.citations == ["seed-011"]
    assert answer.text.endswith("[seed-011].")
    assert "seed-011" in answer.retrieved
    requests = fake_openai.chat_requests()
    assert len(requests) == 3
    assert {t["function"]["name"] for t in requests[0]["tools"]} == {
        "search_papers",
        "filter_gains",
        "read_paper",
    }
    first_results = _tool_results(requests[1])
    assert any(p["id"] == "seed-011" for p in first_results[1]["papers"])
    # Every paper the gain filter returned really has a factor above 2.
    assert all(any("x" in g for g in p["gains"]) for p in first_results[1]["papers"]), (
        first_results[1]
    )
    read = _tool_results(requests[2])[-1]
    assert read["id"] == "seed-011" and "ProMoE" in read["abstract"]
    with Session(store) as session:
        calls = session.exec(select(LLMCall)).all()
    assert [c.prompt for c in calls] == ["ask/v1"] * 3
    assert "tool_calls" in (calls[0].response or "")


def test_a_fabricated_citation_is_caught_and_re_asked(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.script(
        Reply.tool_calls([("search_papers", {"query": "ProMoE"})]),
        Reply.content("ProMoE is 2.20x faster [seed-011]; so is FakeMoE [seed-777]."),
        Reply.content("ProMoE is 2.20x faster on average [seed-011]."),
    )
    answer = answer_with_llm(store, _llm(fake_openai, store), "how fast is ProMoE?")
    assert answer.citations == ["seed-011"] and answer.flagged == []
    assert "seed-777" not in answer.text
    reask = fake_openai.chat_requests()[2]["messages"][-1]
    assert reask["role"] == "user" and "[seed-777] is not a stored paper id" in reask["content"]


def test_a_citation_still_wrong_after_the_re_asks_is_removed_and_flagged(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    bad = "ProMoE is 2.20x faster [seed-011], BOLT 480x [seed-067], FakeMoE 9x [seed-777]."
    fake_openai.script(
        Reply.tool_calls([("search_papers", {"query": "ProMoE"})]),
        *[Reply.content(bad)] * 3,
    )
    answer = answer_with_llm(store, _llm(fake_openai, store), "how fast is ProMoE?")
    assert answer.citations == ["seed-011"]
    assert "seed-777" not in answer.text and "seed-067" not in answer.text
    assert any("seed-777" in f for f in answer.flagged)
    assert any("seed-067" in f and "not returned" in f for f in answer.flagged)
    assert any("480" in f for f in answer.flagged)  # its number is in no cited paper
    assert len(fake_openai.chat_requests()) == 4  # one search, answer, two re-asks


def test_no_relevant_paper_gives_a_no_answer(fake_openai: FakeOpenAIServer, store: Engine) -> None:
    fake_openai.script(
        Reply.tool_calls([("search_papers", {"query": "protein folding weather"})]),
        Reply.content(NO_ANSWER),
    )
    answer = answer_with_llm(store, _llm(fake_openai, store), "who predicts protein folding?")
    assert answer.no_answer and answer.citations == [] and answer.text == NO_ANSWER
    assert answer.flagged == []


def test_the_loop_is_bounded_and_ends_with_an_answer(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.handler = lambda body: (
        Reply.content("Nothing certain [seed-011].")
        if body.get("tool_choice") == "none"
        else Reply.tool_calls([("search_papers", {"query": "ProMoE"})])
    )
    answer = answer_with_llm(store, _llm(fake_openai, store), "q?", max_steps=3)
    requests = fake_openai.chat_requests()
    assert len(requests) == 3 and requests[-1]["tool_choice"] == "none"
    assert answer.citations == ["seed-011"]


def test_bad_tool_arguments_come_back_as_errors(store: Engine) -> None:
    from agent.ask.agent import Retrieval

    seen = Retrieval()
    assert "error" in run_tool(store, "search_papers", "{not json", seen)
    assert "error" in run_tool(store, "filter_gains", '{"greater_than": "lots"}', seen)
    assert "error" in run_tool(store, "read_paper", '{"id": "seed-999"}', seen)
    assert "error" in run_tool(store, "drop_tables", "{}", seen)
    assert seen.hits == {}


# --- the command ------------------------------------------------------------------------------


def test_ask_command_offline_json(seed_db: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["ask", "--json", "--db", str(seed_db), "what did IsolateGPT cost in overhead?"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "offline" and data["citations"][0] == "seed-001"
    assert data["evidence"][0]["id"] == "seed-001" and data["evidence"][0]["gains"]


def test_ask_command_with_an_endpoint(
    fake_openai: FakeOpenAIServer, seed_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(seed_db.read_bytes())
    fake_openai.script(
        Reply.tool_calls([("search_papers", {"query": "IsolateGPT overhead"})]),
        Reply.content("IsolateGPT's performance overhead is under 30% [seed-001]."),
    )
    result = CliRunner().invoke(
        app,
        ["ask", "--db", str(db), "--base-url", fake_openai.url, "IsolateGPT overhead?"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "under 30% [seed-001]" in result.output


def test_a_small_store_answers_a_question_its_words_name_outright(tmp_path: Path) -> None:
    # New-user trial on 8 real papers of one day: "hallucination when filling JSON forms" got
    # "no stored paper answers" although PhantomFill ranked first. In 8 papers every word of
    # one paper was "common" (over 10% of them), and the static embeddings put it under the
    # dense threshold; a paper that names most of the question's words now answers.
    store = open_engine(f"sqlite:///{tmp_path / 'day.db'}")
    ingest_files(
        store, [ROOT / "tests/fixtures/real_feeds/daily_arxiv_2026-07-24_top15_first8.jsonl"]
    )
    summarize_pending(store, OfflineSummarizer())
    answer = answer_offline(store, "papers about hallucination when filling JSON forms")
    assert answer.citations == ["2607.20492"]  # PhantomFill
    assert answer_offline(store, "any work on protein folding?").no_answer
    recall = answer_offline(store, "what reaches retrieval recall above 0.99?")
    assert recall.citations == ["2607.20517"]  # CoLRAG-TF, Retrieval Recall of 0.9909
