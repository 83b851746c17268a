"""The digest: which papers go in, in which section and order, and the Markdown version.

Papers are scored against the reader's profile (agent/relevance.py), grouped in sections (the
profile's topics, else the paper's first category), and ordered by relevance, then by the
strength of their claims. A claim that names no baseline, or is only an "up to" figure, is
marked so readers see it for what it is. The text shown is the current summary (a reviewer's
correction first); rejected summaries are left out and unreviewed ones are marked.
HTML, Atom and email versions are in agent/digest_render.py; history in agent/digest_history.py.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine
from sqlmodel import Session

from agent.config import ProfileSettings
from agent.core.clock import as_utc
from agent.core.labels import engine_label as _label
from agent.core.models import Gain
from agent.core.text import http_url, markdown_code, markdown_text
from agent.core.units import claim_strength, format_value
from agent.digest.editor_note import Note
from agent.digest.relevance import Relevance, score_paper
from store.papers import public_id
from store.tables import Digest, DigestEntry, Paper, Summary
from store.views import (
    Candidate,
    PaperView,
    best_candidates,
    digest_candidates,
    iter_paper_views,
    paper_views,
)

NO_BASELINE = "⚠ no baseline named"
UP_TO_ONLY = "⚠ “up to” (best case) only"
# Papers with no profile topic and no category (Hugging Face daily papers, most files) are
# grouped by whether they claim anything measurable, strongest claims first.
CLAIMS_SECTION = "Papers with quantitative claims"
OTHER_SECTION = "Other new papers"
ONLY_SECTION = "New papers"  # the heading when no paper has a topic, a category or a claim
# Review statuses a reader may see; "rejected" summaries never reach a digest.
SHOWN_STATUSES = ("draft", "approved", "corrected")
APPROVED_STATUSES = ("approved", "corrected")


@dataclass(frozen=True)
class DigestItem:
    paper: Paper
    summary: Summary
    gains: list[Gain]
    relevance: Relevance = field(default_factory=Relevance)
    review: str = "draft"
    section: str = OTHER_SECTION

    @property
    def strength(self) -> float:
        return claim_strength(self.gains)

    @property
    def public_id(self) -> str:
        return public_id(self.paper)

    @property
    def unreviewed(self) -> bool:
        return self.review == "draft"


@dataclass(frozen=True)
class Section:
    name: str
    items: list[DigestItem]


def hype_marks(gain: Gain) -> list[str]:
    """Why a claimed gain deserves a second look: no baseline, or only a best case."""
    marks = []
    if gain.kind == "improvement" and not gain.baseline:
        marks.append(NO_BASELINE)
    if gain.qualifier == "up to":
        marks.append(UP_TO_ONLY)
    return marks


def engine_label(summary: Summary) -> str:
    """How a summary's maker is shown to readers (agent/core/labels.py)."""
    return _label(summary.engine, summary.model, summary.prompt_version)


def review_label(item: DigestItem) -> str:
    """The review mark readers see; empty for an approved summary."""
    if item.review == "draft":
        return "not reviewed yet"
    return "corrected by a reviewer" if item.review == "corrected" else ""


def section_of(paper: Paper, relevance: Relevance, gains: list[Gain] | None = None) -> str:
    """A paper's section: the first profile topic it matches, else its first category, else
    whether it claims a measurable gain."""
    if relevance.topics:
        return relevance.topics[0]
    if paper.categories:
        return paper.categories[0]
    return CLAIMS_SECTION if gains else OTHER_SECTION


def rank_key(item: DigestItem) -> tuple[float, float, str]:
    return (-item.relevance.score, -item.strength, item.paper.title.lower())


def collect(
    store: Engine,
    since_last: bool = False,
    *,
    profile: ProfileSettings | None = None,
    approved_only: bool = False,
    below_threshold: bool = False,
    top: int | None = None,
    stored_since: datetime | None = None,
) -> list[DigestItem]:
    """Summarized papers for a digest, most relevant and strongest claims first.

    `since_last` skips papers already in a digest; `stored_since` keeps papers stored (or given
    a new version) at or after that moment; rejected summaries are left out, and with
    `approved_only` so are unreviewed ones; with a profile, papers under its threshold are left
    out unless `below_threshold`; `top` keeps only the first N.

    What readers see of each paper (the summary shown, the review status, the LLM rating, the
    claim strength) is its read state in the store (store/paper_state.py). Relevance (the
    profile's whole-word keyword rules, agent/digest/relevance.py) is scored here. With `top`
    and a profile with no interests to score (the relevance is then the LLM rating alone), the
    store walks its index best first and only the first N and their ties are read; with
    interests every candidate is scored from plain rows, a keyset chunk at a time, and only the
    best N are kept; either way only the kept papers are loaded as views.
    """
    if top is not None and stored_since is None:
        return _top(store, top, since_last, profile, approved_only, below_threshold)
    items = sorted(
        _candidates(store, since_last, profile, approved_only, below_threshold, stored_since),
        key=rank_key,
    )
    return items if top is None else items[: max(top, 0)]


