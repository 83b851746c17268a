"""Search over the store: the FTS5 / tsvector index, its triggers, and the gain filters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from agent.core.models import Gain, PaperSummary
from agent.ingest.records import PaperRecord
from agent.ingest.step import ingest_files
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.papers import public_id, upsert_paper
from store.search import (
    GainFilter,
    GainMatch,
    filter_gains,
    fts5_query,
    is_search_index,
    query_terms,
    read_paper,
    search_papers,
    term_matches,
)
from store.summaries import MadeBy, current_summary, gains_of, save_summary
from store.tables import GainRecord, Paper, PaperRevision, PaperState, Summary
from tests.conftest import ROOT

SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"
HOSTILE = ["2.2x-over", '"', '""', "NEAR(", "AND OR NOT", "*", ")", "col:umn", "^x", "-", "'"]


def seeded(url: str) -> Engine:
    store = open_engine(url)
    ingest_files(store, [SEED])
    summarize_pending(store, OfflineSummarizer())
    return store


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return seeded(f"sqlite:///{tmp_path_factory.mktemp('search') / 's.db'}")


def test_query_words_are_quoted_so_user_text_is_never_query_syntax() -> None:
    assert query_terms('Which "MoE" 2.2x-over the Paper?') == ["moe", "2", "2x", "over", "paper"]
    assert fts5_query(['a"b', "c"]) == '"a""b" OR "c"'


def test_bm25_puts_the_paper_named_in_the_query_first(seed_store: Engine) -> None:
    hits = search_papers(seed_store, "ProMoE proactive caching")
    assert hits[0].public_id == "seed-011"
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert any(g.unit == "x" and g.value == pytest.approx(2.2) for g in hits[0].gains)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_input_is_searched_not_parsed(seed_store: Engine, hostile: str) -> None:
    hits = search_papers(seed_store, hostile)
    assert isinstance(hits, list)


def test_only_stopwords_match_nothing(seed_store: Engine) -> None:
    assert search_papers(seed_store, "which of the") == []


def _reference_gains(store: Engine, keep: Callable[[Gain], bool]) -> set[str]:
    """The gain filter computed in Python from the current summaries, to check the SQL."""
    found = set()
    with Session(store) as session:
        for paper in session.exec(select(Paper)).all():
            summary = current_summary(session, paper)
            if summary and any(keep(g) for g in gains_of(session, summary)):
                found.add(public_id(paper))
    return found


@pytest.mark.parametrize(
    ("flt", "keep"),
    [
        (
            GainFilter(unit="x", greater_than=100),
            lambda g: g.unit == "x" and g.value > 100,
        ),
        (
            GainFilter(unit="%", at_least=30, kind="cost"),
            lambda g: g.unit == "%" and g.kind == "cost" and g.value >= 30,
        ),
        (
            GainFilter(metric_words=("memory",), less_than=50),
            lambda g: "memory" in g.metric.lower() and g.value < 50,
        ),
        (
            GainFilter(baseline="FP16", at_most=4),
            lambda g: "fp16" in (g.baseline or "").lower() and g.value <= 4,
        ),
    ],
)
def test_gain_filters_match_a_python_reference(
    seed_store: Engine, flt: GainFilter, keep: Callable[[Gain], bool]
) -> None:
    expected = _reference_gains(seed_store, keep)
    assert expected  # the case exercises something
    assert {g.public_id for g in filter_gains(seed_store, flt)} == expected
    hits = search_papers(seed_store, "", gains=flt, limit=500)
    assert {h.public_id for h in hits} == expected


def test_text_and_gain_filter_together(seed_store: Engine) -> None:
    hits = search_papers(seed_store, "MoE", gains=GainFilter(unit="x", greater_than=2))
    ids = [h.public_id for h in hits]
    assert "seed-011" in ids
    assert all(g.unit == "x" and g.value > 2 for h in hits for g in h.gains)
    assert "seed-110" not in ids  # MoE++ claims 1.1-2.1x: not more than 2x


def test_term_matches_weigh_rare_words_more(seed_store: Engine) -> None:
    hit = search_papers(seed_store, "ProMoE")[0]
    matches = term_matches(seed_store, ["promoe", "model"], [hit.paper_id])
    assert matches.idf["promoe"] > matches.idf["model"]
    assert matches.coverage(hit.paper_id) > 0.5


def test_read_paper_gives_the_current_takeaway_and_gains(seed_store: Engine) -> None:
    detail = read_paper(seed_store, "seed-001")
    assert detail is not None and "IsolateGPT" in detail.title
    assert detail.takeaway and detail.gains
    assert read_paper(seed_store, "seed-999") is None


def _record(title: str, abstract: str) -> PaperRecord:
    return PaperRecord(
        title=title,
        abstract=abstract,
        source="inline.jsonl",
        line=1,
        source_id="x-1",
        arxiv_id=None,
        arxiv_version=None,
        url=None,
        authors=(),
        published=None,
        categories=(),
    )


def _human_summary(store: Engine, ref: str, takeaway: str, gains: list[Gain]) -> None:
    with Session(store) as session:
        paper = session.exec(select(Paper).where(Paper.source_id == ref)).one()
        save_summary(
            session,
            paper,
            PaperSummary(id=ref, takeaway=takeaway, has_claims=bool(gains), gains=gains),
            MadeBy("human", "reviewer", "review"),
        )
        session.commit()


def check_index_follows_the_tables(store: Engine) -> None:
    """Insert, new abstract, new summary, delete: the index follows each through triggers."""
    with Session(store) as session:
        upsert_paper(session, _record("Zebrafish Kernels", "Zebrafish kernels run 3x faster."))
        session.commit()
    assert [h.public_id for h in search_papers(store, "zebrafish")] == ["x-1"]

    with Session(store) as session:
        upsert_paper(session, _record("Zebrafish Kernels", "Quokka kernels are 4x faster."))
        session.commit()
    assert search_papers(store, "quokka")[0].public_id == "x-1"
    assert [h.public_id for h in search_papers(store, "zebrafish")] == ["x-1"]  # title stays
    # The old abstract's words are gone from the index.
    assert "x-1" not in [h.public_id for h in search_papers(store, "run", limit=500)]

    gain = Gain(
        metric="kernel speedup",
        value=4,
        value_high=None,
        unit="x",
        kind="improvement",
        qualifier=None,
        baseline=None,
        condition=None,
        quote="4x faster",
    )
    _human_summary(store, "x-1", "Quokka kernels are 4x faster, says the wombat.", [gain])
    hits = search_papers(store, "wombat")
    assert [h.public_id for h in hits] == ["x-1"]
    assert [g.metric for g in hits[0].gains] == ["kernel speedup"]
    assert {g.public_id for g in filter_gains(store, GainFilter(metric_words=("kernel",)))} == {
        "x-1"
    }

    # A newer correction replaces the takeaway and the gains the filters see.
    _human_summary(store, "x-1", "Quokka kernels, reviewed by a platypus.", [])
    assert search_papers(store, "wombat") == []
    assert search_papers(store, "platypus")[0].public_id == "x-1"
    assert filter_gains(store, GainFilter(metric_words=("kernel",))) == []

    with Session(store) as session:
        paper = session.exec(select(Paper).where(Paper.source_id == "x-1")).one()
        # what refers to the summaries first: the paper's read state (store/paper_state.py)
        session.delete(session.get_one(PaperState, paper.id))
        session.flush()
        for s in session.exec(select(Summary).where(Summary.paper_id == paper.id)).all():
            for g in session.exec(select(GainRecord).where(GainRecord.summary_id == s.id)):
                session.delete(g)
            session.delete(s)
        for r in session.exec(select(PaperRevision).where(PaperRevision.paper_id == paper.id)):
            session.delete(r)
        session.flush()
        session.delete(paper)
        session.commit()
    assert search_papers(store, "quokka") == []


def test_the_sqlite_index_follows_inserts_updates_and_deletes(tmp_path: Path) -> None:
    check_index_follows_the_tables(open_engine(f"sqlite:///{tmp_path / 'sync.db'}"))


def test_an_older_store_gets_its_papers_indexed_when_migrated(tmp_path: Path) -> None:
    from alembic import command

    from store.db import _alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = open_engine(url, migrate_schema=False)
    with old.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003_review")
    # The papers go in as rows of the columns the 0003 schema has (today's model has more).
    current = open_engine(f"sqlite:///{tmp_path / 'current.db'}")
    ingest_files(current, [SEED])
    cols = [c["name"] for c in inspect(old).get_columns("paper")]
    with current.connect() as source, old.begin() as target:
        rows = source.execute(text(f"SELECT {', '.join(cols)} FROM paper")).mappings().all()
        target.execute(
            text(
                f"INSERT INTO paper ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
            ),
            [dict(r) for r in rows],
        )
    assert "paper_search" not in inspect(old).get_table_names()
    store = open_engine(url)
    assert search_papers(store, "ProMoE")[0].public_id == "seed-011"
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM paper_search")).scalar() == 119


def test_search_index_tables_are_recognised() -> None:
    assert is_search_index("paper_search") and is_search_index("paper_search_data")
    assert not is_search_index("paper") and not is_search_index(None)


@pytest.mark.postgres
def test_postgresql_search_has_the_same_interface(postgres_server: object) -> None:
    from tests.pg_server import PostgresServer

    assert isinstance(postgres_server, PostgresServer)
    store = seeded(postgres_server.create_database())
    hits = search_papers(store, "ProMoE proactive caching")
    assert hits[0].public_id == "seed-011"
    for hostile in HOSTILE:
        assert isinstance(search_papers(store, hostile), list)
    flt = GainFilter(unit="x", greater_than=100)
    expected = _reference_gains(store, lambda g: g.unit == "x" and g.value > 100)
    assert {g.public_id for g in filter_gains(store, flt)} == expected
    assert {h.public_id for h in search_papers(store, "", gains=flt)} == expected
    matches = term_matches(store, ["promoe", "model"], [hits[0].paper_id])
    assert matches.coverage(hits[0].paper_id) > 0.5
    check_index_follows_the_tables(store)


def test_range_high_compares_lower_bounds_on_the_high_end(seed_store: Engine) -> None:
    low = GainFilter(unit="x", greater_than=2)
    high = GainFilter(unit="x", greater_than=2, range_high=True)
    assert "seed-110" not in {g.public_id for g in filter_gains(seed_store, low)}
    # MoE++ claims 1.1-2.1x: its high end is more than 2x.
    assert "seed-110" in {g.public_id for g in filter_gains(seed_store, high)}


def test_a_score_named_by_its_unit_is_described_once() -> None:
    # Seen in `ask` on a real 2026 paper: "0.9909 Recall Recall (vs single-hop queries)".
    gain = GainMatch(
        paper_id=1,
        public_id="2607.20517",
        metric="Recall",
        value=0.9909,
        value_high=None,
        unit="Recall",
        kind="improvement",
        qualifier=None,
        baseline="single-hop queries",
        condition=None,
        quote="Retrieval Recall of 0.9909",
    )
    assert gain.describe() == "0.9909 Recall (vs single-hop queries)"
    speed = GainMatch(**{**gain.__dict__, "metric": "speedup", "value": 2.2, "unit": "x"})
    assert speed.describe() == "2.2x speedup (vs single-hop queries)"
