"""A run killed mid-way loses nothing and pays for nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.config import Settings
from agent.llm.client import LLM
from agent.summarize.engines import LLMBatchSummarizer, summarize_pending
from store.db import open_engine
from store.runs import start_run
from store.tables import LLMCall, Summary
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAIServer
from tests.llm_answers import answer_all, papers_in
from tests.scale_data import load_synthetic


def _summaries(store: Engine) -> list[Summary]:
    with Session(store) as session:
        return list(session.exec(select(Summary)).all())


def _answered_calls(store: Engine) -> list[LLMCall]:
    with Session(store) as session:
        rows = session.exec(select(LLMCall).where(LLMCall.error == None)).all()  # noqa: E711
        return [c for c in rows if c.response]


def _assert_exactly_once(store: Engine, n: int) -> None:
    ok = Counter(s.paper_id for s in _summaries(store) if s.status == "ok")
    assert len(ok) == n and set(ok.values()) == {1}, "every paper summarized exactly once"
    # No paper was in two answered requests: nothing that came back was asked again.
    calls = _answered_calls(store)
    asked = Counter(pid for call in calls for pid in call.paper_ids)
    twice = {p for p, k in asked.items() if k > 1}
    # Each call that asked one of them, so that a failure says how it came about.
    seen = [
        (c.id, c.run_id, c.prompt, c.attempt, c.finish_reason, c.latency_ms, c.paper_ids)
        for c in calls
        if twice & set(c.paper_ids)
    ]
    assert not twice, f"asked twice: {sorted(twice)}; calls: {seen}"


def test_answers_logged_before_a_crash_are_stored_by_the_next_run_without_asking_again(
    tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'c.db'}")
    load_synthetic(store, tmp_path, 40)
    fake_openai.handler = answer_all
    settings = Settings(
        llm={"base_url": fake_openai.url, "model": "gpt-4.1-mini", "max_papers_per_batch": 10}
    )

    def summarizer(run_id: int | None) -> LLMBatchSummarizer:
        return LLMBatchSummarizer(LLM(settings.llm, store, run_id=run_id), settings, 1)

    # The process "dies" while storing its first batch: the answer is in the call log only.
    import agent.summarize.outcomes as summarize_module

    def die(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(summarize_module, "save_summaries", die)
    crashed = start_run(store, "summarize", engine="llm")
    with pytest.raises(KeyboardInterrupt):
        summarize_pending(store, summarizer(crashed.id), run_id=crashed.id)
    assert _summaries(store) == []
    paid = _answered_calls(store)
    assert paid, "at least one answer was logged before the crash"
    paid_papers = {pid for call in paid for pid in call.paper_ids}
    monkeypatch.undo()

    sent_before = len(fake_openai.chat_requests())
    again = start_run(store, "summarize", engine="llm")
    report = summarize_pending(store, summarizer(again.id), run_id=again.id)
    assert report.summarized == 40 and report.failed == 0
    resent = [p["id"] for b in fake_openai.chat_requests()[sent_before:] for p in papers_in(b)]
    assert len(resent) == 40 - len(paid_papers)  # only what had no answer yet was asked
    replayed = [s for s in _summaries(store) if s.paper_id in paid_papers]
    assert {s.llm_call_id for s in replayed} <= {c.id for c in paid}
    _assert_exactly_once(store, 40)


def _summarize_cmd(db: Path, server: FakeOpenAIServer) -> list[str]:
    return [
        sys.executable,
        "-m",
        "agent",
        "summarize",
        "--db",
        str(db),
        "--engine",
        "llm",
        "--base-url",
        server.url,
        "--model",
        "gpt-4.1-mini",
        "--concurrency",
        "3",
    ]


def test_sigkill_mid_run_then_rerun_summarizes_every_paper_exactly_once(tmp_path: Path) -> None:
    n = 240
    db = tmp_path / "kill.db"
    store = open_engine(f"sqlite:///{db}")
    load_synthetic(store, tmp_path, n)
    env = {**os.environ, "PAPERSKIM_LLM__MAX_PAPERS_PER_BATCH": "6"}
    with FakeOpenAIServer(handler=answer_all, latency=0.15) as server:
        proc = subprocess.Popen(
            _summarize_cmd(db, server),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        # Kill it in the middle: some batches stored, most not.
        while time.monotonic() < deadline and proc.poll() is None:
            stored = sum(1 for s in _summaries(store) if s.status == "ok")
            if stored >= n // 4:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stored_at_kill = sum(1 for s in _summaries(store) if s.status == "ok")
        assert 0 < stored_at_kill < n

        done = subprocess.run(
            _summarize_cmd(db, server), cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "0 failed" in done.stdout
    _assert_exactly_once(store, n)
