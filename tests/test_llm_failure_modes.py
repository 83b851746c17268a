"""Issue 12's failure modes of the LLM path against a real model, and issue 16's client breaks,
each reproduced on the scripted test server (real openai client over HTTP)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from agent.llm.client import LLM
from agent.summarize.batching import make_item
from agent.summarize.llm_engine import LLMSummarizer
from prompts import load_prompt
from store.capabilities import known_mode
from store.db import open_engine
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import answer_all, good_answer, good_summary, papers_in
from tests.test_llm_engine import calls, items, last_user_message, settings


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return open_engine(f"sqlite:///{tmp_path / 'llm.db'}")


def summarizer(
    server: FakeOpenAIServer, store: Engine, interests: str = "", **overrides: Any
) -> LLMSummarizer:
    s = settings(server, **overrides)
    return LLMSummarizer(LLM(s, store), load_prompt("summarize", "v1"), s, interests)


# -- 1. json_schema refused by the server ---------------------------------------------------


def test_a_refused_json_schema_falls_back_once_and_is_remembered(store: Engine) -> None:
    with FakeOpenAIServer(answer_all, response_formats={"json_object", "text"}) as server:
        batch, abstracts = items()
        outcomes = summarizer(server, store).summarize_batch(batch, abstracts)
        assert all(o.summary is not None for o in outcomes)
        kinds = [r.get("response_format", {}).get("type") for r in server.chat_requests()]
        assert kinds == ["json_schema", "json_object"]  # the 500 is not retried as transport
        assert known_mode(store, server.url, "gpt-4.1-mini") == "json_object"
        refused = calls(store)[0]
        assert refused.error is not None and "refused" in refused.error

        # The next run (a new LLM) starts with what was learned: no refusal paid for again.
        summarizer(server, store).summarize_batch(batch, abstracts)
        kinds = [r.get("response_format", {}).get("type") for r in server.chat_requests()]
        assert kinds[2:] == ["json_object"]


def test_a_server_taking_no_response_format_gets_the_schema_in_the_prompt(
    store: Engine,
) -> None:
    with FakeOpenAIServer(answer_all, response_formats=set(), refusal_status=400) as server:
        batch, abstracts = items()
        outcomes = summarizer(server, store).summarize_batch(batch, abstracts)
        assert all(o.summary is not None for o in outcomes)
        sent = server.chat_requests()
        assert [r.get("response_format", {}).get("type") for r in sent] == [
            "json_schema",
            "json_object",
            None,
        ]
        assert "JSON schema" in sent[-1]["messages"][0]["content"]
        assert known_mode(store, server.url, "gpt-4.1-mini") == "prompt"


# -- 2. every error of an answer in one re-ask ------------------------------------------------


def test_one_re_ask_names_every_schema_and_content_error(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items(1)
    bad = good_answer({"messages": [{"role": "user", "content": _block(batch)}]})
    entry = bad["papers"][0]
    del entry["has_claims"]
    entry["gains"][0].pop("kind")
    entry["takeaway"] = " ".join(["word"] * 45)
    fake_openai.script(Reply.content(bad))
    fake_openai.handler = answer_all
    (outcome,) = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert outcome.summary is not None
    reask = last_user_message(fake_openai.chat_requests()[1])
    assert "has_claims" in reask and "gains.0.kind" in reask
    assert "45 words" in reask  # the content error is not held back behind the schema errors


# -- 3. no identical request twice --------------------------------------------------------------


def test_an_identical_re_ask_goes_out_at_a_higher_temperature(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items(1)
    same_bad = {"papers": [{"id": "p1", "takeaway": "x"}]}
    fake_openai.handler = lambda body: Reply.content(same_bad)
    summarizer(fake_openai, store, max_reasks=3).summarize_batch(batch, abstracts)
    sent = fake_openai.chat_requests()
    keys = [json.dumps([r["messages"], r["temperature"]], sort_keys=True) for r in sent]
    assert len(set(keys)) == len(keys) == 4
    assert sent[1]["temperature"] == 0.0 and sent[2]["temperature"] > 0.0


# -- 4. a re-ask that deletes true claims -----------------------------------------------------


def test_gains_dropped_under_re_ask_pressure_are_flagged(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items(1)
    first = good_answer({"messages": [{"role": "user", "content": _block(batch)}]})
    # Invalid (a number the abstract lacks), but the gain is right.
    first["papers"][0]["takeaway"] = "ProMoE serves MoE models 9x faster."
    dropped = {"papers": [{**first["papers"][0], "takeaway": "ProMoE serves MoE models faster."}]}
    dropped["papers"][0]["gains"] = []
    dropped["papers"][0]["has_claims"] = False
    fake_openai.script(Reply.content(first), Reply.content(dropped))
    (outcome,) = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert outcome.summary is not None
    assert outcome.warning is not None and "dropped 1 gain" in outcome.warning
    assert "2.20x" in outcome.warning


# -- 4b. a takeaway whose one fault is its length ---------------------------------------------

LONG_TAKEAWAY = (
    "ProMoE is a serving system for mixture-of-experts language models on consumer GPUs that "
    "prefetches the experts each token will need, overlaps their transfer with computation, "
    "caches the popular ones, and achieves an average speedup over baselines on every model."
)


def _overlong_first(batch: Any) -> dict[str, Any]:
    answer = good_answer({"messages": [{"role": "user", "content": _block(batch)}]})
    answer["papers"][0]["takeaway"] = LONG_TAKEAWAY
    return answer


def test_an_overlong_takeaway_alone_is_shortened_in_a_request_of_its_own(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items()
    short = "ProMoE prefetches and caches experts to serve MoE models faster on consumer GPUs."
    fake_openai.script(Reply.content(_overlong_first(batch)), Reply.content({"takeaway": short}))
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert all(o.summary is not None for o in outcomes)
    first = outcomes[0]
    assert first.summary is not None and first.summary.takeaway == short
    assert [g.quote for g in first.summary.gains] == ["2.20x"]  # the rest of the answer kept
    sent = fake_openai.chat_requests()
    assert len(sent) == 2  # no re-ask of the whole answer
    shorten = last_user_message(sent[1])
    assert LONG_TAKEAWAY in shorten and "<papers>" not in shorten
    assert "abstract" not in json.dumps(sent[1]["messages"])  # one sentence in, nothing else
    logged = calls(store)
    assert logged[1].prompt == "shorten/v1" and logged[1].paper_ids == [1]
    assert first.call_id == logged[1].id  # the stored summary points at the call that made it


def test_a_shortened_takeaway_that_breaks_a_rule_goes_to_the_usual_re_ask(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items(1)
    fake_openai.script(
        Reply.content(_overlong_first(batch)),
        Reply.content({"takeaway": "ProMoE serves MoE models 7x faster."}),  # 7 is not there
    )
    fake_openai.handler = answer_all
    (outcome,) = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert outcome.summary is not None and "7x" not in outcome.summary.takeaway
    sent = fake_openai.chat_requests()
    assert len(sent) == 3 and "<papers>" in json.dumps(sent[2]["messages"])
    assert "words; at most 30" in last_user_message(sent[2])  # the re-ask names the fault


def test_an_empty_takeaway_is_re_asked_not_sent_to_be_shortened(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items(1)
    empty = _overlong_first(batch)
    empty["papers"][0]["takeaway"] = ""
    fake_openai.script(Reply.content(empty))
    fake_openai.handler = answer_all
    (outcome,) = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert outcome.summary is not None
    sent = fake_openai.chat_requests()
    assert len(sent) == 2 and "<papers>" in json.dumps(sent[1]["messages"])
    assert "the takeaway is empty" in last_user_message(sent[1])


def test_a_takeaway_of_few_words_but_too_many_characters_is_re_asked_not_shortened(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    # Review: a junk "word" of 500 characters within 30 words went to the shorten request,
    # which asks for fewer words: the whole answer goes back with the error instead.
    batch, abstracts = items(1)
    junk = _overlong_first(batch)
    junk["papers"][0]["takeaway"] = "FooNet is " + "x" * 500 + "."
    fake_openai.script(Reply.content(junk))
    fake_openai.handler = answer_all
    (outcome,) = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert outcome.summary is not None
    sent = fake_openai.chat_requests()
    assert len(sent) == 2 and "<papers>" in json.dumps(sent[1]["messages"])
    assert "characters" in last_user_message(sent[1])


def test_a_takeaway_the_re_ask_leaves_as_long_is_not_sent_to_be_shortened_twice(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items(1)
    fake_openai.handler = lambda body: Reply.content(
        _overlong_first(batch) if "<papers>" in json.dumps(body["messages"]) else "not json"
    )
    (outcome,) = summarizer(fake_openai, store, max_reasks=2).summarize_batch(batch, abstracts)
    assert outcome.summary is None and outcome.error is not None
    assert "at most 30 are allowed" in outcome.error
    shortens = [r for r in fake_openai.chat_requests() if "<sentence>" in last_user_message(r)]
    assert len(shortens) == 1  # the same sentence is never sent to be shortened again


# -- 5. copied example values; one paper given another's gain ----------------------------------


def test_the_latest_prompt_has_no_example_value_a_model_could_copy() -> None:
    system = load_prompt("summarize").system
    # Only the rules' own numbers: the takeaway's 30 words, the 0-3 scale, the 160-char quote.
    assert set(re.findall(r"\d+(?:\.\d+)?", system)) <= {"30", "0", "3", "160"}
    assert "training throughput" not in system and "20-90" not in system


def test_a_copied_example_and_another_papers_gain_are_refused_and_re_asked(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    batch, abstracts = items(2)
    bad = good_answer({"messages": [{"role": "user", "content": _block(batch)}]})
    own_gain = bad["papers"][0]["gains"][0]  # ProMoE's 2.20x
    bad["papers"][0]["gains"] = [
        {**own_gain, "metric": "training throughput", "value": 20.0, "value_high": 90.0,
         "unit": "%", "qualifier": "up to", "quote": "up to 20-90%"}
    ]  # fmt: skip
    bad["papers"][1]["gains"] = [own_gain]  # KVQuant given ProMoE's number
    fake_openai.script(Reply.content(bad))
    fake_openai.handler = answer_all
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert all(o.summary is not None for o in outcomes)
    assert [g.value for o in outcomes for g in o.summary.gains] == [2.2, 4.0]  # type: ignore[union-attr]
    reask = last_user_message(fake_openai.chat_requests()[1])
    assert "id p1: quote 'up to 20-90%' does not occur verbatim" in reask
    assert "id p2: quote '2.20x' does not occur verbatim" in reask


def test_takeaways_shifted_by_one_id_are_refused_and_re_asked(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    """Each takeaway given to the next paper: every per-paper check passes (no numbers, no
    gains), only the batch shows it; each is re-asked with the paper it describes."""
    batch, abstracts = items(3)
    bad = good_answer({"messages": [{"role": "user", "content": _block(batch)}]})
    for entry in bad["papers"]:
        entry["gains"], entry["has_claims"] = [], False
    takeaways = [e["takeaway"] for e in bad["papers"]]
    for entry, takeaway in zip(bad["papers"], takeaways[-1:] + takeaways[:-1], strict=True):
        entry["takeaway"] = takeaway
    fake_openai.script(Reply.content(bad))
    fake_openai.handler = answer_all
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert [o.summary.takeaway for o in outcomes if o.summary] == takeaways
    reask = last_user_message(fake_openai.chat_requests()[1])
    assert "id p1: the takeaway describes paper p3" in reask
    assert "id p2: the takeaway describes paper p1" in reask


# -- 6. a five-sentence quote; a set-up number as a result ------------------------------------


def test_a_long_quote_and_a_set_up_number_are_refused(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    abstract = (
        "We quantize the weights of a 7B model to 4 bits. QNet keeps accuracy. It runs on one "
        "GPU. It needs no calibration. QNet is 2.5x faster than FP16 inference."
    )
    item = make_item(1, "q1", "QNet", abstract, "gpt-4.1-mini", 10_000)
    whole = {"metric": "speedup", "value": 2.5, "value_high": None, "unit": "x",
             "kind": "improvement", "qualifier": None, "baseline": "FP16 inference",
             "condition": None, "quote": abstract}  # fmt: skip
    bits = {**whole, "metric": "weights", "value": 4.0, "unit": "bits", "baseline": None,
            "quote": "to 4 bits"}  # fmt: skip
    answer = {"id": "q1", "takeaway": "QNet is a faster quantized model.", "has_claims": True}
    fake_openai.script(
        Reply.content({"papers": [{**answer, "gains": [whole, bits]}]}),
        Reply.content({"papers": [{**answer, "gains": [{**whole, "quote": "2.5x faster"}]}]}),
    )
    (outcome,) = summarizer(fake_openai, store).summarize_batch([item], {"q1": abstract})
    assert outcome.summary is not None
    assert [g.quote for g in outcome.summary.gains] == ["2.5x faster"]
    reask = last_user_message(fake_openai.chat_requests()[1])
    assert "longer than 160 characters" in reask or "more than one clause" in reask
    assert "counts things" in reask or "not a result of the paper" in reask


# -- 7. relevance without a profile ---------------------------------------------------------


def test_relevance_is_ignored_when_no_profile_was_sent(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    def with_bad_relevance(body: dict[str, Any]) -> Reply:
        answer = good_answer(body)
        for entry in answer["papers"]:
            entry["relevance"] = {"score": 9, "reason": "see https://x.example " + "w " * 40}
        return Reply.content(answer)

    fake_openai.handler = with_bad_relevance
    batch, abstracts = items()
    outcomes = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert all(o.summary is not None for o in outcomes)
    assert all(getattr(o.summary, "relevance", None) is None for o in outcomes)
    assert len(fake_openai.chat_requests()) == 1


# -- issue 16: waits, truncation, logging -----------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{"retry-after": "3600"}, {"x-ratelimit-reset-requests": "1h0m0s"}],
    ids=["retry-after", "ratelimit-reset"],
)
def test_an_hour_long_wait_fails_at_once_with_a_reason(
    fake_openai: FakeOpenAIServer, store: Engine, headers: dict[str, str]
) -> None:
    fake_openai.handler = lambda body: Reply.error(429, "rate limit", headers=headers)
    batch, abstracts = items(1)
    started = time.monotonic()
    (outcome,) = summarizer(fake_openai, store).summarize_batch(batch, abstracts)
    assert time.monotonic() - started < 5
    assert outcome.error is not None and "3600 s" in outcome.error
    assert "llm.max_retry_wait" in outcome.error
    assert len(fake_openai.chat_requests()) == 1
    assert len(calls(store)) == 1


def test_an_exhausted_rate_limit_window_resetting_in_an_hour_stops_the_next_request(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1h"}
    engine = summarizer(fake_openai, store)
    batch, abstracts = items(1)
    fake_openai.handler = lambda body: _with_headers(answer_all(body), headers)
    engine.summarize_batch(batch, abstracts)  # first answer says: nothing left for an hour
    started = time.monotonic()
    (outcome,) = engine.summarize_batch(batch, abstracts)
    assert time.monotonic() - started < 5
    assert outcome.error is not None and "resets in" in outcome.error


def test_every_transport_retry_reaches_the_call_log(
    fake_openai: FakeOpenAIServer, store: Engine
) -> None:
    fake_openai.script(Reply.drop(), Reply.error(503, "busy"), Reply.error(502, "bad gateway"))
    fake_openai.handler = answer_all
    batch, abstracts = items()
    outcomes = summarizer(fake_openai, store, max_retries=3).summarize_batch(batch, abstracts)
    assert all(o.summary is not None for o in outcomes)
    assert len(calls(store)) == len(fake_openai.chat_requests()) == 4


def _with_headers(reply: Reply, headers: dict[str, str]) -> Reply:
    reply.headers.update(headers)
    return reply


def _block(batch: Any) -> str:
    return "<papers>\n" + json.dumps([b.as_json() for b in batch]) + "\n</papers>"


def test_papers_in_reads_the_block() -> None:
    batch, _ = items(1)
    assert papers_in({"messages": [{"role": "user", "content": _block(batch)}]})[0]["id"] == "p1"
    assert good_summary(papers_in({"messages": [{"role": "user", "content": _block(batch)}]})[0])
