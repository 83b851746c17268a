"""Starting the command loads only what the command uses (issue 15, fast start).

`paperskim --help` and `--version` build every command's options, so the command modules
import the stages, the store and the big libraries inside the commands' bodies (see
agent/cli/common.py); one import moved back to the top of a command module would make every
start pay for it, and these tests fail. How fast the start is, is bench/bench_startup.py's
figure, not a test's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import LISTING, ROOT

# Each costs from tens of milliseconds (jinja2, rich) to most of a second (openai) to import.
HEAVY = (
    "openai",
    "fastapi",
    "uvicorn",
    "jinja2",
    "tiktoken",
    "numpy",
    "wordllama",
    "httpx",
    "httpx2",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "pydantic",
    "pydantic_settings",
    "feedparser",
    "bibtexparser",
    "psycopg",
    "rich",
    "agent.config",
    "agent.summarize.offline_patterns",
    "agent.summarize.offline_labels",
    "agent.summarize.offline_baselines",
    "agent.summarize.offline_phrases",
    "evals.gold",
    "store.db",
)
COMMANDS = (
    "run", "ingest", "summarize", "export", "show", "stats", "eval", "fetch", "digest",
    "digests", "serve", "review", "ask", "batch",
)  # fmt: skip

# Runs the app in a fresh interpreter, each argv in turn, then prints what got imported.
PROBE = """
import sys
from agent.cli.main import app
HEAVY = {heavy!r}
for argv in {argvs!r}:
    try:
        app(argv, prog_name="paperskim")
    except SystemExit as exc:
        assert exc.code in (0, None), (argv, exc.code)
print("LOADED:", " ".join(sorted(m for m in HEAVY if m in sys.modules)))
"""


def loaded_after(*argvs: list[str]) -> tuple[list[str], str]:
    """The HEAVY modules imported after running the CLI on `argvs`, and what it printed."""
    script = PROBE.format(heavy=HEAVY, argvs=list(argvs))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    head, _, loaded = result.stdout.rpartition("LOADED:")
    return loaded.split(), head


def test_version_loads_no_heavy_module() -> None:
    loaded, printed = loaded_after(["--version"])
    assert printed.strip() == "paperskim 0.1.0"
    assert loaded == []


def test_help_lists_every_command_and_loads_no_heavy_module() -> None:
    loaded, printed = loaded_after(["--help"])
    listed = [line.split()[0] for line in printed.split("Commands:")[1].splitlines() if line]
    assert sorted(listed) == sorted(COMMANDS)
    assert loaded == []


def test_each_commands_help_loads_no_heavy_module() -> None:
    loaded, printed = loaded_after(*[[command, "--help"] for command in COMMANDS])
    assert printed.count("Usage: paperskim ") == len(COMMANDS)
    # typer itself brings pydantic in to parse a command's options; nothing else may come.
    assert [m for m in loaded if m != "pydantic"] == []


def test_offline_summarize_loads_no_llm_client(tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    loaded, printed = loaded_after(
        ["ingest", str(LISTING), "--db", db], ["summarize", "--db", db, "--limit", "3"]
    )
    assert "3 summarized, 0 failed" in printed and "offline engine" in printed
    assert "openai" not in loaded and "tiktoken" not in loaded
