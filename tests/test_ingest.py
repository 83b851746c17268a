"""Reading papers from each input format: records, line numbers, and per-record errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.ingest.readers import split_arxiv_id
from agent.ingest.records import (
    Format,
    IngestError,
    PaperRecord,
    RecordError,
    detect_format,
    parse_file,
)

ROOT = Path(__file__).resolve().parent.parent
LISTING = ROOT / "data" / "trending_listing.txt"
SEED_PAPERS = ROOT / "evals" / "data" / "seed_papers.jsonl"

ABSTRACT = r"We get a 2.2$\times$ speedup and 15\% lower cost."


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def records(path: Path, fmt: Format | None = None) -> list[PaperRecord]:
    items = list(parse_file(path, fmt))
    assert all(isinstance(item, PaperRecord) for item in items), items
    return [item for item in items if isinstance(item, PaperRecord)]


def split(path: Path, fmt: Format | None = None) -> tuple[list[PaperRecord], list[RecordError]]:
    items = list(parse_file(path, fmt))
    good = [item for item in items if isinstance(item, PaperRecord)]
    bad = [item for item in items if isinstance(item, RecordError)]
    return good, bad


def make_record(title: str, abstract: str = "An abstract.") -> PaperRecord:
    return PaperRecord(
        title=title,
        abstract=abstract,
        source="x",
        line=1,
        source_id=None,
        arxiv_id=None,
        arxiv_version=None,
        url=None,
        authors=(),
        published=None,
        categories=(),
    )


# --- listing ---------------------------------------------------------------------------------


def test_shipped_listing_gives_the_seed_papers_in_order() -> None:
    seeds = [json.loads(line) for line in SEED_PAPERS.read_text("utf-8").splitlines()]
    got = records(LISTING)
    assert len(got) == 119
    assert [(r.title, r.abstract) for r in got] == [(s["title"], s["abstract"]) for s in seeds]
    first = got[0]
    assert first.title.startswith("IsolateGPT:")
    assert (first.line, first.source, first.source_id) == (3, str(LISTING), None)
    assert got[1].line == 5


def test_listing_headers_by_content_and_blank_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "page.txt",
        "\n"
        "Get trending papers in your email inbox!\n"
        "SubscribePaper One:  A   Title\n"
        f"  {ABSTRACT}  \n"
        "\n"
        "Get trending papers in your email inbox once a day!\n"
        "Subscribe\n"
        "Subscriber Churn Models\n"
        "Second abstract.\n",
    )
    got = records(path)
    assert [(r.title, r.abstract, r.line) for r in got] == [
        ("Paper One: A Title", ABSTRACT, 3),
        ("Subscriber Churn Models", "Second abstract.", 8),
    ]


def test_listing_trailing_title_and_bad_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "page.txt",
        b"Title A\nAbstract A.\nTitle \xff B\nAbstract B.\nTitle C\nAbstract C.\nTitle D\n",
    )
    good, bad = split(path)
    assert [r.title for r in good] == ["Title A", "Title C"]
    assert [(e.line, e.message) for e in bad] == [
        (3, "title line: invalid UTF-8 (at byte 7)"),
        (7, "title without an abstract line after it (file ends)"),
    ]
    assert str(bad[1]) == f"{path}:7: title without an abstract line after it (file ends)"


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_fields(tmp_path: Path) -> None:
    line = {
        "id": "p-1",
        "title": "  A\n Title ",
        "abstract": ABSTRACT,
        "url": "https://arxiv.org/abs/2401.12345v3",
        "authors": "Ada Lovelace, Alan Turing and Grace Hopper",
        "published": "2024-01-22T18:59:59Z",
        "categories": "cs.CL cs.LG",
    }
    path = write(tmp_path, "papers.jsonl", json.dumps(line) + "\n")
    (got,) = records(path)
    assert got == PaperRecord(
        title="A Title",
        abstract=ABSTRACT,
        source=str(path),
        line=1,
        source_id="p-1",
        arxiv_id="2401.12345",
        arxiv_version=3,
        url="https://arxiv.org/abs/2401.12345v3",
        authors=("Ada Lovelace", "Alan Turing", "Grace Hopper"),
        published="2024-01-22",
        categories=("cs.CL", "cs.LG"),
    )


def test_jsonl_lists_synonyms_and_explicit_arxiv_id(tmp_path: Path) -> None:
    line = {
        "id": 7,
        "Title": "T",
        "summary": "S.",
        "arxiv_id": "arXiv:hep-th/9901001v2",
        "authors": ["A. One", {"name": "B. Two"}],
        "categories": ["hep-th", "hep-th", "gr-qc"],
    }
    (got,) = records(write(tmp_path, "p.jsonl", json.dumps(line)))
    assert (got.source_id, got.abstract, got.arxiv_id, got.arxiv_version) == (
        "7",
        "S.",
        "hep-th/9901001",
        2,
    )
    assert got.authors == ("A. One", "B. Two")
    assert got.categories == ("hep-th", "gr-qc")


def test_jsonl_bad_records_are_reported_and_the_rest_come_through(tmp_path: Path) -> None:
    lines = [
        b'{"id": "1", "title": "One", "abstract": "First."}',
        b'{"id": "2", "title": "Two" "abstract": "Second."}',
        b'{"id": "3", "title": "Three"}',
        b"",
        b'{"id": "5", "title": "Five", "abstract": "  \\n "}',
        b'{"id": "6", "title": "Six", "abstract": "caf\xe9"}',
        b'["not", "an", "object"]',
        b'{"id": "8", "title": "Eight", "abstract": "Eighth.", "arxiv_id": "nope"}',
        b'{"id": "9", "title": "Nine", "abstract": "Ninth.", "published": "last week"}',
        b'{"id": "10", "title": "Ten", "abstract": 10}',
        b'{"id": "11", "title": "Eleven", "abstract": "Eleventh."}',
    ]
    good, bad = split(write(tmp_path, "p.jsonl", b"\r\n".join(lines) + b"\r\n"))
    # An unreadable date costs the date, not the paper.
    assert [(r.source_id, r.line, r.published) for r in good] == [
        ("1", 1, None),
        ("9", 9, None),
        ("11", 11, None),
    ]
    assert [(e.line, e.message.split(" (looked")[0]) for e in bad] == [
        (2, "invalid JSON: Expecting ',' delimiter (column 28)"),
        (3, "missing field 'abstract'"),
        (5, "empty abstract"),
        (6, "invalid UTF-8 (at byte 45)"),
        (7, "expected a JSON object, got an array"),
        (8, "invalid arXiv id 'nope' in 'arxiv_id'"),
        (10, "field 'abstract' must be a string, not a number"),
    ]


def test_arxiv_snapshot_line(tmp_path: Path) -> None:
    snapshot = {
        "id": "0704.0001",
        "submitter": "Pavel Nadolsky",
        "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
        "title": "Calculation of prompt diphoton production cross sections at Tevatron and\n"
        "  LHC energies",
        "comments": "37 pages, 15 figures",
        "journal-ref": "Phys.Rev.D76:013009,2007",
        "doi": "10.1103/PhysRevD.76.013009",
        "categories": "hep-ph",
        "abstract": "  A fully differential calculation in perturbative quantum chromodynamics\n"
        "is presented.\n",
        "versions": [
            {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
            {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
        ],
        "update_date": "2008-11-13",
        "authors_parsed": [["Balázs", "C.", ""], ["Berger", "E. L.", ""], ["Yuan", "C. -P.", ""]],
    }
    (got,) = records(write(tmp_path, "arxiv-metadata-oai-snapshot.json", json.dumps(snapshot)))
    assert got.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert got.abstract == (
        "A fully differential calculation in perturbative quantum chromodynamics is presented."
    )
    assert (got.source_id, got.arxiv_id, got.arxiv_version) == ("0704.0001", "0704.0001", 2)
    assert got.published == "2007-04-02"
    assert got.categories == ("hep-ph",)
    assert got.authors == ("C. Balázs", "E. L. Berger", "C. -P. Yuan")

    del snapshot["versions"], snapshot["authors_parsed"]
    (got,) = records(write(tmp_path, "snap.jsonl", json.dumps(snapshot)))
    assert (got.arxiv_version, got.published) == (None, "2008-11-13")
    assert got.authors == ("C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan")


def test_jsonl_is_streamed(tmp_path: Path) -> None:
    line = '{"title": "T", "abstract": "A."}\n'
    path = write(tmp_path, "p.jsonl", line * 50_000)
    items = parse_file(path)
    assert isinstance(next(items), PaperRecord)
    with path.open("r+b") as handle:  # cut the file under the open reader
        handle.truncate(len(line))
    # A reader that had loaded the file would still hand out all 50,000 records.
    assert sum(1 for _ in items) < 1000


# --- JSON ------------------------------------------------------------------------------------


def test_json_array_with_line_numbers(tmp_path: Path) -> None:
    text = (
        "[\n"
        '  {"id": "a", "title": "Alpha", "abstract": "First."},\n'
        "  {\n"
        '    "id": "b",\n'
        '    "title": "Beta"\n'
        "  },\n"
        '  "oops",\n'
        '  {"id": "c", "title": "Gamma", "abstract": "Third.", "url": "https://arxiv.org/pdf/2401.00001v1.pdf"}\n'
        "]\n"
    )
    good, bad = split(write(tmp_path, "p.json", text))
    assert [(r.source_id, r.line) for r in good] == [("a", 2), ("c", 8)]
    assert good[1].arxiv_id == "2401.00001"
    assert [(e.line, e.message) for e in bad] == [
        (3, "missing field 'abstract'"),
        (7, "expected a JSON object, got a string"),
    ]


def test_json_object_with_papers_list(tmp_path: Path) -> None:
    doc = {"source": "x", "papers": [{"title": "T", "abstract": "A."}], "count": 1}
    (got,) = records(write(tmp_path, "p.json", json.dumps(doc, indent=2)))
    assert (got.title, got.line) == ("T", 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"title": "T", "abstract": "A."},\n {"title": }]', "line 2, column 12"),
        ('{\n  "meta": []\n}', 'an object with a "papers" list'),
        ("[] []", "extra data"),
    ],
)
def test_json_not_well_formed_is_an_ingest_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "p.json", text)
    with pytest.raises(IngestError, match=message) as info:
        list(parse_file(path))
    assert str(path) in str(info.value)


# --- CSV -------------------------------------------------------------------------------------


def test_csv_with_multiline_fields_and_bad_rows(tmp_path: Path) -> None:
    text = (
        "ID,Title,Abstract,Authors,Categories\n"
        'x1,First,"Line one\nline two, with a comma\n\nand ""quotes""",A; B,cs.CL\n'
        "x2,Second,,C,\n"
        "\n"
        f'x3,Third,"{ABSTRACT}",,"cs.LG, stat.ML"\n'
        "x4,Fourth,too,many,fields,here\n"
        "x5,Fifth,Fifth abstract.,,\n"
    )
    good, bad = split(write(tmp_path, "p.csv", text))
    assert [(r.source_id, r.line) for r in good] == [("x1", 2), ("x3", 8), ("x5", 10)]
    assert good[0].abstract == 'Line one line two, with a comma and "quotes"'
    assert good[0].authors == ("A", "B")
    assert good[1].abstract == ABSTRACT
    assert good[1].categories == ("cs.LG", "stat.ML")
    assert [(e.line, e.message) for e in bad] == [
        (6, "empty abstract"),
        (9, "row has 6 fields, header has 5"),
    ]


