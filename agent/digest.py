"""The Markdown digest: papers with their takeaways and claimed gains, strongest claims first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agent.models import Gain
from store.papers import public_id
from store.summaries import current_summary, gains_of
from store.tables import Digest, DigestEntry, Paper, Summary

NO_BASELINE = "⚠ no baseline named"


@dataclass(frozen=True)
class DigestItem:
    paper: Paper
    summary: Summary
    gains: list[Gain]

    @property
    def strength(self) -> float:
        return claim_strength(self.gains)


def gain_strength(gain: Gain) -> float:
    """How big a single improvement is, as a factor: 2.2x → 2.2, 40% → 1.4, anything else → 1."""
    if gain.kind != "improvement":
        return 0.0
    value = gain.value_high if gain.value_high is not None else gain.value
    if gain.unit == "x":
        return value
    if gain.unit == "%":
        return 1.0 + value / 100.0
    return 1.0


def claim_strength(gains: list[Gain]) -> float:
    """A paper's strongest claimed improvement; a claim with no baseline counts for less."""
    return max(
        (gain_strength(g) * (1.0 if g.baseline else 0.9) for g in gains),
        default=0.0,
    )


def engine_label(summary: Summary) -> str:
    """How a summary's maker is shown to readers, wherever it shows."""
    if summary.engine == "offline":
        return "offline engine (no LLM)"
    if summary.engine == "human":
        return f"corrected by {summary.model}"
    return f"{summary.model} ({summary.prompt_version})"


def collect(store: Engine, since_last: bool = False) -> list[DigestItem]:
    """Summarized papers for a digest, strongest claims first; `since_last` skips those sent."""
    with Session(store, expire_on_commit=False) as session:
        query = select(Paper).order_by(col(Paper.id))
        if since_last:
            sent = select(DigestEntry.paper_id)
            query = query.where(col(Paper.id).not_in(sent))
        items = []
        for paper in session.exec(query).all():
            summary = current_summary(session, paper)
            if summary is not None:
                items.append(DigestItem(paper, summary, gains_of(session, summary)))
    items.sort(key=lambda it: (-it.strength, it.paper.title.lower()))
    return items


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _value(gain: Gain) -> str:
    number = f"{gain.value:g}" if gain.value_high is None else f"{gain.value:g}–{gain.value_high:g}"
    return f"{number}{gain.unit}" if gain.unit in ("x", "%") else f"{number} {gain.unit}"


def render_markdown(items: list[DigestItem], today: date | None = None) -> str:
    """The digest as Markdown."""
    today = today or date.today()
    makers = Counter(engine_label(it.summary) for it in items)
    made_by = ", ".join(f"{label}: {n}" for label, n in makers.most_common()) or "none"
    lines = [
        f"# paperskim digest — {today.isoformat()}",
        "",
        f"{len(items)} papers · summaries by {made_by}",
        "",
    ]
    if any(it.summary.engine == "offline" for it in items):
        lines += [
            "> Summaries marked *offline engine* were made without an LLM: gains found by "
            "patterns, takeaways extracted from the abstract.",
            "",
        ]
    for n, it in enumerate(items, 1):
        lines += [
            f"## {n}. {it.paper.title}",
            "",
            f"`{public_id(it.paper)}` · {engine_label(it.summary)}"
            + (f" · [link]({it.paper.url})" if it.paper.url else ""),
            "",
            it.summary.takeaway or "",
            "",
        ]
        if it.gains:
            lines += ["| claim | metric | baseline | qualifier | kind |", "|---|---|---|---|---|"]
            for g in it.gains:
                lines.append(
                    f"| **{_cell(_value(g))}** | {_cell(g.metric)} | "
                    f"{_cell(g.baseline) or NO_BASELINE} | {_cell(g.qualifier) or ''} | {g.kind} |"
                )
            lines.append("")
        else:
            lines += ["*No quantitative claim in the abstract.*", ""]
    return "\n".join(lines)


def record_digest(store: Engine, items: list[DigestItem], path: Path | None) -> Digest:
    """Remember which papers went out, so the next `--since last` digest skips them."""
    with Session(store, expire_on_commit=False) as session:
        digest = Digest(path=str(path) if path else None, paper_count=len(items))
        session.add(digest)
        session.flush()
        assert digest.id is not None
        for it in items:
            assert it.paper.id is not None
            session.add(DigestEntry(digest_id=digest.id, paper_id=it.paper.id))
        session.commit()
        return digest
