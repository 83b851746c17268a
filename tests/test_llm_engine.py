"""The LLM path end to end: real openai client, real HTTP, local OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.config import LLMSettings
from agent.llm.client import LLM
from agent.summarize.batching import BatchItem, make_item
from agent.summarize.llm_engine import LLMSummarizer
from prompts import load_prompt
from store.db import open_engine
from store.tables import LLMCall
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import answer_all, good_answer, good_summary, papers_in

PAPERS = [
    (
        "p1",
        "ProMoE: Fast MoE Serving",
        "ProMoE achieves an average speedup of 2.20x over baselines.",
    ),
    (
        "p2",
        "KVQuant: Small KV Caches",
        "KVQuant shrinks the KV cache by 4x with no loss in quality.",
    ),
    ("p3", "Nothing: A Position Paper", "We argue that benchmarks matter and describe why."),
]


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return open_engine(f"sqlite:///{tmp_path / 'llm.db'}")


def settings(server: FakeOpenAIServer, **overrides: Any) -> LLMSettings:
    fields: dict[str, Any] = {
        "base_url": server.url,
        "model": "gpt-4.1-mini",
        "max_retries": 2,
        "timeout": 5.0,
        "max_reasks": 2,
    }
    fields.update(overrides)
    return LLMSettings(**fields)


def items(n: int = 3) -> tuple[list[BatchItem], dict[str, str]]:
    made = [
        make_item(i + 1, ref, title, abstract, "gpt-4.1-mini", 10_000)
        for i, (ref, title, abstract) in enumerate(PAPERS[:n])
    ]
    return made, {ref: abstract for ref, _t, abstract in PAPERS[:n]}


def summarizer(server: FakeOpenAIServer, store: Engine, **overrides: Any) -> LLMSummarizer:
    s = settings(server, **overrides)
    return LLMSummarizer(LLM(s, store), load_prompt("summarize", "v1"), s)


def calls(store: Engine) -> list[LLMCall]:
    with Session(store) as session:
        return list(session.exec(select(LLMCall).order_by(LLMCall.id)).all())  # type: ignore[arg-type]


def last_user_message(body: dict[str, Any]) -> str:
    return str([m for m in body["messages"] if m["role"] == "user"][-1]["content"])


def test_one_request_answers_the_whole_batch_with_a_strict_schema(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.handler = answer_all
    batch, abstracts = items()
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)

    assert [o.item.ref for o in outcomes] == ["p1", "p2", "p3"]
    assert all(o.summary is not None and o.error is None for o in outcomes)
    assert outcomes[0].summary and outcomes[0].summary.gains[0].quote == "2.20x"
    assert outcomes[2].summary and outcomes[2].summary.has_claims is False

    (request,) = fake_openai.chat_requests()
    fmt = request["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert [p["id"] for p in papers_in(request)] == ["p1", "p2", "p3"]
    assert request["messages"][0]["role"] == "system"

    (call,) = calls(store)
    assert (call.model, call.prompt, call.attempt) == ("gpt-4.1-mini", "summarize/v1", 1)
    assert (call.input_tokens, call.output_tokens) == (1000, 100)
    assert call.cost_usd == pytest.approx((1000 * 0.40 + 100 * 1.60) / 1e6)
    assert call.paper_ids == [1, 2, 3] and call.error is None and call.finish_reason == "stop"


def test_a_made_up_quote_is_re_asked_with_the_error_and_only_that_paper(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items()
    first = good_answer({"messages": [{"role": "user", "content": _papers_block(batch)}]})
    first["papers"][1]["gains"] = [
        {
            **good_summary({"id": "p2", "title": "t", "abstract": "4x"})["gains"][0],
            "quote": "shrinks the KV cache by 40x",
        }
    ]
    fake_openai.script(Reply.content(first))
    fake_openai.handler = answer_all
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)

    assert all(o.summary is not None for o in outcomes)
    _first, second_req = fake_openai.chat_requests()
    reask = last_user_message(second_req)
    assert "does not occur verbatim" in reask
    assert "only for these ids: p2." in reask
    assert second_req["messages"][-2]["role"] == "assistant"  # the model sees its own answer
    assert [c.attempt for c in calls(store)] == [1, 2]
    assert calls(store)[1].paper_ids == [2]


def test_a_missing_id_is_re_asked(fake_openai: FakeOpenAIServer, store: Engine) -> None:
    batch, abstracts = items()
    partial = good_answer({"messages": [{"role": "user", "content": _papers_block(batch)}]})
    partial["papers"] = partial["papers"][:2]
    fake_openai.script(Reply.content(partial))
    fake_openai.handler = answer_all
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert all(o.summary is not None for o in outcomes)
    assert "id p3: no answer was given for this id" in last_user_message(
        fake_openai.chat_requests()[1]
    )


def test_after_the_last_re_ask_the_paper_is_failed_with_the_reason(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items(1)
    bad = {
        "papers": [
            {
                **good_summary({"id": "p1", "title": "ProMoE", "abstract": abstracts["p1"]}),
                "takeaway": "ProMoE is 9x faster.",
            }
        ]
    }
    fake_openai.handler = lambda body: Reply.content(bad)
    (outcome,) = summarizer(fake_openai, store, max_reasks=1).summarize_batch(batch, abstracts)
    assert outcome.summary is None
    assert outcome.error is not None
    assert (
        "invalid after 2 attempt(s)" in outcome.error and "not in the abstract: 9" in outcome.error
    )
    assert len(fake_openai.chat_requests()) == 2


def test_malformed_json_is_re_asked(fake_openai: FakeOpenAIServer, store: Engine) -> None:
    fake_openai.script(Reply.content('{"papers": [{"id": "p1", "takeaway": '))
    fake_openai.handler = answer_all
    batch, abstracts = items(1)
    (outcome,) = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert outcome.summary is not None
    assert "not valid JSON" in last_user_message(fake_openai.chat_requests()[1])


def test_429_with_retry_after_is_retried_once_and_every_try_is_logged(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.script(Reply.error(429, "slow down", headers={"retry-after-ms": "5"}))
    fake_openai.handler = answer_all
    batch, abstracts = items()
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert all(o.summary is not None for o in outcomes)
    assert len(fake_openai.chat_requests()) == 2  # one retry, no second retry layer
    logged = calls(store)
    assert len(logged) == 2  # every request sent is in the call log (issue 16)
    assert "HTTP 429" in (logged[0].error or "") and "retrying" in (logged[0].error or "")
    assert logged[1].error is None


def test_persistent_500_fails_the_batch_after_the_sdk_retries_only(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.handler = lambda body: Reply.error(500, "boom", headers={"retry-after-ms": "1"})
    batch, abstracts = items()
    outcomes = summarizer(fake_openai, store, max_retries=1).summarize_batch(batch, abstracts)
    assert all(o.summary is None and o.error and "HTTP 500" in o.error for o in outcomes)
    assert len(fake_openai.chat_requests()) == 2  # 1 try + 1 retry; tenacity adds none
    first, last = calls(store)  # both tries logged
    assert first.error is not None and "retrying" in first.error
    assert last.error is not None and "HTTP 500" in last.error and "after 2 tries" in last.error


def test_a_timeout_fails_the_batch_with_the_reason(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.script(Reply.hang(3))
    batch, abstracts = items(1)
    (outcome,) = summarizer(fake_openai, store, timeout=0.3, max_retries=0).summarize_batch(
        batch, abstracts
    )
    assert outcome.error is not None and "timed out" in outcome.error
    assert calls(store)[0].error is not None


CUT = '{"papers": [{"id": "p1", "takeaway": "ProMoE'


def test_a_truncated_answer_is_sent_again_with_twice_the_budget(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.script(Reply.content(CUT, finish_reason="length"))
    fake_openai.handler = answer_all
    batch, abstracts = items()
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert all(o.summary is not None for o in outcomes)
    sent = fake_openai.chat_requests()
    assert [len(papers_in(r)) for r in sent] == [3, 3]
    assert sent[1]["max_tokens"] == 2 * sent[0]["max_tokens"]
    assert calls(store)[0].finish_reason == "length"


def test_a_batch_still_truncated_is_split_once_then_fails_clearly(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    # issue 16: a model that runs on forever used to be split down to single papers (78
    # requests for 40 papers) and fail them all anyway.
    fake_openai.handler = lambda body: Reply.content(CUT, finish_reason="length")
    batch, abstracts = items()
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    sizes = [len(papers_in(r)) for r in fake_openai.chat_requests()]
    assert sizes == [3, 3, 1, 2]  # raised budget once, split once, no further
    for outcome in outcomes:
        assert outcome.error is not None and "cut off at max_tokens" in outcome.error
        assert "llm.output_tokens_per_paper" in outcome.error


@pytest.mark.parametrize("mode", ["json_object", "prompt"])
def test_fallback_modes_for_servers_without_schemas(
    fake_openai: FakeOpenAIServer, store: Engine, mode: str
) -> None:
    fake_openai.handler = lambda body: Reply.content(
        "Here you go:\n```json\n" + json.dumps(good_answer(body)) + "\n```"
    )
    batch, abstracts = items()
    outcomes = summarizer(fake_openai, store, structured_output=mode).summarize_batch(
        batch, abstracts
    )
    assert all(o.summary is not None for o in outcomes)
    (request,) = fake_openai.chat_requests()
    if mode == "json_object":
        assert request["response_format"] == {"type": "json_object"}
    else:
        assert "response_format" not in request
    assert "follows this JSON schema" in request["messages"][0]["content"]


def test_the_api_key_is_sent_but_never_logged(fake_openai: FakeOpenAIServer, store: Engine) -> None:
    from pydantic import SecretStr

    secret = "sk-test-0123456789abcdef"
    fake_openai.handler = lambda body: Reply.error(401, f"Incorrect API key provided: {secret}")
    s = settings(fake_openai, api_key=SecretStr(secret))
    engine = LLMSummarizer(LLM(s, store), load_prompt("summarize", "v1"), s)
    batch, abstracts = items(1)
    (outcome,) = engine.summarize_batch(batch, abstracts)
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {secret}"
    assert outcome.error is not None and secret not in outcome.error and "***" in outcome.error
    dumped = json.dumps([c.model_dump(mode="json") for c in calls(store)])
    assert secret not in dumped


def _papers_block(batch: list[BatchItem]) -> str:
    from agent.summarize.batching import render_papers

    return f"<papers>\n{render_papers(batch)}\n</papers>"


def test_a_malformed_http_body_fails_the_batch_cleanly(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.script(Reply.raw(200, b'{"id": "chatcmpl-1", "choi'))
    batch, abstracts = items(1)
    (outcome,) = summarizer(fake_openai, store, max_retries=0).summarize_batch(batch, abstracts)
    assert outcome.error is not None and "malformed response body" in outcome.error
