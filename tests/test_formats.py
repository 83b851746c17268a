"""Every reader on real recorded samples (tests/fixtures/feeds, see PROVENANCE.md), on broken
ones, and under a bounded Hypothesis fuzz; plus the record-level breaks of issue 16."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from agent.export import write_export
from agent.ingest.records import IngestError, PaperRecord, RecordError, parse_file
from agent.ingest.step import ingest_files
from store.db import open_engine
from store.papers import get_paper

FEEDS = Path(__file__).resolve().parent / "fixtures" / "feeds"


def read(path: Path, **kw: object) -> tuple[list[PaperRecord], list[RecordError]]:
    good: list[PaperRecord] = []
    bad: list[RecordError] = []
    for item in parse_file(path, **kw):  # type: ignore[arg-type]
        (good if isinstance(item, PaperRecord) else bad).append(item)  # type: ignore[arg-type]
    return good, bad


# (file, records read, records skipped): every count checked by hand against the file.
REAL = [
    ("arxiv_rss2_cs.LG+cs.AI+cs.CL+stat.ML.xml", 4, 0),
    ("arxiv_atom_daily_cs.AI_trimmed_by_upstream.xml", 3, 0),
    ("arxiv_atom_daily_empty_weekend.xml", 0, 0),
    ("arxiv_api_query_electron_2025.xml", 10, 0),
    ("arxiv_api_query_legacy_2025-10.xml", 2, 0),
    ("arxiv_api_query_short_page.xml", 3, 0),
    ("biorxiv_rss1_rdf_bioengineering.xml", 1, 0),
    ("hf_daily_papers_2024-06-03.json", 6, 0),
    ("hf_daily_papers_2026-08-20.json", 15, 0),
    ("kaggle_snapshot.jsonl", 50, 0),
    ("kaggle_snapshot.jsonl.gz", 50, 0),
    ("kaggle_snapshot_small.jsonl.bz2", 5, 0),
    ("kaggle_snapshot_small.jsonl.xz", 5, 0),
    ("zotero_export.csv", 40, 15),  # 15 items have no abstract in the export
    ("scopus_export.csv", 50, 0),
    ("ieee_xplore_export.csv", 50, 0),
    ("arxiv_api_derived_custom_columns.csv", 100, 0),
    ("zotero_references.bib", 45, 10),  # 10 entries without an abstract field
    ("references.bib", 46, 4),
]


@pytest.mark.parametrize(("name", "n_good", "n_bad"), REAL)
def test_real_samples(name: str, n_good: int, n_bad: int) -> None:
    good, bad = read(FEEDS / name)
    assert (len(good), len(bad)) == (n_good, n_bad)
    assert all(r.title and r.abstract for r in good)
    assert all(not r.abstract.startswith("arXiv:") for r in good)  # the wrapper is gone


def test_arxiv_rss_wrapper_becomes_fields() -> None:
    good, _ = read(FEEDS / "arxiv_rss2_cs.LG+cs.AI+cs.CL+stat.ML.xml")
    first = good[0]
    assert (first.arxiv_id, first.arxiv_version, first.announce_type) == ("2609.26811", 1, "new")
    assert first.abstract.startswith("Local learning trains each layer")
    assert "Announce Type" not in " ".join(r.abstract for r in good)
    assert first.published == "2026-09-24" and first.authors == ("Fabien Polly",)


def test_hf_daily_papers_nested_summary() -> None:
    good, _ = read(FEEDS / "hf_daily_papers_2024-06-03.json")
    mamba = good[0]
    assert mamba.arxiv_id == "2405.21060"
    assert mamba.abstract.startswith("While Transformers have been the main architecture")
    assert mamba.authors[:2] == ("Tri Dao", "Albert Gu")


def test_zotero_csv_and_bibtex_give_the_same_paper() -> None:
    csv_first = read(FEEDS / "zotero_export.csv")[0][0]
    bib_first = read(FEEDS / "zotero_references.bib")[0][0]
    assert csv_first.source_id == bib_first.source_id == "10.1007/s11468-024-02407-0"
    assert csv_first.authors[0] == bib_first.authors[0] == "R. Uma Maheshwari"
    assert csv_first.abstract == bib_first.abstract


def test_map_names_a_column(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("Headline,Blurb\nT,Some abstract.\n", encoding="utf-8")
    with pytest.raises(IngestError, match="--map"):
        read(path)
    good, _ = read(path, mapping={"headline": "title", "blurb": "abstract"})
    assert [(r.title, r.abstract) for r in good] == [("T", "Some abstract.")]


# --- broken sources: one clear whole-source error, records before the fault kept -------------


@pytest.mark.parametrize(
    ("name", "kept", "message"),
    [
        ("arxiv_rss2_truncated_mid_item.xml", 2, "feed stops early"),
        ("arxiv_api_query_truncated_mid_entry.xml", 1, "feed stops early"),
        ("error_503_html_derived.html", 0, "an HTML page, not a feed"),
        ("garbage_payload_derived.gz", 0, "binary data"),
        ("arxiv_rss2_corrupt_truncated_derived.xml.gz", 0, "not a readable gzip file"),
        ("springer_export_no_abstract.csv", 0, "has no abstract"),
    ],
)
def test_broken_samples(name: str, kept: int, message: str) -> None:
    good: list[PaperRecord] = []
    with pytest.raises(IngestError, match=message) as info:
        for item in parse_file(FEEDS / name):
            if isinstance(item, PaperRecord):
                good.append(item)
    assert len(good) == kept
    assert "\n" not in str(info.value)


def test_wrong_root_empty_and_binary(tmp_path: Path) -> None:
    (tmp_path / "svg.xml").write_text("<svg xmlns='http://www.w3.org/2000/svg'><g/></svg>")
    with pytest.raises(IngestError, match="not an RSS or Atom feed"):
        read(tmp_path / "svg.xml")
    (tmp_path / "empty.xml").write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        read(tmp_path / "empty.xml")
    (tmp_path / "paper.json").write_bytes(b"%PDF-1.7\n\x00\x01binary")
    with pytest.raises(IngestError, match="PDF"):
        read(tmp_path / "paper.json")


def test_truncated_json_array_keeps_what_came_before(tmp_path: Path) -> None:
    rows = [{"id": f"p{i}", "title": f"T{i}", "abstract": "A."} for i in range(1500)]
    text = json.dumps(rows)
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) - 40])
    good: list[PaperRecord] = []
    with pytest.raises(IngestError, match="line 1, column"):
        for item in parse_file(path):
            if isinstance(item, PaperRecord):
                good.append(item)
    assert len(good) == 1499


def test_compressed_by_magic_bytes_whatever_the_name(tmp_path: Path) -> None:
    line = b'{"id": "x1", "title": "T", "abstract": "A."}\n'
    for name, data in [
        ("a.jsonl.gz", gzip.compress(line)),
        ("a.jsonl.bz2", bz2.compress(line)),
        ("a.jsonl.xz", lzma.compress(line)),
        ("download", gzip.compress(line)),
    ]:
        (tmp_path / name).write_bytes(data)
        assert [r.source_id for r in read(tmp_path / name)[0]] == ["x1"], name


# --- issue 16: every per-record failure is one reported skip ---------------------------------


def test_bad_records_are_skips_not_crashes(tmp_path: Path) -> None:
    lines = [
        '{"id": "a", "title": "Lone \\ud800 surrogate", "abstract": "Text \\ud800 here."}',
        '{"id": "b", "title": "Deep", "abstract": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": ' + "9" * 5000 + ', "title": "Big id", "abstract": "A."}',
        '{"id": "d", "title": "NUL\\u0000 title", "abstract": "Has\\u0000 NUL."}',
        '{"id": "e", "title": "Fine", "abstract": "Fine."}',
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    good, bad = read(path)
    assert [r.source_id for r in good] == ["a", "d", "e"]
    assert good[0].title == "Lone surrogate" and "\x00" not in good[1].abstract
    assert [e.line for e in bad] == [2, 3]
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    report = ingest_files(store, [path])
    assert report.new == 3 and len(report.errors) == 2


def test_deep_nesting_and_huge_number_inside_a_json_array(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = (
        '[{"id": "a", "title": "A", "abstract": "A."},\n'
        f'{{"id": "b", "title": "B", "abstract": {deep}}},\n'
        f'{{"id": {"9" * 5000}, "title": "C", "abstract": "C."}},\n'
        '{"id": "d", "title": "D", "abstract": "D."}]'
    )
    (tmp_path / "deep.json").write_text(text)
    good, bad = read(tmp_path / "deep.json")
    assert [r.source_id for r in good] == ["a", "d"] and [e.line for e in bad] == [2, 3]


def test_a_csv_field_over_the_limit_is_one_skip(tmp_path: Path) -> None:
    long = "x" * 140_000
    path = tmp_path / "long.csv"
    path.write_text(f'title,abstract\nOne,First.\nTwo,"{long}"\nThree,Third.\n')
    good, bad = read(path)
    assert [r.title for r in good] == ["One", "Three"]
    assert len(bad) == 1 and "140,000 characters" in bad[0].message


def test_an_unclosed_quote_is_reported_and_the_rows_after_it_read(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('title,abstract\nOne,"First.\nTwo,Second.\nThree,"Third."\nFour,Fourth.\n')
    good, bad = read(path)
    assert "quote opened on line 2" in bad[0].message
    assert {"Two", "Four"} <= {r.title for r in good}


def test_identity_by_source_id(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    path = tmp_path / "ids.jsonl"
    rows = [
        {"id": "doi-1", "title": "Same Title", "abstract": "First paper."},
        {"id": "doi-2", "title": "Same Title", "abstract": "Second paper."},
        {"id": "doi-3", "title": "Old title", "abstract": "Text one."},
        {"id": "doi-3", "title": "New title", "abstract": "Text two."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = ingest_files(store, [path])
    assert (report.new, report.updated) == (3, 1)
    import io

    buffer = io.StringIO()
    write_export(store, buffer, "jsonl")
    ids = [json.loads(line)["id"] for line in buffer.getvalue().splitlines()]
    assert sorted(ids) == ["doi-1", "doi-2", "doi-3"]  # one row per id, never merged


def test_an_older_arxiv_version_does_not_replace_a_newer_one(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    v2 = tmp_path / "v2.jsonl"
    v2.write_text(json.dumps({"id": "2401.00001v2", "title": "T", "abstract": "Version 2."}))
    v1 = tmp_path / "v1.jsonl"
    v1.write_text(json.dumps({"id": "2401.00001v1", "title": "T", "abstract": "Version 1."}))
    ingest_files(store, [v2])
    report = ingest_files(store, [v1])
    assert "older than the stored v2" in report.duplicates[0].message
    with Session(store) as session:
        paper = get_paper(session, "2401.00001")
        assert paper is not None and paper.abstract == "Version 2."


def test_a_bad_source_does_not_stop_the_others(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    broken = FEEDS / "arxiv_rss2_truncated_mid_item.xml"
    report = ingest_files(
        store, [tmp_path / "missing.xml", broken, FEEDS / "kaggle_snapshot.jsonl"]
    )
    outcomes = {Path(s.source).name: s for s in report.sources}
    assert outcomes["missing.xml"].failed and outcomes["missing.xml"].read == 0
    assert outcomes[broken.name].failed and outcomes[broken.name].read == 2
    assert outcomes["kaggle_snapshot.jsonl"].failed is None
    assert report.new == 52


# --- fuzz: no input makes a reader raise anything but IngestError ----------------------------

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SAMPLES = {
    "feed.xml": (FEEDS / "arxiv_rss2_cs.LG+cs.AI+cs.CL+stat.ML.xml").read_bytes()[:3000],
    "p.json": (FEEDS / "hf_daily_papers_2024-06-03.json").read_bytes()[:3000],
    "p.jsonl": (FEEDS / "kaggle_snapshot.jsonl").read_bytes()[:3000],
    "p.csv": (FEEDS / "zotero_export.csv").read_bytes()[:3000],
    "p.bib": (FEEDS / "zotero_references.bib").read_bytes()[:3000],
    "p.txt": b"Get trending papers in your email inbox!\nSubscribe\nTitle\nAbstract 2x.\n",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
@FUZZ
@given(data=st.data())
def test_fuzz_reader(tmp_path: Path, name: str, data: st.DataObject) -> None:
    sample = SAMPLES[name]
    cut = data.draw(st.integers(0, len(sample)))
    noise = data.draw(st.binary(max_size=40))
    where = data.draw(st.integers(0, cut))
    path = tmp_path / name
    path.write_bytes(sample[:where] + noise + sample[where:cut])
    try:
        for item in parse_file(path):
            assert isinstance(item, (PaperRecord, RecordError))
    except IngestError as exc:
        assert "\n" not in str(exc).strip()


def test_bytes_that_crash_feedparser_are_one_clear_error(tmp_path: Path) -> None:
    # Found by test_fuzz_reader: feedparser 6.0 raised UnicodeDecodeError from its encoding
    # sniffing on this input instead of reporting a bad feed.
    sample = SAMPLES["feed.xml"]
    path = tmp_path / "feed.xml"
    path.write_bytes(sample[:30] + b"\x80" + sample[30:38])
    with pytest.raises(IngestError, match="not a readable feed"):
        list(parse_file(path))
