"""`fetch` and the morning `run` against a local replay server that misbehaves on purpose.

The fetcher's clock and sleep are fakes: the test checks the 3-second spacing arXiv asks for
without waiting for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from agent.config import FetchSettings
from agent.ingest.fetch import Fetcher
from store.db import open_engine
from tests.feed_server import FeedServer, Reply
from tests.test_mailer import SmtpServer, configure, smtp_server  # noqa: F401 (fixture)

FEEDS = Path(__file__).resolve().parent / "fixtures" / "feeds"
RSS = (FEEDS / "arxiv_rss2_cs.LG+cs.AI+cs.CL+stat.ML.xml").read_bytes()
HF = (FEEDS / "hf_daily_papers_2024-06-03.json").read_bytes()


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def api_page(first: int, count: int, day: int) -> bytes:
    """An arXiv API Atom page (the documented shape) of `count` entries, newest first."""
    entries = "".join(
        f"""<entry><id>http://arxiv.org/abs/2501.{first + i:05d}v1</id>
<published>2025-01-{day:02d}T{23 - i:02d}:00:00Z</published>
<title>Paper {first + i}</title><summary>We get a {i + 2}x speedup over vLLM.</summary>
<author><name>A. Author</name></author>
<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG"/>
<link href="http://arxiv.org/abs/2501.{first + i:05d}v1" rel="alternate" type="text/html"/>
</entry>"""
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>arXiv Query</title>{entries}</feed>"
    ).encode()


def api_path(start: int, size: int, query: str = "cat:cs.LG") -> str:
    params = {
        "search_query": query,
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": start,
        "max_results": size,
    }
    return f"/api/query?{urlencode(params)}"


def settings_for(server: FeedServer, **kw: object) -> FetchSettings:
    values: dict[str, object] = {
        "arxiv_api": f"{server.url}/api/query",
        "arxiv_rss": server.url,
        "hf_daily": f"{server.url}/api/daily_papers",
        "contact": "me@example.org",
        "page_size": 2,
        "max_results": 6,
        "timeout": 0.5,
    }
    values.update(kw)
    return FetchSettings.model_validate(values)


def test_arxiv_api_paging_spacing_retries_and_since_last_fetch(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    fake = FakeTime()
    with FeedServer() as server:
        server.routes[api_path(0, 2)] = [
            Reply(429, b"Rate exceeded.", {"Retry-After": "7"}),
            Reply(503, b"busy"),
            Reply(200, api_page(10, 2, day=20)),
        ]
        server.routes[api_path(2, 2)] = [
            Reply(200, api_page(12, 2, day=19), delay=0.8),
            Reply(200, api_page(12, 2, day=19)),
        ]
        server.routes[api_path(4, 2)] = [Reply(200, api_page(14, 1, day=18))]  # short page
        fetcher = Fetcher(
            settings_for(server), store, tmp_path / "out", clock=fake.clock, sleep=fake.sleep
        )
        result = fetcher.fetch("arxiv:cs.LG")
        assert result.error is None, result.error
        assert (len(result.files), result.entries) == (3, 5)
        # 429, 503, 200 on page 1; a timeout then 200 on page 2; page 3 short: 6 requests.
        assert [r.status for r in fetcher.log] == [429, 503, 200, 0, 200, 200]
        times = [r.at for r in fetcher.log]
        assert all(b - a >= 3.0 for a, b in itertools.pairwise(times)), times
        assert 7.0 in fake.slept  # Retry-After honoured
        assert server.requests[0].headers["User-Agent"].endswith("mailto:me@example.org)")

        # Next morning: two new papers on top; paging stops at the first page that reaches
        # what the last fetch saw, and page 2 is not asked for again.
        server.requests.clear()
        server.routes[api_path(0, 2)] = [Reply(200, api_page(8, 2, day=21))]
        server.routes[api_path(2, 2)] = [Reply(200, api_page(10, 2, day=20))]
        again = fetcher.fetch("arxiv:cs.LG")
        assert server.paths() == [api_path(0, 2), api_path(2, 2)]
        assert again.entries == 4
        fetcher.close()


def test_etag_cache_and_a_retry_after_over_the_cap(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    fake = FakeTime()
    with FeedServer() as server:
        server.routes["/rss/cs.LG+cs.CL"] = [Reply(200, RSS, etag='"v1"')]
        server.routes["/api/daily_papers"] = [Reply(429, b"", {"Retry-After": "3600"})]
        fetcher = Fetcher(
            settings_for(server), store, tmp_path / "out", clock=fake.clock, sleep=fake.sleep
        )
        first = fetcher.fetch("arxiv-rss:cs.LG+cs.CL")
        assert (len(first.files), first.entries) == (1, 4)
        second = fetcher.fetch("arxiv-rss:cs.LG+cs.CL")
        assert (second.files, second.not_modified) == ([], 1)  # 304: nothing fetched twice
        assert server.requests[1].headers.get("If-None-Match") == '"v1"'
        hf = fetcher.fetch("hf-daily")
        assert hf.error is not None and "3600 s, over the 120 s cap" in hf.error
        assert max(fake.slept, default=0) < 3600
        fetcher.close()


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    server = FeedServer().__enter__()
    monkeypatch.setenv("PAPERSKIM_FETCH__ARXIV_API", f"{server.url}/api/query")
    monkeypatch.setenv("PAPERSKIM_FETCH__ARXIV_RSS", server.url)
    monkeypatch.setenv("PAPERSKIM_FETCH__HF_DAILY", f"{server.url}/api/daily_papers")
    monkeypatch.setenv("PAPERSKIM_FETCH__ARXIV_DELAY", "0.05")
    monkeypatch.setenv("PAPERSKIM_FETCH__CONTACT", "me@example.org")
    monkeypatch.setenv("PAPERSKIM_FETCH__PAGE_SIZE", "2")
    monkeypatch.setenv("PAPERSKIM_FETCH__MAX_RESULTS", "4")
    yield server
    server.__exit__(None, None, None)


def test_the_morning_run_twice(
    replay: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    configure(monkeypatch, tmp_path, smtp_server)
    replay.routes["/rss/cs.LG"] = [Reply(200, RSS, etag='"r1"')]
    replay.routes[api_path(0, 2)] = [Reply(200, api_page(10, 2, day=20), etag='"a1"')]
    replay.routes[api_path(2, 2)] = [Reply(200, api_page(12, 2, day=19))]
    replay.routes["/api/daily_papers"] = [Reply(503, b"down")]  # a bad source, every time
    monkeypatch.setenv("PAPERSKIM_FETCH__MAX_RETRIES", "1")
    monkeypatch.setenv("PAPERSKIM_FETCH__MAX_WAIT", "0.2")
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "p.db")
    runner = CliRunner()
    args = ["run", "arxiv:cs.LG", "arxiv-rss:cs.LG", "hf-daily", "--db", db, "--send"]
    first = runner.invoke(app, args)
    print(first.output)
    assert first.exit_code == 3, first.output  # one source failed, the rest digested
    assert "8 new" in first.output and "8 summarized" in first.output
    digests = list((tmp_path / "digests").glob("*.md"))
    assert len(digests) == 1 and "Editor's note" in digests[0].read_text()
    assert len(smtp_server.inbox.messages) == 1
    asked = len(replay.requests)

    second = runner.invoke(app, args)
    print(second.output)
    assert second.exit_code == 3
    assert "0 new" in second.output and "nothing new since the last digest" in second.output
    assert len(list((tmp_path / "digests").glob("*.md"))) == 1
    assert len(smtp_server.inbox.messages) == 1  # nothing new: nothing sent
    new_requests = replay.paths()[asked:]
    # 304 for the API's first page and the RSS feed; the failing source retried once.
    assert new_requests.count(api_path(2, 2)) == 0
