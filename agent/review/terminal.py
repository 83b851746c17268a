"""`paperskim review`: the review queue in the terminal, one paper at a time.

Input is read a line at a time through a `read(prompt)` function, so a test drives the loop with
a stream of answers and a person types a key and Enter. The queue is the web UI's
(agent/web/queue.py) and every action goes through agent/review.py, so both record the same log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import Session

from agent.core.errors import CorrectionRefused
from agent.core.models import PaperSummary
from agent.core.text import printable
from agent.core.units import format_number
from agent.review.actions import approve, correct, reject
from agent.review.web.highlight import quote_spans
from agent.review.web.queue import QueueFilter, QueueRow, queue_ids, queue_row
from store.summaries import as_paper_summary
from store.tables import Paper

Reader = Callable[[str], str]
KEYS = (
    "[bold]a[/] approve · [bold]r[/] reject · [bold]e[/] edit takeaway · "
    "[bold]s[/] skip · [bold]q[/] quit"
)


def stream_reader(stream: IO[str], console: Console) -> Reader:
    """A reader over a text stream (tests, pipes): echoes the prompt, EOFError at the end."""

    def read(prompt: str) -> str:
        console.print(prompt, end="")
        line = stream.readline()
        if not line:
            raise EOFError
        console.print(escape(line.rstrip("\n")), highlight=False)
        return line.rstrip("\n")

    return read


def plain_text(value: str | None, style: str = "") -> Text:
    """Paper text for the terminal: no control sequence reaches it (Text is never markup)."""
    return Text(printable(value or ""), style=style)


def marked_abstract(abstract: str, quotes: list[str]) -> Text:
    """The abstract with every quoted gain marked (and numbered like its gain)."""
    # Cleaned before the spans are found, so the marks fall on what is shown.
    abstract, quotes = printable(abstract), [printable(q) for q in quotes]
    text = Text(abstract)
    for start, end, members in quote_spans(abstract, quotes):
        text.stylize("bold black on yellow", start, end)
        text.stylize(f"link gain-{members[0] + 1}", start, end)
    return text


def show_paper(console: Console, row: QueueRow, position: int, total: int) -> None:
    paper = row.paper
    console.rule(f"{position} of {total}", style="dim")
    console.print(plain_text(paper.title, style="bold"))
    console.print(
        plain_text(
            f"{row.public_id} · version {paper.version} · status: {row.status} · {row.maker}"
        )
    )
    console.print()
    console.print(marked_abstract(paper.abstract, [g.quote for g in row.gains]))
    console.print()
    if row.summary is None:
        reason = f": last attempt failed ({row.failure.error})" if row.failure else ""
        console.print(plain_text(f"No summary yet{reason}.", style="italic"))
        return
    console.print(Text.assemble(("Takeaway: ", "bold"), plain_text(row.summary.takeaway)))
    if not row.gains:
        console.print("No quantitative claims.")
        return
    table = Table("#", "claim", "metric", "kind", "baseline", "quote")
    for n, g in enumerate(row.gains, 1):
        span = format_number(g.value, g.value_high)
        claim = (
            (f"{g.qualifier} " if g.qualifier else "")
            + span
            + (g.unit if g.unit in ("x", "%") else f" {g.unit}")
        )
        table.add_row(
            str(n),
            plain_text(claim),
            plain_text(g.metric),
            g.kind,
            plain_text(g.baseline or "⚠ none named"),
            plain_text(g.quote),
        )
    console.print(table)


def _edit_takeaway(
    store: Engine, console: Console, read: Reader, paper_id: int, reviewer: str
) -> bool:
    """Ask for a new takeaway (gains kept); True once a correction is stored."""
    while True:
        new = read("New takeaway (empty line: cancel): ").strip()
        if not new:
            console.print("Edit cancelled.")
            return False
        with Session(store) as session:
            paper = session.get(Paper, paper_id)
            assert paper is not None
            row = queue_row(session, paper)
            if row.summary is not None:
                shown = as_paper_summary(session, row.public_id, row.summary)
                fixed = shown.model_copy(update={"takeaway": new})
            else:
                fixed = PaperSummary(id=row.public_id, takeaway=new, has_claims=False, gains=[])
            try:
                correct(session, paper, fixed, reviewer)
            except CorrectionRefused as refused:
                console.print(Text("Correction refused, nothing stored:", style="bold red"))
                for reason in refused.errors:
                    console.print(plain_text(f"  - {reason}", style="red"))
                continue
            session.commit()
            console.print(Text("Correction saved.", style="green"))
            return True


def review_in_terminal(
    store: Engine,
    reviewer: str,
    console: Console,
    read: Reader,
    wanted: QueueFilter | None = None,
) -> Counter[str]:
    """Walk the queue one paper at a time; returns how many papers got each action."""
    wanted = wanted if wanted is not None else QueueFilter(status="draft")
    ids = queue_ids(store, wanted)
    done: Counter[str] = Counter()
    if not ids:
        console.print("Nothing to review with this filter.")
        return done
    console.print(f"{len(ids)} papers to review. Keys: {KEYS}, then Enter.")
    for position, paper_id in enumerate(ids, 1):
        with Session(store, expire_on_commit=False) as session:
            paper = session.get(Paper, paper_id)
            assert paper is not None
            row = queue_row(session, paper)
        show_paper(console, row, position, len(ids))
        try:
            action = _ask(store, console, read, row, reviewer)
        except EOFError:
            action = "quit"
        if action == "quit":
            break
        done[action] += 1
    console.print(
        "Reviewed: "
        + (", ".join(f"{action} {n}" for action, n in sorted(done.items())) or "nothing")
    )
    return done


def _ask(store: Engine, console: Console, read: Reader, row: QueueRow, reviewer: str) -> str:
    """One paper's decision: approved, rejected, corrected, skipped or quit."""
    assert row.paper.id is not None
    while True:
        key = read("a r e s q > ").strip().lower()
        if key == "q":
            return "quit"
        if key == "s":
            return "skipped"
        if key == "a":
            if row.summary is None:
                console.print("Nothing to approve: this paper has no summary (edit it or skip).")
                continue
            with Session(store) as session:
                paper = session.get(Paper, row.paper.id)
                assert paper is not None
                approve(session, paper, reviewer)
                session.commit()
            console.print(Text("Approved.", style="green"))
            return "approved"
        if key == "r":
            note = read("Why (optional, Enter to skip): ").strip() or None
            with Session(store) as session:
                paper = session.get(Paper, row.paper.id)
                assert paper is not None
                reject(session, paper, reviewer, note)
                session.commit()
            console.print(Text("Rejected.", style="red"))
            return "rejected"
        if key == "e":
            if _edit_takeaway(store, console, read, row.paper.id, reviewer):
                return "corrected"
            continue
        console.print(f"Keys: {KEYS}")
