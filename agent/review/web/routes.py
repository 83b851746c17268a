"""Pages and actions of the review UI.

Every page is rendered on the server; htmx requests (header HX-Request) get the changed part
only, plain form posts get a redirect or the full page, so the UI also works without JavaScript.
State-changing routes are POSTs that need the CSRF token (agent/web/csrf.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session

from agent.core.errors import CorrectionRefused
from agent.core.labels import engine_label
from agent.review.actions import approve, correct, reject, reopen
from agent.review.web.actions import GAIN_FIELDS, regenerate, summary_from_form
from agent.review.web.csrf import COOKIE, FIELD, require_csrf, token_for
from agent.review.web.highlight import highlight_quotes
from agent.review.web.queue import QueueFilter, load_page, neighbours, queue_row, status_counts
from store.papers import public_id
from store.reviews import review_history
from store.summaries import attempts_on_current
from store.tables import Paper, Review

# approve / reject / reopen: (session, paper, reviewer, note) -> the logged Review
ReviewAction = Callable[[Session, Paper, str, str | None], Review]

router = APIRouter()
Csrf = Annotated[None, Depends(require_csrf)]


def _store(request: Request) -> Engine:
    store: Engine = request.app.state.store
    return store


def render_page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A template response that also (re)sets the CSRF cookie the page's token belongs to."""
    token = token_for(request)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request,
        template,
        {**context, "csrf_token": token, "csrf_field": FIELD},
        status_code=status_code,
    )
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def _filter(
    status: str | None = None,
    engine: str | None = None,
    claims: str | None = None,
    failed: str | None = None,
    q: str | None = None,
) -> QueueFilter:
    return QueueFilter.parse(status, engine, claims, failed, q)


Filter = Annotated[QueueFilter, Depends(_filter)]


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    wanted: Filter,
    after: Annotated[int | None, Query(ge=0)] = None,
    before: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """The queue, a page at a time: papers matching the filter after row id `after` (or just
    before `before`), with their status and who summarized them."""
    store = _store(request)
    page = load_page(store, wanted, after=after, before=before)
    return render_page(
        request,
        "queue.html",
        {
            "rows": page.rows,
            "page": page,
            "filter": wanted,
            "counts": status_counts(store),
            "first_page": after is None and before is None,
        },
    )


def _paper(session: Session, paper_id: int) -> Paper:
    paper = session.get(Paper, paper_id)
    if paper is None:
        raise HTTPException(status_code=404, detail=f"no paper with row id {paper_id}")
    return paper


def _neighbours(store: Engine, paper_id: int, wanted: QueueFilter) -> dict[str, Any]:
    """Previous and next paper ids in the filtered queue (keyset look-ups, not the queue)."""
    found = neighbours(store, paper_id, wanted)
    return {"prev_id": found.prev_id, "next_id": found.next_id, "in_queue": found.in_queue}


def _draft(row_summary: Any, gains: list[Any]) -> dict[str, Any]:
    """Edit-form values from the shown summary."""
    return {
        "takeaway": row_summary.takeaway if row_summary else "",
        "gains": [
            {
                name: ("" if getattr(g, name) is None else _plain(getattr(g, name)))
                for name in GAIN_FIELDS
            }
            for g in gains
        ],
        "note": "",
    }


