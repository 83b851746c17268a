"""The LLM path against a real model: the local llama-server (scripts/local_model.py).

Skipped with the reason when the server is not up; CI need not build it. Slow by nature (a
paper takes tens of seconds on a CPU), so it runs two papers.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from agent.config import LLMSettings
from agent.llm.client import LLM
from agent.summarize.llm_engine import LLMSummarizer
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
