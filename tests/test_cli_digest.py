"""The `digest` command end to end on a temporary store: --since, authors and links, headings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.cli.digest import parse_since
from agent.cli.main import app
from agent.digest.select import collect
from store.db import open_engine
from tests.conftest import LISTING, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "feeds"
runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def listing_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("digest") / "p.db"
    cli("ingest", str(LISTING), "--db", str(db))
    cli("summarize", "--db", str(db))
    return db


def test_parse_since_takes_dates_and_durations() -> None:
    now = datetime(2026, 12, 1, 9, 0).astimezone()
    assert parse_since("36h", now) == now - timedelta(hours=36)
    assert parse_since("1d", now) == now - timedelta(days=1)
    assert parse_since("2W", now) == now - timedelta(weeks=2)
    assert parse_since("2026-11-30", now) == datetime(2026, 11, 30).astimezone()
    for bad in ("yesterday", "3m", "-1d", "2026-13-01", ""):
        with pytest.raises(typer.BadParameter):
            parse_since(bad, now)


def test_since_a_duration_or_a_date_picks_papers_by_when_they_were_stored(
    listing_db: Path,
) -> None:
    db = ["--db", str(listing_db)]
    assert "119 papers" in cli("digest", "--since", "1d", "--no-note", *db)
    assert "119 papers" in cli("digest", "--since", "2000-01-01", "--no-note", *db)
    future = cli("digest", "--since", "2999-01-01", "--no-note", *db)
    assert "0 papers" in future and "### " not in future
    # A dated digest is not remembered: `--since last` still sees every paper.
    assert "119 papers" in cli("digest", "--since", "last", "--no-note", *db)


def test_since_refuses_what_it_cannot_read(listing_db: Path) -> None:
    result = runner.invoke(app, ["digest", "--since", "lastweek", "--db", str(listing_db)])
    assert result.exit_code == 2
    assert "a date (2026-11-30) or a duration" in result.output


def test_markdown_shows_authors_date_and_the_arxiv_page(tmp_path: Path) -> None:
    # Hugging Face daily papers give an arXiv id, authors and a date, but no url.
    db = ["--db", str(tmp_path / "hf.db")]
    cli("ingest", str(FIXTURES / "hf_daily_papers_2026-08-20.json"), *db)
    cli("summarize", *db)
    text = cli("digest", "--no-note", *db)
    assert "Xin Ding, Liang Mi, Mingzhe Huang et al. · 2026-08-16" in text
    assert "Zixuan Wang" not in text
    assert "[link](https://arxiv.org/abs/2608.16590)" in text
    assert text.count("](https://arxiv.org/abs/") == 15


def test_without_a_profile_papers_are_grouped_by_claims_strongest_first(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "hf.db")]
    cli("ingest", str(FIXTURES / "hf_daily_papers_2026-08-20.json"), *db)
    cli("summarize", *db)
    text = cli("digest", "--no-note", *db)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Papers with quantitative claims", "## Other new papers"]
    claims, others = text.split("## Other new papers")
    assert "*No quantitative claim in the abstract.*" not in claims
    assert "| claim |" not in others
    items = collect(open_engine(f"sqlite:///{tmp_path / 'hf.db'}"))
    strengths = [it.strength for it in items if it.gains]
    assert strengths == sorted(strengths, reverse=True) and strengths[0] > 0
