"""`paperskim serve` (review in the browser) and `paperskim review` (review in the terminal)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import (
    BaseUrlOption,
    DbOption,
    EngineOption,
    ModelOption,
    err,
    open_store,
    out,
    settings_from_flags,
)
from agent.core.urls import safe_url

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from agent.config import Settings

ReviewerOption = Annotated[
    str | None,
    typer.Option(
        help="Name recorded with your review actions. Default: [review] reviewer in the "
        "config file, else your OS user name."
    ),
]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_review_app(
    settings: Settings,
    *,
    store: Engine | None = None,
    reviewer: str | None = None,
    csrf_secret: bytes | None = None,
    host: str = "127.0.0.1",
    allow_hosts: tuple[str, ...] = (),
) -> FastAPI:
    """The review web app wired to the stages it needs: Regenerate summarizes through the
    summarize stage, the digest preview renders through the digest stage. It answers only
    requests addressed to `host` or `allow_hosts` (and this machine's loopback names)."""
    from agent.digest.render import preview_page
    from agent.review.web import ReviewServices, create_app
    from agent.summarize.engines import summarize_papers

    services = ReviewServices(resummarize=summarize_papers, digest_page=preview_page)
    return create_app(
        settings,
        services=services,
        store=store,
        reviewer=reviewer,
        csrf_secret=csrf_secret,
        host=host,
        allow_hosts=allow_hosts,
    )


def serve_command(
    db: DbOption = None,
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. The default serves only this machine; the UI has no "
            "login, so think twice before using 0.0.0.0."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Another name this server is reached by (e.g. the machine's DNS name); "
            "requests for any name not allowed are refused. Repeatable.",
        ),
    ] = None,
    reviewer: ReviewerOption = None,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Review summaries in your browser: http://127.0.0.1:8000 by default.

    The queue lists every paper with its review status and who summarized it, with filters.
    On a paper's page the abstract shows each claimed gain's quote highlighted; approve (a),
    reject (r), edit the takeaway and gains inline (e), or summarize it again with the
    configured engine (Regenerate). A correction must pass the same checks as model output;
    it is kept with its history and shown before any machine summary, also after later runs.
    j/k move to the next/previous paper. Stop the server with Ctrl-C.
    """
    import uvicorn

    from agent.review.actions import default_reviewer

    settings = settings_from_flags(db, engine, model, base_url)
    app = build_review_app(
        settings,
        store=open_store(settings),
        reviewer=reviewer or default_reviewer(settings.review.reviewer),
        host=host,
        allow_hosts=tuple(allow_host or ()),
    )
    if not _is_loopback(host):
        err.print(f"[yellow]Warning:[/] serving on {host}: anyone who can reach it can review.")
    out.print(
        f"Review UI on http://{host}:{port} "
        f"(database {safe_url(settings.database_url)}); Ctrl-C stops."
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def review_command(
    db: DbOption = None,
    status: Annotated[
        str,
        typer.Option(
            help="Which papers: draft (not reviewed yet), approved, corrected, rejected, or all."
        ),
    ] = "draft",
    search: Annotated[
        str | None, typer.Option("--search", help="Only papers whose text contains this.")
    ] = None,
    reviewer: ReviewerOption = None,
) -> None:
    """Review summaries in the terminal, one paper at a time.

    Each paper shows its abstract with the quoted gains highlighted, the takeaway and the gains.
    Type a key and Enter: a approve, r reject (with an optional reason), e write a new takeaway
    (checked like model output; the gains are kept), s skip, q quit. Edit gains in the browser
    (`paperskim serve`).
    """
    from agent.review.actions import default_reviewer
    from agent.review.terminal import review_in_terminal
    from agent.review.web.queue import QueueFilter

    if status not in ("draft", "approved", "corrected", "rejected", "all"):
        raise typer.BadParameter(
            "--status must be draft, approved, corrected, rejected or all", param_hint="--status"
        )
    settings = settings_from_flags(db)
    store = open_store(settings)
    name = reviewer or default_reviewer(settings.review.reviewer)
    wanted = QueueFilter.parse(status="" if status == "all" else status, q=search)
    review_in_terminal(store, name, out.console, out.console.input, wanted)
