"""What the review UI does besides the review log itself: corrections from a form, regenerating.

Approve, reject, reopen and correct are agent/review.py's; this module turns an edit form into
a `PaperSummary` and summarizes one paper again with the configured engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from agent.config import Settings
from agent.core.errors import CorrectionRefused
from agent.core.models import Gain, PaperSummary
from agent.review.actions import reopen
from store.reviews import review_status
from store.summaries import MadeBy, as_paper_summary, current_summary
from store.tables import Paper


class ResummarizeOutcome(Protocol):
    """What summarizing papers again reports (agent/summarize SummarizeReport + maker)."""

    summarized: int
    stale: int
    failures: list[tuple[str, str]]
    made_by: MadeBy | None


# (store, settings, paper ids) -> outcome; handed in by the command line
Resummarize = Callable[[Engine, Settings, Sequence[int]], ResummarizeOutcome]

GAIN_FIELDS = (
    "metric",
    "value",
    "value_high",
    "unit",
    "kind",
    "qualifier",
    "baseline",
    "condition",
    "quote",
)


def _number(raw: str, label: str, errors: list[str]) -> float | None:
    text = raw.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        errors.append(f"{label}: {raw.strip()!r} is not a number")
        return None


def form_gains(form: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Gain rows of an edit form (`gain-<n>-<field>`), as dicts, with problems found in them.

    A row whose quote, metric and value are all empty is an unused blank row and is dropped,
    as is a row marked `gain-<n>-remove`.
    """
    indexes = sorted(
        {int(key.split("-")[1]) for key in form if key.startswith("gain-") and key.count("-") >= 2}
    )
    gains: list[dict[str, Any]] = []
    errors: list[str] = []
    for n in indexes:
        row = {name: (form.get(f"gain-{n}-{name}") or "").strip() for name in GAIN_FIELDS}
        if form.get(f"gain-{n}-remove") or not (row["quote"] or row["metric"] or row["value"]):
            continue
        label = f"gain {len(gains) + 1}"
        value = _number(row["value"], f"{label} value", errors)
        if value is None and row["value"].strip() == "":
            errors.append(f"{label}: the value is empty")
        gains.append(
            {
                **row,
                "value": value if value is not None else 0.0,
                "value_high": _number(row["value_high"], f"{label} upper value", errors),
                "kind": row["kind"] or "improvement",
                "qualifier": row["qualifier"] or None,
                "baseline": row["baseline"] or None,
                "condition": row["condition"] or None,
            }
        )
    return gains, errors


def summary_from_form(paper_id: str, form: Mapping[str, str]) -> PaperSummary:
    """The corrected summary a form describes, or CorrectionRefused with what is malformed."""
    gains, errors = form_gains(form)
    if errors:
        raise CorrectionRefused(errors)
    try:
        return PaperSummary(
            id=paper_id,
            takeaway=form.get("takeaway", ""),
            has_claims=bool(gains),
            gains=[Gain.model_validate(g) for g in gains],
        )
    except ValidationError as exc:
        raise CorrectionRefused(
            [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from None


def _shown(session: Session, paper: Paper) -> dict[str, Any] | None:
    """The content readers see (takeaway and gains), to tell whether a new summary changed it."""
    summary = current_summary(session, paper)
    if summary is None:
        return None
    return as_paper_summary(session, "", summary).model_dump()


@dataclass
class Regenerated:
    """What summarizing one paper again did."""

    ok: bool
    engine: str
    label: str
    error: str | None = None
    reopened: bool = False


def regenerate(
    store: Engine, settings: Settings, paper_id: int, reviewer: str, resummarize: Resummarize
) -> Regenerated:
    """Summarize one paper again with the configured engine (through `resummarize`, which the
    command line hands in from the summarize stage) and report what happened.

    A correction stays in front of the new machine summary. When the summary readers see
    changes under an approval or rejection, the paper is reopened (back to draft), because
    what was reviewed is no longer what is shown.
    """
    with Session(store, expire_on_commit=False) as session:
        paper = session.get(Paper, paper_id)
        assert paper is not None
        before = _shown(session, paper)
    outcome = resummarize(store, settings, [paper_id])
    made_by = outcome.made_by
    assert made_by is not None
    label = (
        "the offline engine"
        if made_by.engine == "offline"
        else f"{made_by.model} ({made_by.prompt_version})"
    )
    result = Regenerated(ok=outcome.summarized > 0, engine=made_by.engine, label=label)
    if not result.ok:
        result.error = "; ".join(reason for _, reason in outcome.failures) or (
            "the abstract changed meanwhile"
            if outcome.stale
            else "another worker is summarizing this paper right now"
        )
    with Session(store) as session:
        stored = session.get(Paper, paper_id)
        assert stored is not None
        if _shown(session, stored) != before and review_status(session, stored) in (
            "approved",
            "rejected",
        ):
            reopen(session, stored, reviewer, note=f"regenerated with {made_by.engine}")
            session.commit()
            result.reopened = True
    return result
