"""`paperskim show` finds a paper the ways a reader names it: the arXiv id in any of its written
forms, or words of its title."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from agent.core.errors import NotFoundError
from tests.conftest import ROOT

runner = CliRunner()
KAGGLE = ROOT / "tests" / "fixtures" / "feeds" / "kaggle_snapshot.jsonl"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("show") / "show.db"
    result = runner.invoke(app, ["ingest", str(KAGGLE), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize(
    "ref",
    ["0704.0002", "arXiv:0704.0002", "arxiv:0704.0002v2", "https://arxiv.org/abs/0704.0002v1"],
)
def test_show_takes_an_arxiv_id_in_any_written_form(db: Path, ref: str) -> None:
    result = runner.invoke(app, ["show", ref, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Sparsity-certifying Graph Decompositions" in result.output


def test_show_takes_words_of_a_title(db: Path) -> None:
    result = runner.invoke(app, ["show", "sparsity-certifying", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Sparsity-certifying Graph Decompositions" in result.output


def test_several_title_matches_are_listed_not_guessed(db: Path) -> None:
    result = runner.invoke(app, ["show", "the", "--db", str(db)])
    assert result.exit_code == 1
    assert "papers have 'the' in their title" in result.output


def test_no_match_is_one_clear_error(db: Path) -> None:
    result = runner.invoke(app, ["show", "no such paper anywhere", "--db", str(db)])
    # The command raises the project's NotFoundError, which `paperskim` prints as one line.
    assert isinstance(result.exception, NotFoundError)
    assert "no paper with id or title" in str(result.exception)
