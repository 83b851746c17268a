"""What the commands share: read-only commands never create a database."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from tests.conftest import LISTING

runner = CliRunner()


def paperskim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["ask", "what improves accuracy?"],
        ["show", "2401.00001"],
        ["export"],
        ["digest"],
        ["digests"],
    ],
)
def test_read_only_commands_refuse_a_database_that_does_not_exist(
    tmp_path: Path, command: list[str]
) -> None:
    db = tmp_path / "typo.db"
    result = paperskim(*command, "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no database at")
    assert str(db) in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_read_only_commands_open_a_database_that_exists(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert paperskim("ingest", str(LISTING), "--db", str(db)).returncode == 0
    stats = paperskim("stats", "--db", str(db))
    assert stats.returncode == 0, stats.stderr
    assert "119" in stats.stdout


def test_engine_llm_without_endpoint_or_key_fails_at_once(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    ingested = runner.invoke(app, ["ingest", str(LISTING), "--db", str(db)])
    assert ingested.exit_code == 0, ingested.output
    result = paperskim("summarize", "--engine", "llm", "--db", str(db))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error: --engine llm needs an endpoint or a key")
    assert "Traceback" not in result.stderr
    # Nothing was tried: every paper is still waiting, none marked failed, no run recorded.
    stats = runner.invoke(app, ["stats", "--db", str(db)]).output
    assert re.search(r"not yet summarized\s*│\s*119\s", stats), stats
    assert re.search(r"│ failed\s*│\s*0\s", stats), stats
    assert re.search(r"│ runs\s*│\s*0\s", stats), stats
