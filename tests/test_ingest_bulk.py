"""Bulk ingest (issue 15): records stored a chunk at a time give what one upsert a record gave.

The reference is the ingest paperskim had before (tests/legacy_ingest.py). Both read the same
files into fresh stores; the reports, the paper rows and the revisions must agree, whatever the
chunk size, the duplicates within a chunk or across chunks and files, and the dedup rule that
decides (arXiv id, the source's id, the title).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlmodel import Session

from agent.ingest import step
from agent.ingest.records import PaperRecord, parse_file
from agent.ingest.step import IngestReport, ingest_files
from store import papers
from store.db import open_engine
from store.papers import json_strings, upsert_paper
from store.search import search_papers
from tests import legacy_ingest
from tests.pg_server import PostgresServer
from tests.state_reference import reference_states, stored_states

PAPER_COLUMNS = (
    "id, key, source_id, arxiv_id, title_key, title, abstract, abstract_hash, version, "
    "arxiv_version, url, authors, categories, published, source"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty store file, copied for each example (migrating costs more)."""
    path = tmp_path_factory.mktemp("template") / "empty.db"
    engine = open_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


_copies = itertools.count()


def fresh_store(template: Path, folder: Path) -> Engine:
    path = folder / f"store-{next(_copies)}.db"
    shutil.copy(template, path)
    return open_engine(f"sqlite:///{path}")


def report_of(report: IngestReport) -> dict[str, Any]:
    return {
        "counts": (report.new, report.updated, report.unchanged),
        "errors": [str(e) for e in report.errors],
        "duplicates": [str(d) for d in report.duplicates],
        "sources": [str(s) for s in report.sources],
    }


def papers_of(store: Engine) -> list[tuple[Any, ...]]:
    with store.connect() as conn:
        return [
            tuple(r) for r in conn.execute(text(f"SELECT {PAPER_COLUMNS} FROM paper ORDER BY id"))
        ]


def revisions_of(store: Engine) -> list[tuple[Any, ...]]:
    """Each revision with its text (its own, or the paper's for the current abstract)."""
    sql = (
        "SELECT r.paper_id, r.version, r.abstract_hash, r.source, "
        "coalesce(r.abstract, p.abstract) FROM paperrevision r JOIN paper p ON p.id = r.paper_id "
        "ORDER BY r.paper_id, r.version, r.id"
    )
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def check_one_copy_and_index(store: Engine) -> None:
    """The current abstract's revision holds no copy, the others hold theirs; the search
    index matches the papers (SQLite: FTS5's integrity-check, comparing the content it reads;
    PostgreSQL: each paper's document as its title, takeaway and abstract make it)."""
    with store.connect() as conn:
        wrong = conn.execute(
            text(
                "SELECT count(*) FROM paperrevision r JOIN paper p ON p.id = r.paper_id "
                "WHERE (r.abstract IS NULL) != (r.abstract_hash = p.abstract_hash)"
            )
        ).scalar_one()
        assert wrong == 0
        if store.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "INSERT INTO paper_search (paper_search, rank) VALUES ('integrity-check', 1)"
            )
            return
        stale = conn.execute(
            text(
                "SELECT count(*) FROM paper p LEFT JOIN paper_search s ON s.paper_id = p.id "
                "WHERE s.paper_id IS NULL OR s.document != "
                "setweight(to_tsvector('english', p.title), 'A') "
                "|| setweight(to_tsvector('english', coalesce(s.takeaway, '')), 'B') "
                "|| setweight(to_tsvector('english', p.abstract), 'C')"
            )
        ).scalar_one()
        extra = conn.execute(
            text(
                "SELECT count(*) FROM paper_search s LEFT JOIN paper p ON p.id = s.paper_id "
                "WHERE p.id IS NULL"
            )
        ).scalar_one()
        assert (stale, extra) == (0, 0)


# Small pools, so that records often name the same paper: by arXiv id (with versions), by
# another id, by a title that folds to the same key ("Alpha" / "alpha!"), or by nothing.
IDS = [None, "2401.00001v1", "2401.00001v3", "doi-1", "doi-2"]
RECORD = st.fixed_dictionaries(
    {
        "title": st.sampled_from(["Alpha", "alpha!", "Beta"]),
        "abstract": st.sampled_from(["One zebra.", "Two quokkas.", "Three wombats."]),
    },
    optional={
        "id": st.sampled_from(IDS),
        "arxiv_id": st.sampled_from(["2401.00001v2", "2401.00003v1"]),
        "url": st.sampled_from(["https://example.org/a", "https://example.org/b"]),
        "authors": st.sampled_from([[], ["Ada Lovelace"], ["Alan Turing"]]),
        "categories": st.sampled_from([[], ["cs.LG"]]),
        "published": st.sampled_from(["2024-01-02", "2023-05-06"]),
    },
)
FILES = st.lists(st.lists(RECORD, max_size=12), min_size=1, max_size=3)


