"""The API key is sent to the endpoint and nowhere else: not the database, logs, exports or
error messages, even when the server echoes it back in an error."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from agent.cli.main import app
from store.db import open_engine
from store.tables import LLMCall
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import answer_all

SECRET = "sk-proj-SeCrEt0123456789abcdefXYZ"
SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"


def _leaky(calls: list[int]) -> Any:
    """Valid answers, except that some requests fail with an error message quoting the key."""

    def handler(body: dict[str, Any]) -> Reply:
        calls.append(1)
        if len(calls) % 3 == 1:
            return Reply.error(
                401,
                f"Incorrect API key provided: {SECRET}. You can find your key at ...",
                headers={"x-should-retry": "false"},
            )
        if len(calls) % 3 == 2:
            return Reply.error(500, f"upstream rejected key {SECRET}")
        return answer_all(body)

    return handler


def test_the_key_never_reaches_the_store_logs_exports_or_errors(
    tmp_path: Path,
    fake_openai: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    calls: list[int] = []
    fake_openai.handler = _leaky(calls)
    db = tmp_path / "p.db"
    runner = CliRunner()
    outputs: list[str] = []
    caplog.set_level(logging.DEBUG)  # the SDK's and httpx's own debug logging too

    def cli(*args: str) -> None:
        result = runner.invoke(app, list(args), catch_exceptions=True)
        outputs.append(result.output)
        if result.exception is not None:
            outputs.append(repr(result.exception))

    monkeypatch.setenv("PAPERSKIM_LLM__MAX_RETRIES", "1")
    common = ["--db", str(db), "--base-url", fake_openai.url]
    cli("run", str(SEED), *common, "--out", str(tmp_path / "digest.md"))
    cli("summarize", *common)
    cli("export", "--db", str(db), "--out", str(tmp_path / "export.jsonl"))
    cli("export", "--db", str(db), "--format", "csv", "--out", str(tmp_path / "export.csv"))
    cli("stats", "--db", str(db))
    cli("show", "2", "--db", str(db))

    # The key was really sent (so the test would see a leak if there were one) ...
    auth = {r.headers.get("authorization") for r in fake_openai.requests}
    assert auth == {f"Bearer {SECRET}"}
    # ... and the server's echo of it was a real failure the store recorded.
    joined = "\n".join(outputs)
    store = open_engine(f"sqlite:///{db}")
    with Session(store) as session:
        errors = [e for e in session.exec(select(LLMCall.error)).all() if e]
    assert any("Incorrect API key provided: ***" in e for e in errors), errors
    assert "***" in joined  # the failure reasons the CLI printed, redacted

    assert SECRET not in joined
    assert SECRET not in caplog.text
    for path in tmp_path.rglob("*"):  # database (+ WAL), digest, exports, home, caches
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data, f"the API key leaked into {path}"
            assert SECRET[8:].encode() not in data, f"part of the API key leaked into {path}"
