"""Loading the seed set: the shipped files load, and a bad line names its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.gold import GoldDataError, load_gold, load_papers
from evals.paths import GOLD_PATH, PAPERS_PATH

GOOD_GOLD = {
    "id": "p-1",
    "takeaway": "FooNet is 2x faster.",
    "has_claims": True,
    "gains": [
        {
            "metric": "speedup",
            "value": 2.0,
            "value_high": None,
            "unit": "x",
            "kind": "improvement",
            "qualifier": None,
            "baseline": None,
            "condition": None,
            "quote": "2x faster",
        }
    ],
}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shipped_files_load() -> None:
    papers = load_papers()
    gold = load_gold()
    assert len(papers) == 119
    assert set(gold) == set(papers)
    assert all(p.abstract and p.title for p in papers.values())
    assert sum(len(s.gains) for s in gold.values()) > 100


def test_paths_point_at_the_data_dir() -> None:
    assert GOLD_PATH.name == "seed_gold.jsonl" and GOLD_PATH.is_file()
    assert PAPERS_PATH.name == "seed_papers.jsonl" and PAPERS_PATH.is_file()


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "gold.jsonl", [json.dumps(GOOD_GOLD), "", "  "])
    assert list(load_gold(path)) == ["p-1"]


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "gold.jsonl", [json.dumps(GOOD_GOLD), "{not json"])
    with pytest.raises(GoldDataError) as info:
        load_gold(path)
    assert str(path) in str(info.value)
    assert "line 2" in str(info.value)
    assert "not valid JSON" in str(info.value)
    assert info.value.line_no == 2


def test_failing_validation_names_the_field(tmp_path: Path) -> None:
    broken = json.loads(json.dumps(GOOD_GOLD))
    broken["gains"][0]["kind"] = "speedup"
    path = write_lines(tmp_path / "gold.jsonl", [json.dumps(broken)])
    with pytest.raises(GoldDataError, match=r"line 1: gains\.0\.kind"):
        load_gold(path)


def test_duplicate_id_is_an_error(tmp_path: Path) -> None:
    line = json.dumps(GOOD_GOLD)
    path = write_lines(tmp_path / "gold.jsonl", [line, line])
    with pytest.raises(GoldDataError, match=r"line 2: duplicate id 'p-1'"):
        load_gold(path)


def test_has_claims_must_agree_with_gains(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "gold.jsonl", [json.dumps({**GOOD_GOLD, "has_claims": False})])
    with pytest.raises(GoldDataError, match="line 1: has_claims is false but gains are given"):
        load_gold(path)


def test_papers_reject_unknown_fields_and_duplicates(tmp_path: Path) -> None:
    paper = {"id": "p-1", "title": "T", "abstract": "A"}
    extra = write_lines(tmp_path / "extra.jsonl", [json.dumps({**paper, "year": 2024})])
    with pytest.raises(GoldDataError, match=r"extra\.jsonl, line 1: year"):
        load_papers(extra)
    twice = write_lines(tmp_path / "twice.jsonl", [json.dumps(paper)] * 2)
    with pytest.raises(GoldDataError, match="line 2: duplicate id"):
        load_papers(twice)


def test_gold_data_error_is_a_paperskim_error() -> None:
    from agent.core.errors import PaperskimError

    assert issubclass(GoldDataError, PaperskimError)
    assert issubclass(GoldDataError, Exception)
