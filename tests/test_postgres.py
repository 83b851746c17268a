"""The store on a real PostgreSQL server (started by the tests; see tests/pg_server.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import DateTime, TypeDecorator, inspect
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

import store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from agent.cli.main import app
from store.db import migrate, open_engine
from store.search import include_in_schema_comparison
from store.tables import LLMCall, Summary, WorkLease
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAIServer
from tests.llm_answers import answer_all
from tests.pg_server import PostgresServer
from tests.scale_data import load_synthetic

pytestmark = pytest.mark.postgres
SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"


def _same_type(
    _context: object, _inspected: object, _declared: object, db_type: Any, model_type: Any
) -> bool | None:
    """SQLModel's UTCDateTime decorator is stored as a plain TIMESTAMP; compare what it stores."""
    if isinstance(model_type, TypeDecorator) and isinstance(db_type, DateTime):
        return not isinstance(model_type.impl_instance, DateTime)
    return None  # alembic's own comparison


def _declared(obj: Any, _name: object, type_: str, reflected: bool, compare_to: object) -> bool:
    """Compare what tables.py declares; PostgreSQL-only objects a migration adds with raw SQL
    (a full-text index on a table of its own) are that feature's business."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in SQLModel.metadata.tables


def test_migrations_build_the_declared_schema_on_postgresql(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database()
    engine = open_engine(url)
    assert "paper" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": _same_type, "include_name": include_in_schema_comparison},
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []
    assert migrate(engine) == []  # a second open applies nothing


def test_the_cli_works_on_postgresql_by_database_url(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = postgres_server.create_database()
    # The plain scheme users put in DATABASE_URL; paperskim picks the psycopg 3 driver itself.
    monkeypatch.setenv("DATABASE_URL", url.replace("postgresql+psycopg://", "postgresql://"))
    runner = CliRunner()
    result = runner.invoke(
        app, ["run", str(SEED), "--out", str(tmp_path / "d.md")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    exported = runner.invoke(app, ["export"], catch_exceptions=False)
    rows = [json.loads(line) for line in exported.output.splitlines()]
    assert rows and all(r["status"] == "ok" for r in rows)


def test_three_workers_share_1000_papers_without_doing_any_twice(
    postgres_server: PostgresServer, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    n = 1000
    url = postgres_server.create_database()
    store = open_engine(url)
    load_synthetic(store, tmp_path, n)
    fake_openai.handler = answer_all
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PAPERSKIM_LLM__MAX_PAPERS_PER_BATCH": "4",
    }
    command = [
        sys.executable, "-m", "agent", "summarize", "--engine", "llm",
        "--base-url", fake_openai.url, "--model", "gpt-4.1-mini", "--concurrency", "2",
    ]  # fmt: skip
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    # What the others did is not this worker's "not tried (--limit)".
    assert not any("not tried" in output for output in outputs), outputs

    with Session(store) as session:
        rows = session.exec(select(Summary).where(Summary.status == "ok")).all()
        calls = session.exec(select(LLMCall).where(col(LLMCall.error).is_(None))).all()
    per_paper = Counter(r.paper_id for r in rows)
    assert len(per_paper) == n and set(per_paper.values()) == {1}
    asked = Counter(pid for call in calls for pid in call.paper_ids)
    assert len(asked) == n and set(asked.values()) == {1}  # no paper was sent twice
    by_worker = Counter(r.run_id for r in rows)
    assert sum(by_worker.values()) == n
    assert len(by_worker) >= 2, by_worker  # the work really was shared
    with Session(store) as session:
        assert session.exec(select(WorkLease)).all() == []  # every claim given back
