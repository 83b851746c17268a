"""The review web UI through its HTTP API (FastAPI TestClient): every action, CSRF, escaping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from agent.cli.review import build_review_app
from agent.config import load_settings
from agent.review.web.csrf import COOKIE, CsrfSigner
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from store.db import open_engine
from store.papers import get_paper
from store.reviews import review_history, review_status
from store.summaries import current_summary, gains_of
from tests.fake_openai import FakeOpenAIServer, Reply
from tests.llm_answers import good_answer

ZETA = "Zeta speeds up serving by 2.5x over vLLM while using 10% more memory."
EVIL_TITLE = "<script>alert('x')</script> Hacked & Co"
PAPERS = [
    {"id": "z1", "title": "Zeta: Fast Serving", "abstract": ZETA},
    {"id": "e1", "title": EVIL_TITLE, "abstract": "We study <b>tags</b> in abstracts, no numbers."},
    {"id": "q1", "title": "Quill: Quiet Caches", "abstract": "Quill cuts cache misses by 30%."},
]


def _ingest(db: Path, papers: list[dict[str, str]]) -> Engine:
    from agent.ingest.step import ingest_files

    source = db.parent / "papers.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in papers))
    store = open_engine(f"sqlite:///{db}")
    ingest_files(store, [source])
    return store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "review.db"
    summarize_pending(_ingest(path, PAPERS), OfflineSummarizer())
    return path


def make_client(db: Path, **settings: Any) -> TestClient:
    app = build_review_app(load_settings(db=str(db), **settings), reviewer="ana")
    return TestClient(app, base_url="http://127.0.0.1:8000")  # the host it serves


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with make_client(db) as c:
        yield c


def row_id(db: Path, pid: str) -> int:
    with Session(open_engine(f"sqlite:///{db}")) as session:
        paper = get_paper(session, pid)
        assert paper is not None and paper.id is not None
        return paper.id


def token(client: TestClient) -> str:
    """Load a page as a browser would; the response sets the CSRF cookie."""
    client.get("/")
    value = client.cookies.get(COOKIE)
    assert value
    return value


def post(client: TestClient, path: str, data: dict[str, str] | None = None) -> Any:
    headers = {"X-CSRF-Token": token(client), "HX-Request": "true"}
    return client.post(path, data=data or {}, headers=headers)


def state(db: Path, pid: str) -> tuple[str, str | None, str | None, list[Any]]:
    """(review status, shown engine, shown takeaway, review history)."""
    with Session(open_engine(f"sqlite:///{db}")) as session:
        paper = get_paper(session, pid)
        assert paper is not None
        shown = current_summary(session, paper)
        return (
            review_status(session, paper),
            shown.engine if shown else None,
            shown.takeaway if shown else None,
            review_history(session, paper),
        )


def digest_text(client: TestClient) -> str:
    """The digest preview's content: its own HTML page when framed, else the inline fragment."""
    preview = client.get("/digest").text
    return client.get("/digest/page").text if 'id="digest-frame"' in preview else preview


def correction_form(takeaway: str, quote: str = "2.5x", value: str = "2.5") -> dict[str, str]:
    return {
        "takeaway": takeaway,
        "note": "tightened",
        "gain-0-quote": quote,
        "gain-0-value": value,
        "gain-0-value_high": "",
        "gain-0-unit": "×",
        "gain-0-metric": "serving speedup",
        "gain-0-kind": "improvement",
        "gain-0-qualifier": "",
        "gain-0-baseline": "vLLM",
        "gain-0-condition": "",
        # the blank "add a gain" row the form always has
        "gain-1-quote": "",
        "gain-1-value": "",
        "gain-1-metric": "",
        "gain-1-kind": "improvement",
    }


def test_the_queue_lists_every_paper_and_filters(client: TestClient, db: Path) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Zeta: Fast Serving" in page.text and "Quill: Quiet Caches" in page.text
    assert "3 papers" in page.text

    assert "Zeta" not in client.get("/?claims=no").text
    assert "Hacked" in client.get("/?claims=no").text
    assert "Quill" in client.get("/?q=cache+MISSES").text
    assert "Zeta" not in client.get("/?q=cache+MISSES").text
    assert "No paper matches" in client.get("/?engine=llm").text
    assert "No paper matches" in client.get("/?failed=1").text

    post(client, f"/papers/{row_id(db, 'z1')}/approve")
    approved = client.get("/?status=approved").text
    assert "Zeta" in approved and "Quill" not in approved
    assert "Zeta" not in client.get("/?status=draft").text


def test_paper_text_is_escaped_everywhere(client: TestClient, db: Path) -> None:
    evil = row_id(db, "e1")
    pages = {
        path: client.get(path).text for path in ("/", f"/papers/{evil}", f"/papers/{evil}?edit=1")
    }
    pages["digest"] = digest_text(client)
    for path, text in pages.items():
        assert "<script>alert" not in text, path
        assert "&lt;script&gt;alert" in text, path
    assert "&lt;b&gt;tags&lt;/b&gt;" in client.get(f"/papers/{evil}").text


