"""The review web app: `create_app(settings)` builds it; `paperskim serve` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent import __version__
from agent.config import Settings
from agent.core.text import http_url
from agent.review.actions import default_reviewer
from agent.review.web.actions import Resummarize
from agent.review.web.csrf import CsrfSigner
from agent.review.web.security import HostGuard, allowed_hosts
from store.db import open_engine

HERE = Path(__file__).parent
# (store, settings) -> (the digest as it would be written now, as a whole HTML page; its size)
DigestPage = Callable[[Engine, Settings], tuple[str, int]]


@dataclass(frozen=True)
class ReviewServices:
    """What the review UI asks of other stages. The command line hands these in (see
    agent/cli/review.py `build_review_app`), so the review stage imports no other stage."""

    resummarize: Resummarize  # Regenerate: summarize papers again with the configured engine
    digest_page: DigestPage  # the digest preview: (whole HTML page, number of papers)


def create_app(
    settings: Settings,
    *,
    services: ReviewServices,
    store: Engine | None = None,
    reviewer: str | None = None,
    csrf_secret: bytes | None = None,
    host: str = "127.0.0.1",
    allow_hosts: tuple[str, ...] = (),
) -> FastAPI:
    """The app over the store the settings name (or `store`), recording actions as `reviewer`.

    It answers only requests addressed to `host` (the address it is served on), this machine's
    loopback names and `allow_hosts` (agent/review/web/security.py).
    """
    from agent.review.web.routes import is_htmx, render_page, router

    app = FastAPI(title="paperskim review", version=__version__, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.services = services
    app.state.store = store if store is not None else open_engine(settings.database_url)
    app.state.reviewer = reviewer or default_reviewer(settings.review.reviewer)
    app.state.csrf = CsrfSigner(csrf_secret)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    # A paper's url becomes a link only when it is http(s); otherwise the page shows it as text.
    app.state.templates.env.filters["http_url"] = http_url
    app.add_middleware(HostGuard, hosts=allowed_hosts(host, allow_hosts))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)

    # Starlette's HTTPException (FastAPI's is a subclass) also covers a URL no route has.
    @app.exception_handler(StarletteHTTPException)
    async def _error_page(request: Request, exc: StarletteHTTPException) -> Response:
        # htmx shows an error in the page's message area, so it gets the message alone; a
        # browser that opened the URL gets a whole page, with the way back to the queue.
        if is_htmx(request):
            from markupsafe import escape

            body = f"<p class='error' role='alert'>{escape(str(exc.detail))}</p>"
            return HTMLResponse(body, status_code=exc.status_code)
        context = {"detail": exc.detail, "status_code": exc.status_code}
        return render_page(request, "error.html", context, status_code=exc.status_code)

    return app