def _relevance(profile: ProfileSettings | None, c: Candidate | PaperView) -> Relevance:
    if profile is None:
        return Relevance()
    if isinstance(c, PaperView):
        assert c.summary is not None
        paper = c.paper
        return score_paper(
            profile,
            title=paper.title,
            abstract=paper.abstract,
            takeaway=c.summary.takeaway or "",
            authors=paper.authors,
            categories=paper.categories,
            llm_rating=c.llm_relevance,
        )
    return score_paper(
        profile,
        title=c.title,
        abstract=c.abstract,
        takeaway=c.takeaway,
        authors=c.authors,
        categories=c.categories,
        llm_rating=c.llm_relevance,
    )


def _top(
    store: Engine,
    top: int,
    since_last: bool,
    profile: ProfileSettings | None,
    approved_only: bool,
    below_threshold: bool,
) -> list[DigestItem]:
    """The first `top` items (the same order as sorting all), only the kept ones loaded as
    views: with no interests to score, from the store's best-first walk (store/views.py
    best_candidates); else every candidate scored from plain rows (digest_candidates)."""
    wanted = APPROVED_STATUSES if approved_only else SHOWN_STATUSES
    threshold = None if profile is None or below_threshold else profile.threshold
    if profile is None or not profile.has_interests:
        # Relevance is the LLM rating alone (none without a profile): the store ranks by it.
        best = best_candidates(
            store,
            wanted,
            max(top, 0),
            not_in_digest=since_last,
            rated=profile is not None,
            min_points=threshold,
        )
        ranked = [(-float(r.llm_points), -r.strength, r.title.lower(), r.paper_id) for r in best]
    else:
        ranked = []
        for c in digest_candidates(store, wanted, not_in_digest=since_last):
            relevance = _relevance(profile, c)
            if threshold is not None and not relevance.passes(threshold):
                continue
            ranked.append((-relevance.score, -c.strength, c.title.lower(), c.paper_id))
    kept = {key[3]: key for key in heapq.nsmallest(max(top, 0), ranked)}
    views = paper_views(store, ids=list(kept)) if kept else []
    items = [
        DigestItem(
            v.paper,
            v.summary,
            v.gains,
            relevance=(rel := _relevance(profile, v)),
            review=v.status,
            section=section_of(v.paper, rel, v.gains),
        )
        for v in views
        if v.summary is not None
    ]
    return sorted(items, key=lambda it: kept[it.paper.id or 0])


def _candidates(
    store: Engine,
    since_last: bool,
    profile: ProfileSettings | None,
    approved_only: bool,
    below_threshold: bool,
    stored_since: datetime | None = None,
) -> Iterator[DigestItem]:
    wanted = APPROVED_STATUSES if approved_only else SHOWN_STATUSES
    for view in iter_paper_views(store, not_in_digest=since_last):
        paper, summary = view.paper, view.summary
        if summary is None or view.status not in wanted:
            continue
        if stored_since is not None and as_utc(paper.updated_at) < as_utc(stored_since):
            continue
        relevance = _relevance(profile, view)
        if profile is not None and not below_threshold and not relevance.passes(profile.threshold):
            continue
        yield DigestItem(
            paper,
            summary,
            view.gains,
            relevance=relevance,
            review=view.status,
            section=section_of(paper, relevance, view.gains),
        )


def sections(items: list[DigestItem]) -> list[Section]:
    """Items grouped by section, sections in the order of their best paper, ranks kept."""
    grouped: dict[str, list[DigestItem]] = {}
    for it in items:
        grouped.setdefault(it.section, []).append(it)
    if list(grouped) == [OTHER_SECTION]:
        return [Section(ONLY_SECTION, items)]  # "Other" than nothing reads oddly
    return [Section(name, group) for name, group in grouped.items()]


def in_reading_order(items: list[DigestItem]) -> list[DigestItem]:
    """Items in the order a reader meets them: section by section."""
    return [it for section in sections(items) for it in section.items]


def made_by_line(items: list[DigestItem]) -> str:
    makers = Counter(engine_label(it.summary) for it in items)
    return ", ".join(f"{label}: {n}" for label, n in makers.most_common()) or "none"


def paper_link(paper: Paper) -> str | None:
    """The paper's http(s) url, else its arXiv abstract page (sources such as Hugging Face
    daily papers give an arXiv id and no url)."""
    if url := http_url(paper.url):
        return url
    return f"https://arxiv.org/abs/{quote(paper.arxiv_id)}" if paper.arxiv_id else None


