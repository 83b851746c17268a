"""The LLM path against a real model: the local llama-server (scripts/local_model.py).

Skipped with the reason when the server is not up; CI need not build it. Slow by nature (a
paper takes tens of seconds on a CPU), so it runs two papers.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from agent.config import LLMSettings
from agent.core.jsontext import extract_json
from agent.core.models import ShortTakeaway
from agent.core.validate import MAX_TAKEAWAY_WORDS, word_count
from agent.llm.client import LLM
from agent.summarize.formats import summarize_prompt
from agent.summarize.llm_engine import SHORTEN_MAX_TOKENS, LLMSummarizer
from prompts import load_prompt
from store.capabilities import known_mode
from store.db import open_engine
from tests.test_llm_engine import items

pytestmark = pytest.mark.real_model

LOCAL_URL = "http://127.0.0.1:8088/v1"


def _server_up() -> bool:
    # The local server only: this never leaves 127.0.0.1.
    try:
        with urllib.request.urlopen(LOCAL_URL + "/models", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.skipif(
    not _server_up(),
    reason="no local model server at 127.0.0.1:8088 "
    "(start it: python3 scripts/local_model.py start)",
)
def test_the_local_model_gives_valid_summaries_or_short_reasons(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'real.db'}")
    settings = LLMSettings(base_url=LOCAL_URL, model="local", preset="local")
    engine = LLMSummarizer(LLM(settings, store), load_prompt("summarize"), settings)
    batch, abstracts = items(2)
    outcomes = engine.summarize_batch(batch, abstracts)
    for outcome in outcomes:
        assert (outcome.summary is None) != (outcome.error is None)
        if outcome.error is not None:
            assert "Traceback" not in outcome.error and len(outcome.error) < 2000
    assert known_mode(store, LOCAL_URL, "local") in (None, "json_object", "prompt")


@pytest.mark.skipif(not _server_up(), reason="no local model server at 127.0.0.1:8088")
def test_the_local_model_in_confirm_mode_gives_valid_summaries_or_short_reasons(
    tmp_path: Path,
) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'real.db'}")
    settings = LLMSettings(base_url=LOCAL_URL, model="local", preset="local", extraction="confirm")
    engine = LLMSummarizer(LLM(settings, store), summarize_prompt("confirm"), settings)
    batch, abstracts = items(2)
    for outcome in engine.summarize_batch(batch, abstracts):
        assert (outcome.summary is None) != (outcome.error is None)
        if outcome.summary is not None:
            assert all(g.quote in abstracts[outcome.item.ref] for g in outcome.summary.gains)
        else:
            assert outcome.error is not None and len(outcome.error) < 2000


@pytest.mark.skipif(not _server_up(), reason="no local model server at 127.0.0.1:8088")
def test_the_local_model_shortens_an_overlong_takeaway(tmp_path: Path) -> None:
    # What the shorten request (llm_engine._shortened) relies on: asked only to shorten one
    # sentence, the 1.5B model does, where a re-ask of the whole answer copied it again.
    store = open_engine(f"sqlite:///{tmp_path / 'real.db'}")
    settings = LLMSettings(base_url=LOCAL_URL, model="local", preset="local")
    prompt = load_prompt("shorten")
    long = (
        "We present FlashSketch, a GPU-accelerated sketching library that supports count-min, "
        "HyperLogLog and quantile sketches over streaming data from network monitoring, "
        "databases and recommendation systems, and we show that it processes updates at line "
        "rate on commodity hardware while using a fraction of the memory of exact approaches."
    )
    system, user = prompt.render(words=str(word_count(long)), takeaway=long)
    completion = LLM(settings, store).complete(
        [{"role": "system", "content": system}, {"role": "user", "content": user}],
        prompt=prompt,
        schema_model=ShortTakeaway,
        max_tokens=SHORTEN_MAX_TOKENS,
        paper_ids=[],
    )
    short = ShortTakeaway.model_validate(extract_json(completion.content)).takeaway
    assert 0 < word_count(short) <= MAX_TAKEAWAY_WORDS
    assert "FlashSketch" in short
