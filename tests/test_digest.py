"""The digest: selection, ranking, sections, review marks, editor's note, formats and history."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from agent.cli.main import app
from agent.config import LLMSettings, ProfileSettings
from agent.core.models import Gain, PaperSummary
from agent.digest.editor_note import (
    EditorAnswer,
    NoteSentence,
    check_note,
    llm_note,
    statistical_note,
)
from agent.digest.history import load_digest
from agent.digest.render import render_atom, render_html_page
from agent.digest.select import NO_BASELINE, UP_TO_ONLY, collect, record_digest, render_markdown
from agent.ingest.step import ingest_files
from agent.llm.client import LLM
from agent.review.actions import approve, correct, reject
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.papers import get_paper
from store.tables import Digest, DigestEntry, LLMCall
from tests.fake_openai import FakeOpenAIServer, Reply

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(2)> & Co'
ATOM = "{http://www.w3.org/2005/Atom}"

PAPERS: list[dict[str, Any]] = [
    {
        "id": "zeta",
        "title": "Zeta: KV Cache Paging for Serving",
        "abstract": "Zeta speeds up LLM serving by 2.5x over vLLM and cuts memory by up to 40%.",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"],
        "url": "https://example.org/zeta",
    },
    {
        "id": "evil",
        "title": HOSTILE,
        "abstract": "We train transformer models 3x faster on a single GPU.",
        "categories": ["cs.CL"],
        "url": "javascript:alert(1)",
    },
    {
        "id": "chain",
        "title": "Ledger Scheduling",
        "abstract": "A blockchain ledger improves GPU scheduling throughput by 20% over FIFO.",
        "categories": ["cs.DC"],
    },
    {
        "id": "quiet",
        "title": "A Quiet Study of Attention",
        "abstract": "We study where attention heads look, without any new method.",
    },
]
PROFILE = ProfileSettings(
    keywords=["KV cache"], topics={"Serving": ["serving"]}, negative_keywords=["blockchain"]
)


def add_papers(store: Engine, tmp_path: Path, papers: list[dict[str, Any]], name: str) -> None:
    """Ingest `papers` from a JSONL file and summarize them with the offline engine."""
    source = tmp_path / f"{name}.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    report = ingest_files(store, [source])
    assert report.new == len(papers), report.errors
    summarize_pending(store, OfflineSummarizer())


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    engine = open_engine(f"sqlite:///{tmp_path / 'd.db'}")
    add_papers(engine, tmp_path, PAPERS, "papers")
    return engine


def ids(items: list[Any]) -> list[str]:
    return [it.public_id for it in items]


def test_profile_ranks_groups_and_keeps_low_scores_out(store: Engine) -> None:
    items = collect(store, profile=PROFILE)
    assert ids(items) == ["zeta", "evil", "quiet"]  # zeta matches; then claim strength
    zeta = items[0]
    assert zeta.relevance.score == 2 + 2  # "KV cache" and "serving" both in the title
    assert zeta.relevance.reasons == (
        "matches: KV cache (title)",
        "matches: serving (title) [Serving]",
    )
    assert [it.section for it in items] == ["Serving", "cs.CL", "Other new papers"]

    everything = collect(store, profile=PROFILE, below_threshold=True)
    chain = next(it for it in everything if it.public_id == "chain")
    assert "excluded: blockchain" in chain.relevance.reasons and chain.relevance.score < 0
    # Without a profile nothing is scored and claim strength alone orders the papers.
    assert ids(collect(store)) == ["evil", "zeta", "chain", "quiet"]


def test_markdown_marks_hype_sections_and_unreviewed_summaries(store: Engine) -> None:
    text = render_markdown(collect(store, profile=PROFILE))
    assert text.index("## Serving") < text.index("## cs.CL") < text.index("## Other new papers")
    assert "### 1. Zeta" in text and "### 3. A Quiet Study" in text
    zeta_block = text[text.index("### 1. Zeta") : text.index("## cs.CL")]
    assert "relevance 4: matches: KV cache (title)" in zeta_block
    assert UP_TO_ONLY in zeta_block  # "up to 40%"
    evil_block = text[text.index("## cs.CL") : text.index("## Other new papers")]
    assert NO_BASELINE in evil_block  # "3x faster" names nothing it beats
    assert text.count("not reviewed yet") == 1 + 3  # the notice, then each paper


def test_review_corrections_rejections_and_approved_only(store: Engine) -> None:
    with Session(store) as session:
        zeta, evil, quiet = (get_paper(session, i) for i in ("zeta", "evil", "quiet"))
        assert zeta and evil and quiet
        fixed = PaperSummary(
            id="zeta",
            takeaway="Zeta pages the KV cache, serving LLMs 2.5x faster than vLLM.",
            has_claims=True,
            gains=[
                Gain(
                    metric="serving speedup",
                    value=2.5,
                    value_high=None,
                    unit="x",
                    kind="improvement",
                    qualifier=None,
                    baseline="vLLM",
                    condition=None,
                    quote="2.5x",
                )
            ],
        )
        correct(session, zeta, fixed, "rita")
        reject(session, evil, "rita")
        approve(session, quiet, "rita")
        session.commit()
    items = collect(store)
    assert "evil" not in ids(items)
    zeta_item = next(it for it in items if it.public_id == "zeta")
    assert zeta_item.summary.takeaway == fixed.takeaway and not zeta_item.unreviewed
    text = render_markdown(items)
    assert fixed.takeaway in text and "corrected by rita" in text
    assert ids(collect(store, approved_only=True)) == ["zeta", "quiet"]
    assert sorted(ids(collect(store))) == ["chain", "quiet", "zeta"]


def test_html_escapes_paper_text_and_refuses_unsafe_links(store: Engine) -> None:
    page = render_html_page(collect(store), note=statistical_note(collect(store)))
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert 'href="https://example.org/zeta"' in page
    assert '<meta name="viewport"' in page and "<link" not in page  # self-contained


def test_atom_feed_is_valid_xml_with_one_entry_per_paper(store: Engine) -> None:
    items = collect(store)
    feed_text = render_atom(items, statistical_note(items))
    feed = ET.fromstring(feed_text)  # raises on malformed XML
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(items) == 4
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert HOSTILE in titles  # the exact text survives, escaped in the XML source
    assert "<script>" not in feed_text
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 4
    for entry in entries:
        for required in ("id", "title", "updated", "summary", "content"):
            assert entry.find(f"{ATOM}{required}") is not None
        assert entry.find(f"{ATOM}author/{ATOM}name") is not None
    hrefs = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert hrefs == ["https://example.org/zeta"]
    content = entries[ids(items).index("evil")].findtext(f"{ATOM}content") or ""
    assert NO_BASELINE in content and "<table>" in content


def test_editor_note_checks_ids_and_numbers_against_the_cited_papers(store: Engine) -> None:
    items = collect(store)
    answer = EditorAnswer(
        sentences=[
            NoteSentence(
                text="Zeta serves LLMs 2.5x faster than vLLM.", paper_ids=["zeta", "nope"]
            ),
            NoteSentence(text="A ledger speeds scheduling by 35%.", paper_ids=["chain"]),
            NoteSentence(text="Something about nothing.", paper_ids=["ghost"]),
            NoteSentence(text="Training gets 3x faster (evil).", paper_ids=["evil"]),
        ]
    )
    note = check_note(answer, items, "test-model")
    assert [s.text for s in note.sentences] == [
        "Zeta serves LLMs 2.5x faster than vLLM.",
        "Training gets 3x faster (evil).",
    ]
    assert note.sentences[0].paper_ids == ["zeta"]
    assert any("unknown paper id(s) nope" in f for f in note.flags)
    assert any("sentence 2: dropped, number(s) 35" in f for f in note.flags)
    assert any("sentence 3: dropped, it cites no paper" in f for f in note.flags)


def test_an_editor_sentence_with_the_prompts_tags_in_it_is_dropped(store: Engine) -> None:
    # Seen with a 1.5B model: "'Zeta' by <papers>zeta</papers> introduces ..." (the prompt's
    # data wrapper copied into the prose).
    items = collect(store)
    answer = EditorAnswer(
        sentences=[
            NoteSentence(text="Zeta by <papers>zeta</papers> serves LLMs.", paper_ids=["zeta"]),
            NoteSentence(text="Zeta serves LLMs 2.5x faster than vLLM.", paper_ids=["zeta"]),
        ]
    )
    note = check_note(answer, items, "test-model")
    assert [s.text for s in note.sentences] == ["Zeta serves LLMs 2.5x faster than vLLM."]
    assert any("sentence 1: dropped, it has markup tags" in f for f in note.flags)


def test_statistical_note_counts_and_cites_the_biggest_gains(store: Engine) -> None:
    note = statistical_note(collect(store))
    text = note.as_text()
    assert note.made_by == "statistics"
    assert text.startswith("4 papers in 4 section(s)")
    assert "4 summaries are not reviewed yet." in text
    biggest = next(s for s in note.sentences if s.text.startswith("Biggest"))
    # "3x faster" (evil) names no baseline, so it never headlines; "2.5x over vLLM" does
    assert biggest.paper_ids[0] == "zeta" and "2.5x" in biggest.text and "vLLM" in biggest.text
    assert "evil" not in biggest.paper_ids


def test_llm_note_goes_through_the_logged_call_site_and_is_checked(
    store: Engine, fake_openai: FakeOpenAIServer
) -> None:
    items = collect(store)
    fake_openai.script(
        Reply.content(
            {
                "sentences": [
                    {"text": "Zeta makes serving 2.5x faster.", "paper_ids": ["zeta"]},
                    {"text": "Someone claims 99% gains.", "paper_ids": ["quiet"]},
                ]
            }
        )
    )
    llm = LLM(LLMSettings(base_url=fake_openai.url, model="m"), store)
    note = llm_note(llm, items)
    assert note.made_by == "m (editor/v1)"
    assert [s.text for s in note.sentences] == ["Zeta makes serving 2.5x faster."]
    assert note.flags and "99" in note.flags[0]
    request = fake_openai.chat_requests()[0]
    assert "<papers>" in request["messages"][1]["content"]
    assert "\\u003c" not in request["messages"][1]["content"]  # titles sent as text
    with Session(store) as session:
        (call,) = session.exec(select(LLMCall)).all()
        assert call.prompt == "editor/v1"

    fake_openai.script(Reply.error(400, "bad request"))
    fallback = llm_note(llm, items)
    assert fallback.made_by == "statistics"
    assert any("LLM note failed" in f for f in fallback.flags)


def test_history_stores_what_was_sent_and_renders_it_again(store: Engine, tmp_path: Path) -> None:
    items = collect(store, profile=PROFILE)
    note = statistical_note(items)
    digest = record_digest(store, items, tmp_path / "d.html", fmt="html", note=note)
    with Session(store) as session:
        entries = session.exec(select(DigestEntry)).all()
        assert {e.paper_id for e in entries} == {it.paper.id for it in items}
        zeta = next(e for e in entries if e.position == 0)
        assert zeta.score == 4 and zeta.section == "Serving" and zeta.review == "draft"
        assert zeta.reasons == ["matches: KV cache (title)", "matches: serving (title) [Serving]"]
    assert digest.id is not None
    stored, again, stored_note = load_digest(store, digest.id)
    assert stored.format == "html" and stored.path == str((tmp_path / "d.html").resolve())
    assert ids(again) == ids(items)
    assert stored_note is not None and stored_note.as_text() == note.as_text()
    assert render_markdown(again, note=stored_note) == render_markdown(items, note=note)


runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_since_last_across_three_digests(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    store = open_engine(f"sqlite:///{db}")
    add_papers(store, tmp_path, PAPERS[:2], "day1")
    first = cli(
        "digest",
        "--db",
        db,
        "--since",
        "last",
        "--format",
        "html",
        "--out",
        str(tmp_path / "1.html"),
    )
    assert "2 papers" in first
    add_papers(store, tmp_path, PAPERS[2:3], "day2")
    second = cli("digest", "--db", db, "--since", "last")
    assert "Ledger Scheduling" in second and "Zeta" not in second
    nothing = cli("digest", "--db", db, "--since", "last")
    assert "0 papers" in nothing and "### " not in nothing
    add_papers(store, tmp_path, PAPERS[3:], "day3")
    third = cli("digest", "--db", db, "--since", "last", "--format", "atom")
    feed = ET.fromstring(third.strip())
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == [
        "A Quiet Study of Attention"
    ]
    with Session(store) as session:
        digests = session.exec(select(Digest).order_by(Digest.id)).all()  # type: ignore[arg-type]
        assert [(d.format, d.paper_count) for d in digests] == [
            ("html", 2),
            ("markdown", 1),
            ("atom", 1),
        ]  # the empty one is not recorded
        sent = session.exec(select(DigestEntry.paper_id)).all()
        assert sorted(sent) == sorted(set(sent)) and len(sent) == 4

    listing = cli("digests", "--db", db)
    assert "html" in listing and "atom" in listing and "1.html" in listing
    shown = cli("digests", "2", "--db", db)
    assert "Ledger Scheduling" in shown and "### 1." in shown and "Zeta" not in shown
    page = tmp_path / "again.html"
    cli("digests", "1", "--db", db, "--format", "html", "--out", str(page))
    assert "&lt;script&gt;" in page.read_text()
    assert "digests" in cli("--help") and "--db" in cli("digests", "--help")


def test_the_digest_command_asks_the_llm_for_the_note_when_an_endpoint_is_set(
    store: Engine, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(
        Reply.content({"sentences": [{"text": "Zeta serves 2.5x faster.", "paper_ids": ["zeta"]}]})
    )
    db = str(tmp_path / "d.db")
    output = cli("digest", "--db", db, "--base-url", fake_openai.url, "--model", "m")
    assert "**Editor's note** (m (editor/v1)): Zeta serves 2.5x faster. [zeta]" in output
    offline = cli("digest", "--db", db, "--engine", "offline")
    assert "**Editor's note** (statistics): 4 papers" in offline
    assert "Editor's note" not in cli("digest", "--db", db, "--no-note")
