"""Feeds: RSS 0.9x/1.0/2.0 and Atom (any site, arXiv's listings, the arXiv API), via feedparser.

feedparser reads every feed dialect and survives broken XML; this module turns its entries into
raw fields and takes apart arXiv's listing wrapper ("arXiv:2508.13426v1 Announce Type: cross
Abstract: …") into id, version and announce type, so only the abstract reaches a summary.
A feed cut short keeps the entries before the fault and reports where it stopped.
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser

from agent.ingest.opening import SNIFF_BYTES, IngestError, read_all

# `Raw*` live in readers; imported late there to avoid a cycle, so the types are redefined by
# name only through this import.
from agent.ingest.readers import Raw, RawProblem, RawRecord, split_arxiv_id

_WRAPPER_RE = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s+Abstract:\s*",
    re.IGNORECASE,
)
_OAI_RE = re.compile(r"^oai:arXiv\.org:", re.IGNORECASE)
_ENTRY_END_RE = re.compile(rb"</(?:\w+:)?(?:entry|item)\s*>")


class _TextOnly(HTMLParser):
    """HTML → its text (feeds put HTML in <description>); tags dropped, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"p", "br", "div", "li"}:
            self.parts.append(" ")


def html_to_text(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return html.unescape("".join(parser.parts))


def strip_arxiv_wrapper(summary: str) -> tuple[str, dict[str, object]]:
    """('Abstract text', {"id": ..., "announce_type": ...}) for an arXiv listing description."""
    match = _WRAPPER_RE.match(summary)
    if match is None:
        return summary, {}
    return summary[match.end() :], {"id": match.group("id"), "announce_type": match.group("type")}


def _date(entry: Mapping[str, Any]) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC).date().isoformat()
    return None


def _summary(entry: Mapping[str, Any]) -> str | None:
    detail = entry.get("summary_detail") or {}
    text = entry.get("summary")
    if not text:
        content = entry.get("content") or []
        if content:
            detail, text = content[0], content[0].get("value")
    if not isinstance(text, str):
        return None
    if "html" in str(detail.get("type", "")):
        text = html_to_text(text)
    return text


def entry_fields(entry: Mapping[str, Any]) -> dict[str, object]:
    """The raw fields of one feedparser entry."""
    fields: dict[str, object] = {}
    if entry.get("title"):
        fields["title"] = html_to_text(str(entry["title"]))
    summary = _summary(entry)
    wrapped: dict[str, object] = {}
    if summary is not None:
        summary, wrapped = strip_arxiv_wrapper(summary)
        fields["abstract"] = summary
    raw_id = str(entry.get("id") or entry.get("dc_identifier") or "").strip()
    raw_id = _OAI_RE.sub("", raw_id)
    link = entry.get("link")
    if isinstance(link, str) and link:
        fields["url"] = link
    # The wrapper's id carries the version; an arXiv API <id> is an abs URL with one.
    for candidate in (str(wrapped.get("id") or ""), raw_id, str(link or "")):
        if candidate and (parsed := split_arxiv_id(candidate)):
            arxiv_id, version = parsed
            fields["id"] = f"{arxiv_id}v{version}" if version else arxiv_id
            break
    else:
        if raw_id:
            fields["id"] = raw_id.removeprefix("doi:")
    announce = wrapped.get("announce_type") or entry.get("arxiv_announce_type")
    if announce:
        fields["announce_type"] = str(announce).strip().lower()
    if published := _date(entry):
        fields["published"] = published
    fields["authors"] = [
        html_to_text(str(a.get("name"))) for a in entry.get("authors") or [] if a.get("name")
    ]
    categories = [str(t.get("term")) for t in entry.get("tags") or [] if t.get("term")]
    primary = entry.get("arxiv_primary_category") or {}
    if isinstance(primary, Mapping) and primary.get("term"):
        categories.insert(0, str(primary["term"]))
    fields["categories"] = list(dict.fromkeys(categories))
    return fields


def read_feed(path: Path) -> Iterator[Raw]:
    """Every entry of an RSS or Atom feed; each entry's line is its 1-based index.

    The document is parsed whole (feeds are small; the arXiv API pages at most 2,000 entries).
    A feed that is not well-formed keeps the complete entries before the fault: an entry the
    fault cut into is reported, not stored with a cut abstract.
    """
    data = read_all(path)
    if not data.strip():
        raise IngestError(f"{path}: empty file")
    # Feeds declare no entities; refusing them rules out entity-expansion attacks outright.
    if b"<!ENTITY" in data[:SNIFF_BYTES]:
        raise IngestError(f"{path}: XML declaring entities (<!ENTITY) is not accepted")
    # Bytes, never a str: feedparser would treat a str as a URL and go fetch it.
    feed = parse_feed(data, path)
    entries = list(feed.entries)
    version = feed.get("version") or ""
    fault = feed.get("bozo_exception") if feed.get("bozo") else None
    if not version and not entries:
        detail = f" ({_fault_text(fault)})" if fault is not None else ""
        if data.lstrip()[:1] == b"<" and re.search(rb"<html|<!doctype html", data[:4096], re.I):
            raise IngestError(f"{path}: an HTML page, not a feed (an error page?){detail}")
        raise IngestError(f"{path}: not an RSS or Atom feed{detail}")
    closed = len(_ENTRY_END_RE.findall(data))
    for index, entry in enumerate(entries, start=1):
        if _is_api_error(entry):
            detail = " ".join(str(entry.get("summary", "")).split())
            yield RawProblem(index, f"arXiv API error: {detail}")
        elif fault is not None and _is_structural(fault) and index > closed:
            yield RawProblem(index, f"entry cut off by the end of the feed ({_fault_text(fault)})")
        else:
            yield RawRecord(index, entry_fields(entry))
    if fault is not None and _is_structural(fault):
        raise IngestError(
            f"{path}: feed stops early ({_fault_text(fault)}); "
            f"kept the {min(closed, len(entries))} complete entries before it"
        )


def parse_feed(data: bytes, where: object) -> feedparser.FeedParserDict:
    """feedparser's result; its own crashes on odd bytes become one IngestError."""
    try:
        return feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    except (UnicodeError, ValueError, LookupError) as exc:
        # feedparser 6.0.x raises UnicodeDecodeError from its encoding sniffing on some
        # byte sequences (found by the fuzz test) instead of setting `bozo`.
        raise IngestError(f"{where}: not a readable feed ({exc.__class__.__name__})") from exc


def _is_api_error(entry: Mapping[str, Any]) -> bool:
    return "arxiv.org/api/errors" in str(entry.get("id", ""))


def _is_structural(fault: BaseException) -> bool:
    # feedparser also sets bozo for a declared/actual encoding mismatch it then handled.
    return fault.__class__.__name__ == "SAXParseException"


def _fault_text(fault: BaseException | None) -> str:
    if fault is None:
        return ""
    line = getattr(fault, "getLineNumber", lambda: None)()
    column = getattr(fault, "getColumnNumber", lambda: None)()
    message = getattr(fault, "getMessage", lambda: str(fault))()
    where = f" at line {line}, column {column}" if line is not None else ""
    return f"not well-formed XML{where}: {message}"
