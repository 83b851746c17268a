"""The LLM rates relevance to the reader's profile in the same batched summarize call, and the
digest keeps its reason (issue 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import good_answer

runner = CliRunner()
SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def rating_model(reason: str) -> Any:
    def answer(body: dict[str, Any]) -> Reply:
        reply = good_answer(body)
        asked = "<reader_interests>" in body["messages"][1]["content"]
        for paper in reply["papers"]:
            on_topic = asked and "MoE" in paper["takeaway"]
            paper["relevance"] = {"score": 3, "reason": reason} if on_topic else None
        return Reply.content(reply)

    return answer


def test_with_a_profile_the_llm_rates_relevance_and_the_digest_shows_why(
    tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "paperskim.toml"
    config.write_text('[profile]\nkeywords = ["MoE"]\nthreshold = 0\n')
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    fake_openai.handler = rating_model("squarely about MoE serving")
    db = str(tmp_path / "p.db")
    cli("ingest", str(SEED), "--db", db)
    cli("summarize", "--db", db, "--limit", "20", "--base-url", fake_openai.url)

    first = fake_openai.chat_requests()[0]
    user = first["messages"][1]["content"]
    assert "<reader_interests>\nkeywords: MoE\n</reader_interests>" in user
    schema = first["response_format"]["json_schema"]["schema"]
    assert "relevance" in schema["$defs"]["SummaryAnswer"]["required"]

    digest = cli("digest", "--db", db)
    assert "LLM rates 3/3: squarely about MoE serving" in digest


def test_without_a_profile_no_interests_are_sent(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.handler = rating_model("unused")
    db = str(tmp_path / "p.db")
    cli("ingest", str(SEED), "--db", db)
    cli("summarize", "--db", db, "--limit", "5", "--base-url", fake_openai.url)
    assert all(
        "<reader_interests>" not in body["messages"][1]["content"]
        for body in fake_openai.chat_requests()
    )
    assert "LLM rates" not in cli("digest", "--db", db)


def test_a_relevance_reason_with_a_link_is_re_asked(
    tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "paperskim.toml"
    config.write_text('[profile]\nkeywords = ["MoE"]\n')
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    bad = rating_model("see https://evil.example for MoE")
    calls: list[int] = []

    def first_bad_then_good(body: dict[str, Any]) -> Reply:
        calls.append(1)
        reply: Reply = (bad if len(calls) == 1 else rating_model("MoE serving"))(body)
        return reply

    fake_openai.handler = first_bad_then_good
    db = str(tmp_path / "p.db")
    cli("ingest", str(SEED), "--db", db)
    cli("summarize", "--db", db, "--limit", "12", "--base-url", fake_openai.url)
    requests = fake_openai.chat_requests()
    assert len(requests) >= 2
    assert "relevance reason contains a link" in requests[1]["messages"][-1]["content"]
    assert "https://evil.example" not in cli("digest", "--db", db)
