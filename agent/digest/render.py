"""The digest as a self-contained HTML page, an Atom feed, and a multipart email.

Paper text (titles, takeaways, gains, authors) is data from outside: the HTML template escapes
everything (jinja2 autoescape), links are kept only when they are http(s), and the feed is
written with ElementTree, which escapes all text it is given.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine

from agent.config import Settings
from agent.core.clock import as_utc
from agent.core.text import http_url
from agent.core.units import format_value
from agent.digest.editor_note import Note
from agent.digest.select import (
    DigestItem,
    collect,
    engine_label,
    hype_marks,
    made_by_line,
    render_markdown,
    review_label,
    sections,
)

OutputFormat = Literal["markdown", "html", "atom", "email"]
FORMATS: tuple[OutputFormat, ...] = ("markdown", "html", "atom", "email")
TEMPLATES = Path(__file__).parent / "templates"
ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ID = "urn:paperskim:digest"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def anchor(public_id: str) -> str:
    return "p-" + quote(public_id, safe="")


def _gain_rows(item: DigestItem) -> list[dict[str, Any]]:
    return [
        {
            "value": format_value(g),
            "metric": g.metric,
            "baseline": g.baseline or "—",
            "qualifier": g.qualifier or "",
            "kind": g.kind,
            "condition": g.condition or "",
            "quote": g.quote,
            "marks": hype_marks(g),
        }
        for g in item.gains
    ]


def _paper_view(n: int, item: DigestItem) -> dict[str, Any]:
    return {
        "n": n,
        "id": item.public_id,
        "anchor": anchor(item.public_id),
        "title": item.paper.title,
        "url": http_url(item.paper.url),
        "authors": item.paper.authors,
        "maker": engine_label(item.summary),
        "offline": item.summary.engine == "offline",
        "review": review_label(item),
        "unreviewed": item.unreviewed,
        "score": item.relevance.score,
        "reasons": list(item.relevance.reasons),
        "takeaway": item.summary.takeaway or "",
        "gains": _gain_rows(item),
    }


def render_html_page(
    items: list[DigestItem], today: date | None = None, note: Note | None = None
) -> str:
    """The digest as one HTML page with its styles inline: no external file, readable on a phone."""
    today = today or date.today()
    known = {it.public_id for it in items}
    view_sections = []
    n = 0
    for section in sections(items):
        papers = []
        for it in section.items:
            n += 1
            papers.append(_paper_view(n, it))
        view_sections.append({"name": section.name, "papers": papers})
    note_view = None
    if note is not None and note.sentences:
        note_view = {
            "made_by": note.made_by,
            "flags": note.flags,
            "sentences": [
                {
                    "text": s.text,
                    "cites": [(pid, anchor(pid)) for pid in s.paper_ids if pid in known],
                }
                for s in note.sentences
            ],
        }
    return _env.get_template("digest.html.j2").render(
        today=today.isoformat(),
        count=len(items),
        made_by=made_by_line(items),
        note=note_view,
        sections=view_sections,
        any_offline=any(it.summary.engine == "offline" for it in items),
        any_unreviewed=any(it.unreviewed for it in items),
    )


def _entry_html(item: DigestItem) -> str:
    esc = html.escape
    parts = [f"<p>{esc(item.summary.takeaway or '')}</p>"]
    meta = [engine_label(item.summary)]
    if label := review_label(item):
        meta.append(label)
    if item.relevance.reasons:
        meta.append("; ".join(item.relevance.reasons))
    parts.append(f"<p><small>{esc(' · '.join(meta))}</small></p>")
    if item.gains:
        rows = "".join(
            f"<tr><td><b>{esc(format_value(g))}</b></td><td>{esc(g.metric)}</td>"
            f"<td>{esc(g.baseline or '—')}</td><td>{esc('; '.join(hype_marks(g)))}</td></tr>"
            for g in item.gains
        )
        parts.append(
            "<table><tr><th>claim</th><th>metric</th><th>baseline</th><th>caveat</th></tr>"
            f"{rows}</table>"
        )
    return "".join(parts)


def render_atom(
    items: list[DigestItem],
    note: Note | None = None,
    updated: datetime | None = None,
    feed_link: str | None = None,
) -> str:
    """The digest as an Atom feed: one entry per paper, the editor's note as the subtitle."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    updated = as_utc(updated or datetime.now(UTC))
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "title", "paperskim digest")
    sub(feed, "id", FEED_ID)
    sub(feed, "updated", updated.isoformat())
    sub(feed, "generator", "paperskim")
    if note is not None and note.sentences:
        sub(feed, "subtitle", note.as_text())
    if feed_link and http_url(feed_link):
        sub(feed, "link", rel="self", href=feed_link)
    for it in items:
        entry = sub(feed, "entry")
        sub(entry, "title", it.paper.title)
        sub(entry, "id", f"urn:paperskim:{quote(it.paper.key, safe='')}:v{it.paper.version}")
        sub(entry, "updated", as_utc(it.summary.created_at).isoformat())
        if url := http_url(it.paper.url):
            sub(entry, "link", rel="alternate", href=url)
        for name in it.paper.authors or ["unknown"]:
            sub(sub(entry, "author"), "name", name)
        for term in [it.section, *it.paper.categories]:
            sub(entry, "category", term=term)
        sub(entry, "summary", it.summary.takeaway or "")
        sub(entry, "content", _entry_html(it), type="html")
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def build_email(
    items: list[DigestItem],
    *,
    sender: str,
    recipients: list[str],
    today: date | None = None,
    note: Note | None = None,
) -> EmailMessage:
    """A multipart/alternative email: the Markdown digest as text, the HTML page as HTML."""
    today = today or date.today()
    message = EmailMessage()
    message["Subject"] = f"paperskim digest — {today.isoformat()}: {len(items)} papers"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="paperskim.local")
    message.set_content(render_markdown(items, today, note))
    message.add_alternative(render_html_page(items, today, note), subtype="html")
    return message


def render(
    fmt: OutputFormat,
    items: list[DigestItem],
    *,
    today: date | None = None,
    note: Note | None = None,
    sender: str = "paperskim@localhost",
    recipients: list[str] | None = None,
) -> str:
    """The digest in any output format, as text (an email as its .eml source)."""
    if fmt == "html":
        return render_html_page(items, today, note)
    if fmt == "atom":
        return render_atom(items, note)
    if fmt == "email":
        message = build_email(
            items, sender=sender, recipients=recipients or [], today=today, note=note
        )
        return message.as_string()
    return render_markdown(items, today, note)


PREVIEW_TOP = 50  # the preview shows what a reader meets first, not the whole store


def preview_page(store: Engine, settings: Settings) -> tuple[str, int]:
    """The HTML digest as `paperskim digest --format html` would write it now (the reader's
    profile applies, nothing is recorded), and how many papers it has: the review UI's preview."""
    items = collect(store, profile=settings.profile, top=PREVIEW_TOP)
    return render_html_page(items), len(items)