def author_line(authors: list[str], shown: int = 3) -> str:
    """The first `shown` authors, then "et al." when there are more."""
    if len(authors) <= shown:
        return ", ".join(authors)
    return ", ".join(authors[:shown]) + " et al."


def shown_date(published: str | None) -> str:
    """A paper's date for readers: the day of an ISO date-time, else as the source gave it."""
    if published and len(published) >= 10 and published[4] == "-" and published[7] == "-":
        return published[:10]
    return published or ""


def _cell(text: str | None) -> str:
    return markdown_text(text)  # one line, its `|` escaped, no markup or links


def meta_parts(item: DigestItem) -> list[str]:
    """What is said about a paper besides its text: maker, review state, why it is here."""
    parts = [engine_label(item.summary)]
    if label := review_label(item):
        parts.append(label)
    if item.relevance.reasons:
        parts.append(f"relevance {item.relevance.score:g}: " + "; ".join(item.relevance.reasons))
    return parts


def render_markdown(
    items: list[DigestItem], today: date | None = None, note: Note | None = None
) -> str:
    """The digest as Markdown: editor's note, then one section per topic, papers numbered."""
    today = today or date.today()
    lines = [
        f"# paperskim digest — {today.isoformat()}",
        "",
        f"{len(items)} papers · summaries by {made_by_line(items)}",
        "",
    ]
    if note is not None and note.sentences:
        # The note's sentences are model text, escaped; its citations are ours (a bracketed
        # id with no link target after it is plain text in Markdown).
        said = " ".join(
            markdown_text(s.text)
            + (f" [{', '.join(markdown_text(p) for p in s.paper_ids)}]" if s.paper_ids else "")
            for s in note.sentences
        )
        lines += [f"**Editor's note** ({markdown_text(note.made_by)}): {said}", ""]
    if any(it.summary.engine == "offline" for it in items):
        lines += [
            "> Summaries marked *offline engine* were made without an LLM: gains found by "
            "patterns, takeaways extracted from the abstract.",
            "",
        ]
    if any(it.unreviewed for it in items):
        lines += ["> Summaries marked *not reviewed yet* have not been checked by a person.", ""]
    n = 0
    for section in sections(items):
        lines += [f"## {section.name}", ""]
        for it in section.items:
            n += 1
            # Paper text is escaped (no HTML, no links of its own); the only link is the
            # paper's url, and only when it is http(s), or its arXiv page.
            url = paper_link(it.paper)
            byline = [
                markdown_text(part)
                for part in (author_line(it.paper.authors), shown_date(it.paper.published))
                if part
            ]
            lines += [
                f"### {n}. {markdown_text(it.paper.title)}",
                "",
                *([" · ".join(byline), ""] if byline else []),
                markdown_code(it.public_id)
                + " · "
                + " · ".join(markdown_text(part) for part in meta_parts(it))
                + (f" · [link]({url})" if url else ""),
                "",
                markdown_text(it.summary.takeaway),
                "",
            ]
            if it.gains:
                lines += [
                    "| claim | metric | baseline | qualifier | kind | caveat |",
                    "|---|---|---|---|---|---|",
                ]
                for g in it.gains:
                    lines.append(
                        f"| **{_cell(format_value(g))}** | {_cell(g.metric)} | "
                        f"{_cell(g.baseline) or '—'} | {_cell(g.qualifier)} | {g.kind} | "
                        f"{'; '.join(hype_marks(g))} |"
                    )
                lines.append("")
            else:
                lines += ["*No quantitative claim in the abstract.*", ""]
    return "\n".join(lines)


def record_digest(
    store: Engine,
    items: list[DigestItem],
    path: Path | None,
    *,
    fmt: str = "markdown",
    sent_to: list[str] | None = None,
    note: Note | None = None,
) -> Digest:
    """Remember which papers went out, where, and with what text, so the next `--since last`
    digest skips them and `paperskim digests` can show this one again."""
    with Session(store, expire_on_commit=False) as session:
        digest = Digest(
            path=str(path.resolve()) if path else None,
            format=fmt,
            paper_count=len(items),
            sent_to=", ".join(sent_to) if sent_to else None,
            note=note.to_dict() if note is not None else None,
        )
        session.add(digest)
        session.flush()
        assert digest.id is not None
        for position, it in enumerate(in_reading_order(items)):
            assert it.paper.id is not None
            session.add(
                DigestEntry(
                    digest_id=digest.id,
                    paper_id=it.paper.id,
                    summary_id=it.summary.id,
                    position=position,
                    section=it.section,
                    score=it.relevance.score,
                    reasons=list(it.relevance.reasons),
                    review=it.review,
                )
            )
        session.commit()
        return digest