def test_the_paper_page_highlights_every_quote(client: TestClient, db: Path) -> None:
    page = client.get(f"/papers/{row_id(db, 'z1')}").text
    # offline-v5 quotes the speedup with what it speeds up ("speeds up serving by 2.5x").
    first = '<mark class="quote" title="gain 1" data-gain="1">serving by 2.5x<sup>1'
    assert first in page
    assert '<mark class="quote" title="gain 2" data-gain="2">10% more memory<sup>2' in page
    assert "offline engine (no LLM)" in page


def test_approve_reject_reopen_are_logged_with_the_reviewer(client: TestClient, db: Path) -> None:
    paper = row_id(db, "z1")
    response = post(client, f"/papers/{paper}/approve", {"note": "looks right"})
    assert response.status_code == 200 and "Approved." in response.text
    assert 'id="status">approved<' in response.text
    response = post(client, f"/papers/{paper}/reject", {"note": "misses the cost"})
    assert 'id="status">rejected<' in response.text and "misses the cost" in response.text
    post(client, f"/papers/{paper}/reopen")
    status, _, _, history = state(db, "z1")
    assert status == "draft"
    assert [(r.action, r.reviewer, r.note) for r in history] == [
        ("approve", "ana", "looks right"),
        ("reject", "ana", "misses the cost"),
        ("reopen", "ana", None),
    ]


def test_a_correction_is_stored_and_shown_first(client: TestClient, db: Path) -> None:
    paper = row_id(db, "z1")
    response = post(
        client, f"/papers/{paper}/correct", correction_form("Zeta serves 2.5x faster than vLLM.")
    )
    assert response.status_code == 200, response.text
    assert "Correction saved" in response.text and "corrected by ana" in response.text
    status, engine, takeaway, history = state(db, "z1")
    assert (status, engine, takeaway) == (
        "corrected",
        "human",
        "Zeta serves 2.5x faster than vLLM.",
    )
    assert history[-1].note == "tightened" and history[-1].after is not None
    assert history[-1].after["gains"][0]["unit"] == "x"  # normalized like model output
    assert "Zeta" in client.get("/?engine=human").text
    assert "Zeta serves 2.5x faster than vLLM." in digest_text(client)


def test_removing_every_gain_makes_a_no_claims_correction(client: TestClient, db: Path) -> None:
    form = {**correction_form("Zeta makes serving faster."), "gain-0-remove": "1"}
    assert post(client, f"/papers/{row_id(db, 'z1')}/correct", form).status_code == 200
    with Session(open_engine(f"sqlite:///{db}")) as session:
        paper = get_paper(session, "z1")
        assert paper is not None
        shown = current_summary(session, paper)
        assert shown is not None and shown.has_claims is False and gains_of(session, shown) == []


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        (correction_form("Zeta serves models 3x faster."), "numbers not in the abstract: 3"),
        (correction_form("Zeta is fast.", quote="2.5 x"), "does not occur verbatim"),
        (correction_form("Zeta is fast.", value="2"), "does not contain the value 2"),
        (correction_form(" ".join(["word"] * 31)), "31 words"),
        (correction_form("Zeta is fast.", value="fast"), "is not a number"),
        (correction_form(""), "the takeaway is empty"),
    ],
)
def test_a_refused_correction_shows_the_reasons_and_stores_nothing(
    client: TestClient, db: Path, form: dict[str, str], reason: str
) -> None:
    response = post(client, f"/papers/{row_id(db, 'z1')}/correct", form)
    assert response.status_code == 422
    assert "Correction refused" in response.text and reason in response.text
    assert 'id="edit-form"' in response.text  # the form comes back with what was typed
    assert form["gain-0-quote"] in response.text
    status, engine, _, history = state(db, "z1")
    assert (status, engine, history) == ("draft", "offline", [])


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no token at all
        {"X-CSRF-Token": "forged.0000"},
        {"X-CSRF-Token": CsrfSigner(b"another process").new_token()},
    ],
)
def test_state_changes_without_a_valid_csrf_token_are_refused(
    client: TestClient, db: Path, headers: dict[str, str]
) -> None:
    token(client)
    paper = row_id(db, "z1")
    for action, data in [
        ("approve", {}),
        ("reject", {}),
        ("reopen", {}),
        ("regenerate", {}),
        ("correct", correction_form("Zeta serves 2.5x faster than vLLM.")),
    ]:
        response = client.post(f"/papers/{paper}/{action}", data=data, headers=headers)
        assert response.status_code == 403, action
        assert "CSRF" in response.text
    assert state(db, "z1")[3] == []


def test_the_token_must_match_the_cookie(db: Path) -> None:
    with make_client(db) as first, make_client(db) as second:
        # a valid token of this process, but not the one this browser's cookie holds
        theirs = token(second)
        token(first)
        response = first.post(
            f"/papers/{row_id(db, 'z1')}/approve", headers={"X-CSRF-Token": theirs}
        )
        assert response.status_code == 403
        first.cookies.clear()
        response = first.post(
            f"/papers/{row_id(db, 'z1')}/approve", headers={"X-CSRF-Token": theirs}
        )
        assert response.status_code == 403
    assert state(db, "z1")[3] == []


