"""The command line end to end, on a temporary database."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from prompts import load_prompt
from tests.conftest import LISTING, ROOT
from tests.fake_openai import FakeOpenAIServer
from tests.llm_answers import answer_all

runner = CliRunner()
SUMMARIZE = load_prompt("summarize").ref  # the latest version, used by default
SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def exported(db: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in cli("export", "--db", str(db)).splitlines()]


def test_run_on_the_listing_with_the_offline_engine(tmp_path: Path) -> None:
    db, digest = tmp_path / "p.db", tmp_path / "digest.md"
    output = cli("run", str(LISTING), "--db", str(db), "--out", str(digest))
    assert "offline engine (no LLM)" in output
    assert "119 new" in output and "119 summarized, 0 failed" in output

    text = digest.read_text()
    assert text.count("\n### ") == 119  # one heading a paper, under section headings
    assert "offline engine" in text

    rows = exported(db)
    assert len(rows) == 119
    assert all(r["status"] == "ok" and r["engine"] == "offline" for r in rows)
    assert all(r["prompt_version"] == "offline-v10" for r in rows)

    again = cli("run", str(LISTING), "--db", str(db), "--out", str(tmp_path / "second.md"))
    assert "0 new" in again and "119 already stored" in again
    assert "0 summarized, 0 failed, 119 up to date" in again
    assert "nothing new since the last digest" in again
    assert not (tmp_path / "second.md").exists()


def test_run_through_an_llm_endpoint_then_again_with_no_calls(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.handler = answer_all
    db = tmp_path / "p.db"
    # --no-note: this fake answers summarize requests only (run's note has its own tests).
    args = ["--db", str(db), "--base-url", fake_openai.url, "--model", "gpt-4.1-mini", "--no-note"]
    output = cli("run", str(LISTING), *args, "--out", str(tmp_path / "d.md"))
    assert f"gpt-4.1-mini ({SUMMARIZE})" in output
    assert "119 summarized, 0 failed" in output
    assert "estimated cost $" in output
    requests = len(fake_openai.chat_requests())
    assert 119 / 32 <= requests < 119  # batched: several abstracts per request

    rows = exported(db)
    assert len(rows) == 119
    assert all(r["engine"] == "llm" and r["model"] == "gpt-4.1-mini" for r in rows)
    assert all(r["prompt_version"] == SUMMARIZE for r in rows)

    again = cli("run", str(LISTING), *args)
    assert "0 summarized" in again
    assert len(fake_openai.chat_requests()) == requests  # a second run makes no LLM calls
    stats = cli("stats", "--db", str(db))
    assert f"LLM calls          │ {requests} (0 with errors)" in stats


def test_llm_summaries_are_preferred_over_offline_ones(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    db = str(tmp_path / "p.db")
    cli("ingest", str(SEED), "--db", db)
    cli("summarize", "--db", db, "--limit", "3")
    fake_openai.handler = answer_all
    cli("summarize", "--db", db, "--limit", "3", "--base-url", fake_openai.url)
    rows = exported(tmp_path / "p.db")
    assert [r["engine"] for r in rows[:3]] == ["llm"] * 3
    assert all(r["status"] == "pending" for r in rows[3:])


def test_failed_papers_are_reported_and_retried_next_run(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    from tests.fake_openai import Reply

    db = str(tmp_path / "p.db")
    cli("ingest", str(SEED), "--db", db)
    fake_openai.handler = lambda body: Reply.error(500, "down", headers={"retry-after-ms": "1"})
    failed = runner.invoke(
        app, ["summarize", "--db", db, "--limit", "2", "--base-url", fake_openai.url]
    )
    assert failed.exit_code == 1  # nothing worked: a cron chain must stop here
    assert "0 summarized, 2 failed" in failed.stdout and "every paper failed" in failed.output
    rows = exported(tmp_path / "p.db")
    assert rows[0]["status"] == "failed" and "HTTP 500" in str(rows[0]["error"])
    fake_openai.handler = answer_all
    out = cli("summarize", "--db", db, "--limit", "2", "--base-url", fake_openai.url)
    assert "2 summarized, 0 failed" in out


def test_ingest_keeps_good_records_and_names_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "feed.jsonl"
    source.write_text(
        '{"id": "a1", "title": "Alpha", "abstract": "Alpha is 2x faster."}\n'
        '{"id": "a2", "title": "Beta", "abstract": \n'
        '{"id": "a3", "title": "Gamma", "abstract": "   "}\n'
        '{"id": "a4", "title": "Delta", "abstract": "Delta saves 10% memory."}\n'
    )
    result = runner.invoke(app, ["ingest", str(source), "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 0
    assert "2 new" in result.stdout and "2 invalid records" in result.stdout
    assert f"{source}:2:" in result.output and f"{source}:3:" in result.output


def test_a_changed_abstract_is_a_new_version_summarized_again(tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    v1 = tmp_path / "v1.jsonl"
    v1.write_text('{"id": "x1", "title": "Zeta: Fast", "abstract": "Zeta is 2x faster."}\n')
    cli("run", str(v1), "--db", db, "--out", str(tmp_path / "d1.md"))
    v2 = tmp_path / "v2.jsonl"
    v2.write_text('{"id": "x1", "title": "Zeta: Fast", "abstract": "Zeta is 3x faster now."}\n')
    out = cli("run", str(v2), "--db", db, "--out", str(tmp_path / "d2.md"))
    assert "0 new, 1 changed" in out and "1 summarized" in out
    shown = cli("show", "x1", "--db", db)
    assert "version 2" in shown and "3x faster now" in shown


def test_show_digest_since_last_and_csv_export(tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    cli("ingest", str(SEED), "--db", db)
    cli("summarize", "--db", db)
    shown = cli("show", "seed-011", "--db", db)
    assert "ProMoE" in shown and "offline engine" in shown

    first = cli("digest", "--db", db, "--since", "last")
    assert first.count("\n### ") == 119
    second = cli("digest", "--db", db, "--since", "last")
    assert "0 papers" in second and "\n### " not in second
    assert cli("digest", "--db", db).count("\n### ") == 119  # without --since: everything

    rows = list(csv.DictReader(io.StringIO(cli("export", "--db", db, "--format", "csv"))))
    assert len(rows) == 119 and rows[0]["id"] == "seed-001"
    assert isinstance(json.loads(rows[0]["gains"]), list)
    out_file = tmp_path / "out.jsonl"
    cli("export", "--db", db, "--out", str(out_file))
    assert len(out_file.read_text().splitlines()) == 119


@pytest.mark.parametrize(
    "command", ["run", "ingest", "summarize", "digest", "export", "show", "stats"]
)
def test_every_command_explains_itself(command: str) -> None:
    output = cli(command, "--help")
    assert "--db" in output
    assert len(output.splitlines()) > 5


def test_errors_are_one_clear_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    env_db = ["--db", str(tmp_path / "p.db")]
    missing = subprocess.run(
        [sys.executable, "-m", "agent", "ingest", str(tmp_path / "nope.jsonl"), *env_db],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error:") and "nope.jsonl" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "agent", "show", "no-such-paper", *env_db],
        capture_output=True,
        text=True,
        check=False,
    )
    assert unknown.returncode == 1 and "no paper with id or title 'no-such-paper'" in unknown.stderr