def _plain(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _draft_from_form(form: dict[str, str]) -> dict[str, Any]:
    """Edit-form values as the reviewer sent them (to show again beside the refusal)."""
    indexes = sorted(
        {int(k.split("-")[1]) for k in form if k.startswith("gain-") and k.count("-") >= 2}
    )
    gains = [
        {name: form.get(f"gain-{n}-{name}", "") for name in GAIN_FIELDS}
        for n in indexes
        if not form.get(f"gain-{n}-remove")
        and any(form.get(f"gain-{n}-{name}") for name in ("quote", "metric", "value"))
    ]
    return {"takeaway": form.get("takeaway", ""), "gains": gains, "note": form.get("note", "")}


def _paper_context(
    request: Request,
    paper_id: int,
    wanted: QueueFilter,
    *,
    editing: bool = False,
    draft: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    store = _store(request)
    with Session(store, expire_on_commit=False) as session:
        paper = _paper(session, paper_id)
        row = queue_row(session, paper)
        history = review_history(session, paper)
        attempts = attempts_on_current(session, paper)
    return {
        "paper": paper,
        "row": row,
        "pid": public_id(paper),
        "abstract_html": highlight_quotes(paper.abstract, [g.quote for g in row.gains]),
        "history": list(reversed(history)),
        "attempts": [(s, engine_label(s.engine, s.model, s.prompt_version)) for s in attempts],
        "filter": wanted,
        "nav": _neighbours(store, paper_id, wanted),
        "editing": editing,
        "draft": draft if draft is not None else _draft(row.summary, row.gains),
        "errors": errors or [],
        "message": message,
        "kinds": ("improvement", "cost"),
        "qualifiers": ("", "up to", "average", "over", "under", "about", "at least"),
    }


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _paper_response(
    request: Request, paper_id: int, wanted: QueueFilter, status_code: int = 200, **kwargs: Any
) -> HTMLResponse:
    template = "_paper_body.html" if is_htmx(request) else "paper.html"
    context = _paper_context(request, paper_id, wanted, **kwargs)
    return render_page(request, template, context, status_code=status_code)


@router.get("/papers/{paper_id}", response_class=HTMLResponse)
def paper_page(
    request: Request,
    paper_id: int,
    wanted: Filter,
    edit: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """One paper: abstract with quotes marked, the shown summary, actions and history."""
    return _paper_response(request, paper_id, wanted, editing=edit)


def _done(request: Request, paper_id: int, wanted: QueueFilter, message: str) -> Response:
    if is_htmx(request):
        return _paper_response(request, paper_id, wanted, message=message)
    query = wanted.query_string()
    return RedirectResponse(f"/papers/{paper_id}" + (f"?{query}" if query else ""), status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def _act(
    request: Request, paper_id: int, wanted: Filter, action: ReviewAction, message: str
) -> Response:
    note = (await _form(request)).get("note") or None
    with Session(_store(request)) as session:
        action(session, _paper(session, paper_id), request.app.state.reviewer, note)
        session.commit()
    return _done(request, paper_id, wanted, message)


@router.post("/papers/{paper_id}/approve")
async def approve_paper(request: Request, paper_id: int, wanted: Filter, _: Csrf) -> Response:
    return await _act(request, paper_id, wanted, approve, "Approved.")


@router.post("/papers/{paper_id}/reject")
async def reject_paper(request: Request, paper_id: int, wanted: Filter, _: Csrf) -> Response:
    return await _act(request, paper_id, wanted, reject, "Rejected.")


@router.post("/papers/{paper_id}/reopen")
async def reopen_paper(request: Request, paper_id: int, wanted: Filter, _: Csrf) -> Response:
    return await _act(request, paper_id, wanted, reopen, "Reopened: back to draft.")


@router.post("/papers/{paper_id}/correct")
async def correct_paper(request: Request, paper_id: int, wanted: Filter, _: Csrf) -> Response:
    """Store the edited summary, or show the form again with every reason it was refused."""
    form = await _form(request)
    with Session(_store(request)) as session:
        paper = _paper(session, paper_id)
        try:
            fixed = summary_from_form(public_id(paper), form)
            correct(session, paper, fixed, request.app.state.reviewer, form.get("note") or None)
        except CorrectionRefused as refused:
            session.rollback()
            return _paper_response(
                request,
                paper_id,
                wanted,
                status_code=422,
                editing=True,
                draft=_draft_from_form(form),
                errors=refused.errors,
            )
        session.commit()
    return _done(
        request, paper_id, wanted, "Correction saved; it is shown before any machine summary."
    )


@router.post("/papers/{paper_id}/regenerate")
async def regenerate_paper(request: Request, paper_id: int, wanted: Filter, _: Csrf) -> Response:
    """Summarize this paper again with the configured engine (a correction stays in front)."""
    with Session(_store(request)) as session:
        _paper(session, paper_id)
    state = request.app.state
    result = regenerate(
        _store(request), state.settings, paper_id, state.reviewer, state.services.resummarize
    )
    if result.ok:
        message = f"Summarized again with {result.label}."
        if result.reopened:
            message += " The shown summary changed, so the paper is back to draft."
    else:
        message = f"Summarizing again with {result.label} failed: {result.error}"
    return _done(request, paper_id, wanted, message)


def _digest_now(request: Request) -> tuple[str, int]:
    """What `paperskim digest --format html` would write now (the reader's profile applies)."""
    state = request.app.state
    page, count = state.services.digest_page(_store(request), state.settings)
    return str(page), int(count)


@router.get("/digest", response_class=HTMLResponse)
def digest_page(request: Request) -> HTMLResponse:
    """A preview of the digest as it would be written now (nothing is recorded as sent)."""
    _, count = _digest_now(request)
    return render_page(request, "digest.html", {"digest": None, "framed": True, "count": count})


@router.get("/digest/page", response_class=HTMLResponse)
def digest_document(request: Request) -> HTMLResponse:
    """The digest's own HTML page (what `paperskim digest --format html` writes), for the frame."""
    response = HTMLResponse(_digest_now(request)[0])
    # Shown only inside the preview's sandboxed frame: no scripts, no plugins, same origin only.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