def test_a_plain_form_post_with_the_hidden_field_redirects(client: TestClient, db: Path) -> None:
    paper = row_id(db, "z1")
    response = client.post(
        f"/papers/{paper}/approve?status=draft",
        data={"csrf_token": token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/papers/{paper}?status=draft"
    assert state(db, "z1")[0] == "approved"


def test_next_and_previous_follow_the_filter(client: TestClient, db: Path) -> None:
    z1, e1, q1 = row_id(db, "z1"), row_id(db, "e1"), row_id(db, "q1")
    page = client.get(f"/papers/{z1}?claims=yes").text
    assert f'data-nav="next" href="/papers/{q1}?claims=yes"' in page  # e1 has no claims
    # no whole-queue count any more (it cost a scan of every paper): only whether it matches
    assert 'data-nav="prev"' not in page and "not in this filter" not in page
    assert "not in this filter" in client.get(f"/papers/{e1}?claims=yes").text
    page = client.get(f"/papers/{e1}").text
    assert f'href="/papers/{z1}"' in page and f'href="/papers/{q1}"' in page


def test_regenerate_with_the_offline_engine_keeps_the_correction(
    client: TestClient, db: Path
) -> None:
    paper = row_id(db, "z1")
    post(client, f"/papers/{paper}/correct", correction_form("Zeta serves 2.5x faster."))
    response = post(client, f"/papers/{paper}/regenerate")
    assert (
        response.status_code == 200 and "Summarized again with the offline engine" in response.text
    )
    status, engine, takeaway, _ = state(db, "z1")
    assert (status, engine, takeaway) == ("corrected", "human", "Zeta serves 2.5x faster.")


def test_regenerate_with_an_llm_reopens_an_approval_whose_summary_changed(
    db: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.handler = lambda body: Reply.content(good_answer(body))
    with make_client(db, llm={"base_url": fake_openai.url, "model": "gpt-4.1-mini"}) as llm:
        paper = row_id(db, "q1")
        post(llm, f"/papers/{paper}/approve")
        response = post(llm, f"/papers/{paper}/regenerate")
        assert "back to draft" in response.text
        assert "gpt-4.1-mini (summarize/v" in response.text
    status, engine, _, history = state(db, "q1")
    assert (status, engine) == ("draft", "llm")
    assert [r.action for r in history] == ["approve", "reopen"]
    assert len(fake_openai.chat_requests()) == 1


def test_a_failed_regenerate_is_reported_and_keeps_the_shown_summary(
    db: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.handler = lambda body: Reply.content({"papers": []})
    with make_client(db, llm={"base_url": fake_openai.url, "max_reasks": 0}) as llm:
        response = post(llm, f"/papers/{row_id(db, 'z1')}/regenerate")
        assert "Summarizing again with gpt-4.1-mini (summarize/v" in response.text
        assert "failed: invalid after 1 attempt(s)" in response.text
        assert "no answer was given for this id" in response.text
        assert "z1" in llm.get("/?failed=1").text
    assert state(db, "z1")[1] == "offline"


def test_corrections_persist_across_restarts_and_re_summarizing(
    db: Path, fake_openai: FakeOpenAIServer
) -> None:
    with make_client(db) as first:
        post(first, f"/papers/{row_id(db, 'z1')}/correct", correction_form("Zeta is 2.5x faster."))
    # the whole store is summarized again by another engine (an LLM run)
    from agent.summarize.engines import make_summarizer

    fake_openai.handler = lambda body: Reply.content(good_answer(body))
    settings = load_settings(db=str(db), llm={"base_url": fake_openai.url})
    store = open_engine(settings.database_url)
    assert summarize_pending(store, make_summarizer(settings, store, None)).summarized == 3
    with make_client(db) as restarted:
        page = restarted.get(f"/papers/{row_id(db, 'z1')}").text
        assert "Zeta is 2.5x faster." in page and "corrected by ana" in page
        assert 'id="status">corrected<' in page
    assert state(db, "z1")[:3] == ("corrected", "human", "Zeta is 2.5x faster.")


def test_unknown_papers_are_404(client: TestClient) -> None:
    assert client.get("/papers/999").status_code == 404
    assert post(client, "/papers/999/approve").status_code == 404


def test_a_url_nobody_serves_is_a_page_with_the_way_back(client: TestClient) -> None:
    # Before: a mistyped URL showed FastAPI's raw JSON ({"detail":"Not Found"}), and a missing
    # paper a bare fragment with no page around it.
    for url in ("/paper/1", "/papers/999"):
        page = client.get(url)
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        assert '<a href="/">← back to the queue</a>' in page.text and "<header" in page.text
    # htmx puts an error into the page it is on: it gets the message alone.
    fragment = client.get("/papers/999", headers={"HX-Request": "true"})
    assert fragment.text == "<p class='error' role='alert'>no paper with row id 999</p>"


def test_htmx_is_served_from_the_package(client: TestClient) -> None:
    response = client.get("/static/htmx.min.js")
    assert response.status_code == 200 and "license: 0BSD" in response.text[:300]
    assert 'src="http' not in client.get("/").text  # nothing from a CDN
