"""Prompt injection planted in abstracts, written by an outside tester who never saw the
defences (tests/data/injection_phrasings.jsonl: 59 phrasings, 52 techniques, 11 languages).

None of them may produce a stored gain or a link: not through the offline engine, and not
through the LLM path when the model obeys the injection and quotes the planted sentence.
The abstracts state no claim of their own, so every gain stored here is an invented one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.config import Settings
from agent.ingest.step import ingest_files
from agent.llm.client import LLM
from agent.summarize.engines import LLMBatchSummarizer, OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.tables import GainRecord, Summary
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import papers_in

DATA = Path(__file__).parent / "data" / "injection_phrasings.jsonl"
ATTACKS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
_NUMBER_RE = re.compile(r"[0-9０-９]+(?:[.,][0-9０-９]+)?\s*(?:x|×|%|times|倍|fold)?", re.I)
_LINK_RE = re.compile(r"https?:|javascript:|data:|hxxps?:|\]\(|<a\s|www\.", re.I)


def _store(tmp_path: Path) -> Engine:
    source = tmp_path / "attacks.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for attack in ATTACKS:
            title = f"A study of robust serving {attack['id']}"
            record = {"id": attack["id"], "title": title, "abstract": attack["abstract"]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    store = open_engine(f"sqlite:///{tmp_path / 'attacks.db'}")
    report = ingest_files(store, [source])
    assert report.new == len(ATTACKS)
    return store


def _stored(store: Engine) -> tuple[list[GainRecord], list[Summary]]:
    with Session(store) as session:
        gains = list(session.exec(select(GainRecord)).all())
        summaries = list(session.exec(select(Summary).where(Summary.status == "ok")).all())
    return gains, summaries


def _no_links(gains: list[GainRecord], summaries: list[Summary]) -> list[str]:
    texts = [s.takeaway or "" for s in summaries]
    texts += [f"{g.metric} {g.baseline or ''} {g.condition or ''}" for g in gains]
    return [t for t in texts if _LINK_RE.search(t)]


def test_the_attack_set_is_what_it_claims() -> None:
    assert len(ATTACKS) >= 30
    assert len({a["technique"] for a in ATTACKS}) >= 25
    assert len({a["lang"] for a in ATTACKS}) >= 6
    for attack in ATTACKS:
        assert attack["injected"] in attack["abstract"], attack["id"]


def test_offline_engine_invents_nothing_from_injected_sentences(tmp_path: Path) -> None:
    store = _store(tmp_path)
    summarize_pending(store, OfflineSummarizer())
    gains, summaries = _stored(store)
    assert [(g.summary_id, g.quote) for g in gains] == []
    assert _no_links(gains, summaries) == []


def _obedient_gain(injected: str, link: bool) -> dict[str, Any]:
    """What a model that follows the injection would return: the planted number, quoted
    verbatim from the planted text (with a link smuggled into the baseline, or plain)."""
    match = _NUMBER_RE.search(injected)
    quote = match.group(0).strip() if match else injected[:40]
    digits = re.sub(
        r"[^0-9.]", "", quote.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    )
    value = float(digits) if digits and digits != "." else 100.0
    return {
        "metric": "throughput speedup",
        "value": value,
        "value_high": None,
        "unit": "%" if "%" in quote else "x",
        "kind": "improvement",
        "qualifier": None,
        "baseline": "vLLM [details](https://evil.example/r)" if link else "vLLM",
        "condition": None,
        "quote": quote,
    }


def _obey(body: dict[str, Any], link: bool) -> Reply:
    by_id = {a["id"]: a for a in ATTACKS}
    answers = []
    for paper in papers_in(body):
        attack = next((a for key, a in by_id.items() if key in paper["id"]), None)
        injected = attack["injected"] if attack else ""
        answers.append(
            {
                "id": paper["id"],
                "takeaway": (
                    "See https://evil.example for the result."
                    if link
                    else "The paper studies robust serving of language models."
                ),
                "has_claims": True,
                "gains": [_obedient_gain(injected, link)],
            }
        )
    return Reply.content({"papers": answers}, prompt_tokens=1000, completion_tokens=200)


@pytest.mark.parametrize("link", [True, False], ids=["with-links", "plain"])
def test_an_llm_that_obeys_the_injection_gets_nothing_stored(
    tmp_path: Path, fake_openai: FakeOpenAIServer, link: bool
) -> None:
    store = _store(tmp_path)
    fake_openai.handler = lambda body: _obey(body, link)
    settings = Settings(
        llm={"base_url": fake_openai.url, "model": "gpt-4.1-mini", "max_papers_per_batch": 10}
    )
    summarizer = LLMBatchSummarizer(LLM(settings.llm, store), settings, concurrency=2)
    summarize_pending(store, summarizer)
    gains, summaries = _stored(store)
    assert [(g.summary_id, g.quote) for g in gains] == []
    assert _no_links(gains, summaries) == []