def test_csv_header_without_abstract_column(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="the CSV header has no abstract"):
        list(parse_file(write(tmp_path, "p.csv", "id,title,body\n1,T,B\n")))


def test_csv_invalid_utf8_row(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", b"title,abstract\nOne,\xc3(\nTwo,Fine.\n")
    good, bad = split(path)
    assert [r.title for r in good] == ["Two"]
    assert [(e.line, e.message) for e in bad] == [(2, "invalid UTF-8 (at byte 5)")]


# --- Atom ------------------------------------------------------------------------------------

ATOM_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title type="html">ArXiv Query: search_query=all:moe</title>
  <id>http://arxiv.org/api/abc</id>
  <entry>
    <id>http://arxiv.org/abs/2401.12345v2</id>
    <updated>2024-02-01T10:00:00Z</updated>
    <published>2024-01-22T18:59:59Z</published>
    <title>ProMoE: Fast MoE-based
      LLM Serving</title>
    <summary>  We prefetch experts, a 2.20$\\times$ speedup
  and 15\\% less memory.
</summary>
    <author><name>Alice Example</name></author>
    <author><name>Bob Example</name></author>
    <arxiv:primary_category term="cs.DC" scheme="http://arxiv.org/schemas/atom"/>
    <link href="http://arxiv.org/abs/2401.12345v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2401.12345v2" rel="related"/>
    <category term="cs.DC" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/hep-th/9901001v1</id>
    <published>1999-01-01T00:00:00Z</published>
    <title>Old Style</title>
    <summary>An old abstract.</summary>
    <author><name>Carol</name></author>
    <category term="hep-th"/>
  </entry>
</feed>
"""


def test_atom_feed_with_two_entries(tmp_path: Path) -> None:
    first, second = records(write(tmp_path, "feed.xml", ATOM_FEED))
    assert first == PaperRecord(
        title="ProMoE: Fast MoE-based LLM Serving",
        abstract=r"We prefetch experts, a 2.20$\times$ speedup and 15\% less memory.",
        source=str(tmp_path / "feed.xml"),
        line=1,
        source_id="2401.12345v2",
        arxiv_id="2401.12345",
        arxiv_version=2,
        url="http://arxiv.org/abs/2401.12345v2",
        authors=("Alice Example", "Bob Example"),
        published="2024-01-22",
        categories=("cs.DC", "cs.LG"),
    )
    assert (second.line, second.arxiv_id, second.arxiv_version) == (2, "hep-th/9901001", 1)
    # feedparser takes an Atom entry's permalink <id> as its link when it has no <link>.
    assert (second.url, second.categories) == (
        "http://arxiv.org/abs/hep-th/9901001v1",
        ("hep-th",),
    )


def test_atom_entry_errors_and_bad_xml(tmp_path: Path) -> None:
    feed = ATOM_FEED.replace("<summary>An old abstract.</summary>", "")
    good, bad = split(write(tmp_path, "feed.atom", feed))
    assert len(good) == 1
    assert [(e.line, e.message) for e in bad] == [(2, "missing field 'abstract'")]

    broken = write(tmp_path, "broken.xml", ATOM_FEED.replace("</entry>\n  <entry>", "<entry>"))
    with pytest.raises(IngestError, match=r"broken\.xml: feed stops early \(not well-formed XML"):
        list(parse_file(broken))

    empty_rss = write(tmp_path, "rss.xml", "<rss version='2.0'><channel/></rss>")
    assert list(parse_file(empty_rss)) == []
    wrong_root = write(tmp_path, "other.xml", "<?xml version='1.0'?><catalog><book/></catalog>")
    with pytest.raises(IngestError, match="not an RSS or Atom feed"):
        list(parse_file(wrong_root))


def test_atom_refuses_doctype(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY a "aaaa">]>\n' + ATOM_FEED[39:]
    with pytest.raises(IngestError, match="ENTITY"):
        list(parse_file(write(tmp_path, "feed.xml", bomb)))


# --- keys ------------------------------------------------------------------------------------


def test_title_key_ignores_case_spacing_punctuation_and_unicode_form() -> None:
    key = make_record("IsolateGPT: An Execution-Isolation Architecture").title_key
    assert len(key) == 16
    assert make_record("isolategpt   an execution isolation architecture.").title_key == key
    fullwidth = "ＩｓｏｌａｔｅＧＰＴ — An Execution Isolation Architecture"
    assert make_record(fullwidth).title_key == key
    assert make_record("IsolateGPT: A Different Architecture").title_key != key


def test_abstract_hash_follows_the_text() -> None:
    base = make_record("T", "Speedup of 2.2x.").abstract_hash
    assert len(base) == 16
    assert make_record("T", " Speedup  of\n2.2x. ").abstract_hash == base
    assert make_record("T", "Speedup of 2.3x.").abstract_hash != base


def test_split_arxiv_id() -> None:
    assert split_arxiv_id("2401.12345") == ("2401.12345", None)
    assert split_arxiv_id("https://arxiv.org/pdf/2401.12345v4") == ("2401.12345", 4)
    assert split_arxiv_id("http://arxiv.org/abs/math.GT/0309136v1") == ("math.GT/0309136", 1)
    assert split_arxiv_id("seed-001") is None
    assert split_arxiv_id("https://example.org/abs/2401.12345") is None


# --- format detection and whole-file errors --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jsonl", "jsonl"),
        ("a.NDJSON", "jsonl"),
        ("a.json", "json"),
        ("a.csv", "csv"),
        ("a.xml", "feed"),
        ("a.atom", "feed"),
        ("a.rss", "feed"),
        ("a.bib", "bibtex"),
        ("a.txt", "listing"),
        ("a.jsonl.gz", "jsonl"),
    ],
)
def test_detect_format_by_extension(tmp_path: Path, name: str, fmt: Format) -> None:
    assert detect_format(write(tmp_path, name, "x\n")) == fmt


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        ('{"title": "T", "abstract": "A."}\n{"title": "U", "abstract": "B."}\n', "jsonl"),
        ('{\n  "papers": []\n}\n', "json"),
        ('\ufeff  [{"title": "T", "abstract": "A."}]', "json"),
        ("Title,Abstract,ID\nT,A,1\n", "csv"),
        ('"Key","Title","Abstract Note"\nK1,T,A\n', "csv"),
        ("@article{k, title={T}, abstract={A.}}\n", "bibtex"),
        (ATOM_FEED, "feed"),
        ("Get trending papers in your email inbox!\nSubscribeT\nA.\n", "listing"),
    ],
)
def test_detect_format_by_sniffing(tmp_path: Path, content: str, fmt: Format) -> None:
    path = write(tmp_path, "download", content)
    assert detect_format(path) == fmt
    assert all(isinstance(item, PaperRecord) for item in parse_file(path))


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot tell the format"):
        detect_format(write(tmp_path, "notes", "just some words\n"))
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(IngestError, match=r"nope\.jsonl: cannot open"):
        parse_file(missing)
    with pytest.raises(IngestError, match="cannot open"):
        detect_format(tmp_path / "nope")
    with pytest.raises(IngestError, match="unknown format"):
        parse_file(write(tmp_path, "p.jsonl", ""), "yaml")  # type: ignore[arg-type]