def write_files(folder: Path, files: list[list[dict[str, Any]]]) -> list[Path]:
    paths = []
    for i, records in enumerate(files):
        path = folder / f"part{i}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records) or "\n")
        paths.append(path)
    return paths


def agree(
    make_store: Callable[[], Engine], folder: Path, files: list[list[dict[str, Any]]], chunk: int
) -> None:
    """Bulk ingest (in chunks of `chunk` records) gives what the reference gives."""
    folder.mkdir()
    paths = write_files(folder, files)
    reference = make_store()
    expected = report_of(legacy_ingest.ingest_files(reference, paths))
    bulk = make_store()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(step, "CHUNK", chunk)
        got = report_of(ingest_files(bulk, paths))
    assert got == expected
    assert papers_of(bulk) == papers_of(reference)
    assert revisions_of(bulk) == revisions_of(reference)
    check_one_copy_and_index(bulk)
    reference.dispose()
    bulk.dispose()


A = {"title": "Alpha", "abstract": "One zebra."}
# Each rule of the dedup (store/papers._Candidates.find, _apply), as a sequence of records.
SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "arxiv id matches whatever the title": [
        {**A, "id": "2401.00001v1"},
        {"id": "2401.00001v2", "title": "Beta", "abstract": "Two."},
    ],
    "source id matches whatever the title": [
        {**A, "id": "doi-1"},
        {"id": "doi-1", "title": "Beta", "abstract": "One zebra."},
    ],
    "a source id alone never joins an arXiv paper stored with it": [
        {**A, "id": "doi-1", "arxiv_id": "2401.00003"},
        {**A, "id": "doi-1"},
    ],
    "two ids with one title are two papers": [{**A, "id": "doi-1"}, {**A, "id": "doi-2"}],
    "a title joins a paper without ids": [A, {**A, "title": "alpha!", "id": "2401.00001"}],
    "a title-only record joins a paper with an id": [{**A, "id": "doi-1"}, A],
    "an older arXiv version is not stored": [
        {**A, "id": "2401.00001v3"},
        {"id": "2401.00001v1", "title": "Alpha", "abstract": "Old."},
    ],
    "an abstract back to an earlier text": [
        {**A, "id": "doi-1"},
        {**A, "id": "doi-1", "abstract": "Two."},
        {**A, "id": "doi-1"},
        {**A, "id": "doi-1", "abstract": "Three."},
    ],
    "fill-ins never overwrite": [
        {**A, "id": "doi-1"},
        {**A, "id": "doi-1", "url": "https://example.org/a", "authors": ["Ada Lovelace"]},
        {**A, "id": "doi-1", "url": "https://example.org/b", "authors": ["Alan Turing"]},
    ],
}


@pytest.mark.parametrize("chunk", [1, 2000])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_dedup_rule_within_and_across_chunks(
    template: Path, tmp_path: Path, name: str, chunk: int
) -> None:
    records = SCENARIOS[name]
    make = partial(fresh_store, template, tmp_path)
    agree(make, tmp_path / "one-file", [records], chunk)
    agree(make, tmp_path / "file-each", [[r] for r in records], chunk)


@pytest.fixture(scope="module")
def pg_template(postgres_server: PostgresServer) -> str:
    """A migrated, empty PostgreSQL database to copy (CREATE DATABASE ... TEMPLATE)."""
    url = postgres_server.create_database(f"bulk_template_{os.getpid()}")
    open_engine(url).dispose()
    return url.rsplit("/", 1)[1]


def fresh_pg_store(server: PostgresServer, template: str) -> Engine:
    import psycopg

    name = f"bulk_{next(_copies)}_{os.getpid()}"
    with psycopg.connect(
        host="127.0.0.1", port=server.port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return open_engine(server.url_for(name))


@pytest.mark.postgres
@pytest.mark.parametrize("chunk", [1, 2000])
def test_each_dedup_rule_on_postgresql(
    postgres_server: PostgresServer, pg_template: str, tmp_path: Path, chunk: int
) -> None:
    make = partial(fresh_pg_store, postgres_server, pg_template)
    for i, records in enumerate(SCENARIOS.values()):
        agree(make, tmp_path / f"{i}-one-file", [records], chunk)
        agree(make, tmp_path / f"{i}-file-each", [[r] for r in records], chunk)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=FILES, chunk=st.sampled_from([1, 2, 3, 5, 2000]))
