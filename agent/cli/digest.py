"""The `digest` and `digests` commands: write, send and look back at digests."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import (
    BaseUrlOption,
    DbOption,
    EngineOption,
    ModelOption,
    err,
    escape,
    open_store,
    out,
    settings_from_flags,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.config import Settings
    from agent.digest.editor_note import Note
    from agent.digest.render import OutputFormat
    from agent.digest.select import DigestItem

FormatArg = Annotated[
    str,
    typer.Option(
        "--format",
        help="markdown, html (one self-contained page), atom (a feed, one entry per paper) "
        "or email (a multipart .eml file: text + HTML).",
    ),
]
OutArg = Annotated[
    Path | None, typer.Option("--out", help="Write to this file instead of standard output.")
]


_DURATION = re.compile(r"(\d+)\s*([hdw])")
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
SINCE_HELP = "--since takes 'last', a date (2026-11-30) or a duration (36h, 1d, 2w)"


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """The moment a --since date (local midnight) or duration (before `now`) names."""
    now = now or datetime.now().astimezone()
    text = value.strip().lower()
    if match := _DURATION.fullmatch(text):
        return now - int(match[1]) * _UNIT[match[2]]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(SINCE_HELP, param_hint="--since") from None
    return datetime(day.year, day.month, day.day).astimezone()


def _output_format(fmt: str) -> OutputFormat:
    from agent.digest.render import FORMATS

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"--format must be one of {', '.join(FORMATS)}", param_hint="--format"
        )
    return fmt


def _write(text: str, out_path: Path | None, count: int) -> None:
    if out_path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text, encoding="utf-8")
    err.print(f"{count} papers → {escape(str(out_path))}")


def note_for(settings: Settings, store: Engine, items: list[DigestItem]) -> Note:
    """The LLM's checked note with an endpoint configured, else the statistical one."""
    from agent.digest.editor_note import llm_note, statistical_note

    if not items or not settings.use_llm:
        return statistical_note(items)
    from agent.llm.client import LLM  # only here: an offline digest never loads the openai client

    note = llm_note(LLM(settings.llm, store), items)
    for flag in note.flags:
        err.print(f"[yellow]editor's note:[/] {escape(flag)}")
    return note


def digest(
    db: DbOption = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="'last': only papers not in any earlier digest (and remember this one, so the "
            "next `--since last` starts after it). A date (2026-11-30) or a duration (36h, 1d, "
            "2w): only papers stored or given a new version since then."
        ),
    ] = None,
    fmt: FormatArg = "markdown",
    out_path: OutArg = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Email the digest (text + HTML) through the [smtp] server of the config file; "
            "the password comes from PAPERSKIM_SMTP__PASSWORD. Nothing is sent when no paper "
            "is new.",
        ),
    ] = False,
    approved_only: Annotated[
        bool,
        typer.Option("--approved-only", help="Only summaries a reviewer approved or corrected."),
    ] = False,
    everything: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also papers scoring under the profile's threshold (they are left out by "
            "default but stay in the store).",
        ),
    ] = False,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            help="Only the N most relevant papers with the strongest claims (default: every "
            "paper that qualifies). With --since last, the papers left out stay new for the "
            "next digest.",
        ),
    ] = None,
    note: Annotated[
        bool,
        typer.Option(
            "--note/--no-note",
            help="Open with an editor's note: written by the LLM when an endpoint is "
            "configured (every claim checked against the cited papers), else counts and the "
            "biggest claimed gains.",
        ),
    ] = True,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Write the digest of summarized papers: sections by topic, most relevant and strongest
    claims first, with why each paper is there.

    Relevance comes from the [profile] of the config file (keywords, topics, negative keywords,
    authors, categories, threshold). Summaries nobody reviewed yet are marked, rejected ones are
    left out, and a reviewer's correction is shown instead of the machine summary. A claimed gain
    that names no baseline, or is only an "up to" figure, is marked.

    Examples:

      paperskim digest --since last --format html --out digest.html

      paperskim digest --since last --send

      paperskim digest --format atom --out feed.xml
    """
    from agent.digest.mailer import send_message
    from agent.digest.render import build_email, render
    from agent.digest.select import collect, record_digest

    stored_since = parse_since(since) if since not in (None, "last") else None
    output = _output_format(fmt)
    settings = settings_from_flags(db, engine, model, base_url)
    store = open_store(settings, reads_only=True)
    items = collect(
        store,
        since_last=since == "last",
        profile=settings.profile,
        approved_only=approved_only,
        below_threshold=everything,
        top=top,
        stored_since=stored_since,
    )
    opening = note_for(settings, store, items) if note else None
    today = date.today()
    smtp = settings.smtp
    text = render(
        output,
        items,
        today=today,
        note=opening,
        sender=smtp.sender or "paperskim@localhost",
        recipients=smtp.recipients,
    )
    if since == "last" and not items and out_path is not None:
        # A second run on the same day must not overwrite that day's digest with an empty one.
        err.print(f"nothing new since the last digest: {escape(str(out_path))} not written")
    elif out_path is not None or not send:
        _write(text, out_path, len(items))
    sent_to: list[str] | None = None
    if send:
        if not items:
            err.print("nothing new: no email sent")
            return
        message = build_email(
            items,
            sender=smtp.sender or "",
            recipients=smtp.recipients,
            today=today,
            note=opening,
        )
        sent_to = send_message(message, smtp)
        err.print(f"{len(items)} papers emailed to {escape(', '.join(sent_to))}")
    if (since == "last" or send) and items:
        record_digest(store, items, out_path, fmt=output, sent_to=sent_to, note=opening)


def digests(
    digest_id: Annotated[
        int | None,
        typer.Argument(
            help="Show this past digest again (ids are in the list).", show_default=False
        ),
    ] = None,
    db: DbOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="Format to show a past digest in; default: the one it was made in."
        ),
    ] = None,
    out_path: OutArg = None,
    limit: Annotated[int, typer.Option(help="List at most this many digests.")] = 30,
) -> None:
    """List past digests (when, how many papers, where they went), or render one again.

    `paperskim digests` lists them newest first; `paperskim digests 3 --format html --out
    d3.html` renders digest 3 with the same papers, text, sections and editor's note it had.
    """
    from rich.table import Table

    from agent.digest.history import load_digest
    from agent.digest.render import FORMATS, render
    from store.digests import list_digests

    store = open_store(settings_from_flags(db), reads_only=True)
    if digest_id is None:
        table = Table("id", "made", "format", "papers", "file", "sent to", "editor's note")
        for d in list_digests(store, limit):
            note_by = str(d.note.get("made_by", "")) if d.note else ""
            table.add_row(
                str(d.id),
                f"{d.created_at:%Y-%m-%d %H:%M}",
                d.format,
                str(d.paper_count),
                escape(d.path or ""),
                escape(d.sent_to or ""),
                escape(note_by),
            )
        out.print(table)
        return
    stored, items, opening = load_digest(store, digest_id)
    wanted = fmt or (stored.format if stored.format in FORMATS else "markdown")
    smtp = settings_from_flags(db).smtp
    text = render(
        _output_format(wanted),
        items,
        today=stored.created_at.date(),
        note=opening,
        sender=smtp.sender or "paperskim@localhost",
        recipients=smtp.recipients,
    )
    _write(text, out_path, len(items))
