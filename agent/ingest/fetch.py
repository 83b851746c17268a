"""Fetching sources over HTTP, politely: arXiv's API and listings, Hugging Face, any feed URL.

Etiquette, as the providers publish it: one request at a time and at least `arxiv_delay`
(3) seconds between requests to arXiv, a User-Agent naming the tool and a contact, 429/503
answered by waiting Retry-After (up to a cap, else the source fails with a message), ETag and
Last-Modified sent back so an unchanged feed costs a 304, timeouts on every request. The clock
and sleep are passed in, so tests check the spacing without waiting for it.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import feedparser
import httpx2
from sqlalchemy import Engine

from agent.config import FetchSettings
from agent.core.errors import PaperskimError
from agent.ingest.specs import SPEC_HELP
from store.fetch_state import get_fetch_state, save_fetch_state

RETRY_STATUSES = {429, 500, 502, 503, 504}
Clock = Callable[[], float]
Sleep = Callable[[float], None]


class FetchError(PaperskimError):
    """A source could not be fetched: the message says which URL and why."""


@dataclass
class Fetched:
    """One source fetched: the files saved (one per page), and what the requests did."""

    spec: str
    files: list[Path] = field(default_factory=list)
    urls: dict[Path, str] = field(default_factory=dict)
    requests: int = 0
    not_modified: int = 0
    entries: int = 0
    error: str | None = None

    def __str__(self) -> str:
        if self.error:
            return f"{self.spec}: FAILED: {self.error}"
        if not self.files:
            return (
                f"{self.spec}: nothing new ({self.requests} requests, "
                f"{self.not_modified} not modified)"
            )
        return (
            f"{self.spec}: fetched {len(self.files)} page(s), {self.entries} entries "
            f"({self.requests} requests, {self.not_modified} not modified)"
        )


def user_agent(contact: str | None) -> str:
    try:
        ours = version("paperskim")
    except PackageNotFoundError:  # running from a source tree
        ours = "dev"
    who = f"mailto:{contact}" if contact and "@" in contact and ":" not in contact else contact
    return f"paperskim/{ours} (paper-abstract digest; {who or 'no contact configured'})"


@dataclass
class _Request:
    at: float
    url: str
    status: int


class Fetcher:
    """HTTP GETs with spacing, retries, a cache, and state kept in the store."""

    def __init__(
        self,
        settings: FetchSettings,
        store: Engine,
        out_dir: Path,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.settings, self.store, self.out_dir = settings, store, out_dir
        self.clock, self.sleep = clock, sleep
        self.log: list[_Request] = []
        self._last: dict[str, float] = {}
        # max_connections=1: one connection at a time, as arXiv asks.
        self.client = httpx2.Client(
            timeout=settings.timeout,
            limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=True,
            headers={"User-Agent": user_agent(settings.contact)},
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def _is_arxiv(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        bases = (self.settings.arxiv_api, self.settings.arxiv_rss)
        return host == "arxiv.org" or host.endswith(".arxiv.org") or url.startswith(bases)

    def _wait_turn(self, url: str) -> None:
        key = "arxiv" if self._is_arxiv(url) else (urlsplit(url).hostname or "")
        delay = self.settings.arxiv_delay if key == "arxiv" else 0.0
        if key in self._last and delay > 0:
            remaining = self._last[key] + delay - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last[key] = self.clock()

    def get(self, url: str, *, conditional: bool = True) -> httpx2.Response | None:
        """The response, or None for 304 Not Modified. Raises FetchError with the reason."""
        headers: dict[str, str] = {}
        state = get_fetch_state(self.store, url) if conditional else None
        if state is not None:
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            self._wait_turn(url)
            started = self.clock()
            try:
                response = self.client.get(url, headers=headers)
            except httpx2.TimeoutException:
                self.log.append(_Request(started, url, 0))
                problem = f"no answer within {self.settings.timeout:g} s"
                wait = self._backoff(attempt)
            except httpx2.TransportError as exc:
                self.log.append(_Request(started, url, 0))
                problem = f"cannot connect: {exc.__class__.__name__}"
                wait = self._backoff(attempt)
            else:
                self.log.append(_Request(started, url, response.status_code))
                status = response.status_code
                if status == 304:
                    save_fetch_state(self.store, url, status=304)
                    return None
                if status not in RETRY_STATUSES:
                    if status >= 400:
                        raise FetchError(f"{url}: HTTP {status} {response.reason_phrase}")
                    return response
                problem = f"HTTP {status}"
                asked = _retry_after(response.headers.get("Retry-After"))
                if asked is not None and asked > self.settings.max_wait:
                    raise FetchError(
                        f"{url}: {problem}, the server asks to wait {asked:.0f} s, over the "
                        f"{self.settings.max_wait:.0f} s cap ([fetch] max_wait); try later"
                    )
                wait = asked if asked is not None else self._backoff(attempt)
            if attempt + 1 == attempts:
                raise FetchError(f"{url}: {problem} after {attempts} tries")
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return float(min(5.0 * 2**attempt, self.settings.max_wait))

    def _save(self, result: Fetched, url: str, response: httpx2.Response, name: str) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        kind = response.headers.get("Content-Type", "")
        body = response.content
        ext = ".json" if "json" in kind or body.lstrip()[:1] in (b"[", b"{") else ".xml"
        path = self.out_dir / f"{name}-{len(result.files) + 1}{ext}"
        path.write_bytes(body)
        result.files.append(path)
        result.urls[path] = url
        save_fetch_state(
            self.store,
            url,
            status=response.status_code,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
        return path

    def fetch(self, spec: str) -> Fetched:
        """Fetch one source spec (see `describe_spec`); a failure is recorded, not raised."""
        result = Fetched(spec)
        before = len(self.log)
        try:
            name = _slug(spec)
            if spec.startswith(("arxiv:", "arxiv-search:")):
                self._fetch_arxiv_api(result, spec, name)
            else:
                url = resolve_url(spec, self.settings)
                response = self.get(url)
                if response is None:
                    result.not_modified += 1
                else:
                    self._save(result, url, response, name)
                    result.entries += _count_entries(response.content)
        except FetchError as exc:
            result.error = str(exc)
        requests = self.log[before:]
        result.requests = len(requests)
        result.not_modified = sum(1 for r in requests if r.status == 304)
        return result

    def _fetch_arxiv_api(self, result: Fetched, spec: str, name: str) -> None:
        """Newest first by submission date, page by page, until a page reaches entries seen
        by the last fetch of this query (since-last-fetch), a short page, or max_results."""
        kind, _, value = spec.partition(":")
        if kind == "arxiv":
            query = " OR ".join(f"cat:{cat}" for cat in value.split("+") if cat)
        else:
            query = value
        if not query:
            raise FetchError(f"{spec}: name a category (arxiv:cs.LG) or a query")
        key = f"{self.settings.arxiv_api}?{urlencode({'search_query': query})}"
        state = get_fetch_state(self.store, key)
        seen = state.newest if state else None
        newest: str | None = None
        size = max(1, min(self.settings.page_size, self.settings.max_results))
        for start in range(0, self.settings.max_results, size):
            params = {
                "search_query": query,
                "sortBy": "submittedDate",
                "sortOrder": "descending",
                "start": start,
                "max_results": size,
            }
            url = f"{self.settings.arxiv_api}?{urlencode(params)}"
            response = self.get(url, conditional=start == 0)
            if response is None:
                break
            dates = list(_entry_dates(response.content))
            self._save(result, url, response, name)
            result.entries += len(dates)
            newest = max([newest or "", *dates]) or None
            if len(dates) < size or (seen is not None and dates and min(dates) <= seen):
                break
        if newest:
            save_fetch_state(self.store, key, status=200, newest=newest)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _entry_dates(body: bytes) -> Iterator[str]:
    """Each entry's published date-time (ISO, UTC) of a feed page."""
    try:
        entries = feedparser.parse(body).entries
    except (UnicodeError, ValueError, LookupError):
        return  # not a readable feed: the reader reports it when the page is ingested
    for entry in entries:
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        if parsed:
            yield time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(calendar.timegm(parsed)))
        else:
            yield ""


def _count_entries(body: bytes) -> int:
    if body.lstrip()[:1] == b"[":
        return body.count(b'"paper"') or body.count(b'"title"')
    try:
        return len(feedparser.parse(body).entries)
    except (UnicodeError, ValueError, LookupError):
        return 0


def _slug(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", spec).strip("-")[:80] or "source"


def resolve_url(spec: str, settings: FetchSettings) -> str:
    """The URL of a single-request spec."""
    if spec.startswith(("http://", "https://")):
        return spec
    kind, _, value = spec.partition(":")
    if kind in ("arxiv-rss", "arxiv-atom"):
        if not value:
            raise FetchError(f"{spec}: name one or more categories, e.g. {kind}:cs.LG+cs.CL")
        return f"{settings.arxiv_rss.rstrip('/')}/{kind.removeprefix('arxiv-')}/{value}"
    if kind == "hf-daily":
        return settings.hf_daily + (f"?{urlencode({'date': value})}" if value else "")
    raise FetchError(f"unknown source {spec!r}: use {SPEC_HELP}")