def test_bulk_ingest_agrees_with_one_upsert_a_record(
    template: Path, tmp_path: Path, files: list[list[dict[str, Any]]], chunk: int
) -> None:
    agree(partial(fresh_store, template, tmp_path), tmp_path / f"ex{next(_copies)}", files, chunk)


def _jsonl(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_a_changed_abstract_moves_the_old_text_into_its_revision(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    v1 = {"id": "2401.00009v1", "title": "Quokka Kernels", "abstract": "Quokkas run 2x faster."}
    v2 = {**v1, "id": "2401.00009v2", "abstract": "Quokkas run 3x faster."}
    ingest_files(store, [_jsonl(tmp_path / "v1.jsonl", v1)])
    report = ingest_files(store, [_jsonl(tmp_path / "v2.jsonl", v2)])
    assert (report.new, report.updated) == (0, 1)
    with store.connect() as conn:
        rows = conn.execute(
            text("SELECT version, abstract FROM paperrevision ORDER BY version")
        ).all()
        assert [tuple(r) for r in rows] == [(1, "Quokkas run 2x faster."), (2, None)]
        assert conn.execute(text("SELECT abstract FROM paper")).scalar_one() == v2["abstract"]
    check_one_copy_and_index(store)
    assert [h.public_id for h in search_papers(store, "3x")] == ["2401.00009v1"]
    assert search_papers(store, "2x") == []  # the old text is out of the index


def test_reading_a_file_again_changes_nothing(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    path = _jsonl(
        tmp_path / "p.jsonl",
        {"id": "a", "title": "A paper", "abstract": "First."},
        {"title": "No id paper", "abstract": "Second.", "authors": ["Ada Lovelace"]},
    )
    ingest_files(store, [path])
    with store.connect() as conn:
        before = conn.execute(text("SELECT * FROM paper ORDER BY id")).all()
    report = ingest_files(store, [path])
    assert (report.new, report.updated, report.unchanged) == (0, 0, 2)
    with store.connect() as conn:
        assert conn.execute(text("SELECT * FROM paper ORDER BY id")).all() == before


def test_a_filled_in_field_is_written_and_dates_the_change(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    ingest_files(store, [_jsonl(tmp_path / "a.jsonl", {"title": "Lone", "abstract": "Text."})])
    later = {"title": "Lone", "abstract": "Text.", "url": "https://example.org/lone"}
    report = ingest_files(store, [_jsonl(tmp_path / "b.jsonl", later)])
    assert report.unchanged == 1
    with store.connect() as conn:
        url, created, updated = conn.execute(
            text("SELECT url, created_at, updated_at FROM paper")
        ).one()
    assert url == "https://example.org/lone" and updated > created


def test_records_before_a_fault_are_kept(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    path = tmp_path / "cut.json"
    path.write_text('[{"id": "a", "title": "A", "abstract": "A."},\n{"id": "b", "title": ')
    report = ingest_files(store, [path])
    (source,) = report.sources
    assert source.failed and source.read == 1 and report.new == 1


def test_progress_is_told_per_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(step, "CHUNK", 2)
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    records = [{"id": f"p{i}", "title": f"Paper {i}", "abstract": f"Text {i}."} for i in range(5)]
    heard: list[int] = []
    ingest_files(store, [_jsonl(tmp_path / "p.jsonl", *records)], on_records=heard.append)
    assert heard == [2, 2, 1]


def test_upsert_paper_returns_the_stored_paper(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    path = _jsonl(tmp_path / "p.jsonl", {"id": "z", "title": "Zed", "abstract": "Zed text."})
    (record,) = parse_file(path)
    assert isinstance(record, PaperRecord)
    with Session(store) as session:
        paper, outcome = upsert_paper(session, record)
        session.commit()
        assert (outcome, paper.source_id, paper.abstract) == ("new", "z", "Zed text.")


def _stream(n: int) -> Iterator[str]:
    for i in range(n):
        yield json.dumps({"id": f"s{i}", "title": f"Stream {i}", "abstract": "Same."}) + "\n"


def test_many_chunks_of_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(step, "CHUNK", 7)
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    path = tmp_path / "many.jsonl"
    path.write_text("".join(_stream(100)))
    report = ingest_files(store, [path])
    assert report.new == 100 and report.duplicates == []
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM paperrevision")).scalar_one() == 100
    check_one_copy_and_index(store)


def test_a_chunk_written_over_many_inserts_is_stored_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(_stream(23)))
    whole = open_engine(f"sqlite:///{tmp_path / 'whole.db'}")
    ingest_files(whole, [path])
    monkeypatch.setattr(papers, "_rows_per_insert", lambda _driver, _width: 3)
    split = open_engine(f"sqlite:///{tmp_path / 'split.db'}")
    report = ingest_files(split, [path])
    assert report.new == 23
    assert papers_of(split) == papers_of(whole)
    assert revisions_of(split) == revisions_of(whole)
    check_one_copy_and_index(split)


def test_an_insert_takes_as_many_rows_as_sqlite_binds(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "limits.db")
    bound = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # 32,766 unless built otherwise
    assert papers._rows_per_insert(conn, 17) == min(1000, bound // 17)
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # SQLite before 3.32
    assert papers._rows_per_insert(conn, 17) == 999 // 17
    assert papers._rows_per_insert(conn, 2000) == 1
    conn.close()


def _store_at_0012(url: str, folder: Path) -> None:
    """A store as paperskim left it before migration 0013: abstracts copied into revisions
    and (SQLite) into the FTS5 table, with a changed abstract and offline summaries."""
    from alembic import command

    from store.db import _alembic_config

    old = open_engine(url, migrate_schema=False)
    with old.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0012_paper_vectors")
    v1 = _jsonl(
        folder / "v1.jsonl",
        {"id": "2401.00009v1", "title": "Quokka Kernels", "abstract": "Quokkas run 2x faster."},
        {"id": "doi-7", "title": "Wombat Caches", "abstract": "Wombat caches cut latency 30%."},
    )
    v2 = _jsonl(
        folder / "v2.jsonl",
        {"id": "2401.00009v2", "title": "Quokka Kernels", "abstract": "Quokkas run 3x faster."},
    )
    legacy_ingest.ingest_files(old, [v1])
    legacy_ingest.ingest_files(old, [v2])
    with old.begin() as conn:  # a summary of each current abstract, in that schema's columns
        conn.execute(
            text(
                "INSERT INTO summary (paper_id, abstract_hash, engine, prompt_version, status, "
                "takeaway, has_claims, created_at) SELECT id, abstract_hash, 'offline', "
                "'offline-v1', 'ok', abstract, true, CURRENT_TIMESTAMP FROM paper"
            )
        )
    with old.connect() as conn:
        copies = conn.execute(text("SELECT count(abstract) FROM paperrevision")).scalar_one()
    assert copies == 3
    old.dispose()


def check_migrated_from_0012(url: str, folder: Path) -> None:
    _store_at_0012(url, folder)
    store = open_engine(url)  # migrates to the latest schema
    with store.connect() as conn:
        rows = conn.execute(
            text("SELECT version, abstract FROM paperrevision ORDER BY paper_id, version")
        ).all()
    assert [tuple(r) for r in rows] == [(1, "Quokkas run 2x faster."), (2, None), (1, None)]
    check_one_copy_and_index(store)
    with Session(store) as session:  # and every paper's read state (migration 0014)
        assert stored_states(session) == reference_states(session)
        assert {s["summary_id"] is not None for s in stored_states(session).values()} == {True}
    assert [h.public_id for h in search_papers(store, "wombat")] == ["doi-7"]
    assert [h.public_id for h in search_papers(store, "3x")] == ["2401.00009v1"]
    assert search_papers(store, "2x") == []
    assert search_papers(store, "cut latency")[0].takeaway  # the summaries' takeaways too
    # Ingest goes on in the migrated store: a new paper, and a changed abstract.
    report = ingest_files(
        store,
        [
            _jsonl(
                folder / "more.jsonl",
                {"id": "doi-7", "title": "Wombat Caches", "abstract": "Wombats cut it 40%."},
                {"id": "doi-8", "title": "Platypus Pages", "abstract": "Platypus paging."},
            )
        ],
    )
    assert (report.new, report.updated) == (1, 1)
    check_one_copy_and_index(store)
    assert [h.public_id for h in search_papers(store, "platypus")] == ["doi-8"]
    assert [h.public_id for h in search_papers(store, "40")] == ["doi-7"]
    store.dispose()


def test_a_sqlite_store_from_before_0013_is_migrated(tmp_path: Path) -> None:
    check_migrated_from_0012(f"sqlite:///{tmp_path / 'old.db'}", tmp_path)


@pytest.mark.postgres
def test_a_postgresql_store_from_before_0013_is_migrated(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    check_migrated_from_0012(postgres_server.create_database(), tmp_path)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text()))
def test_authors_and_categories_are_written_as_json_dumps_writes_them(items: list[str]) -> None:
    assert json_strings(items) == json.dumps(items)
