"""What the commands that store papers (`ingest`, `fetch`, `run`) show and do once they are
stored: progress bars, the skipped and duplicate records, and the embedding for `ask`.

Like every command module it imports only light basics at its top (agent/cli/common.py
says why); rich and the stages are imported where they are used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from agent.cli.common import err, escape
from agent.cli.sources import print_sources
from agent.core.text import printable

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy import Engine

    from agent.ingest.step import IngestReport


@contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A transient progress bar on stderr (none when stderr is not a terminal)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err.console,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        yield progress


def shown(text: str | None) -> str:
    """Paper text for console markup: control sequences removed, rich's [tags] escaped."""
    return escape(printable(text or ""))


def print_lines(label: str, style: str, lines: list[str], hint: str = "") -> None:
    """At most 20 problem lines on stderr, then a count of the rest."""
    for line in lines[:20]:
        err.print(f"[{style}]{label}[/] {shown(line)}")
    if len(lines) > 20:
        err.print(f"[{style}]… and {len(lines) - 20} more[/]{hint}")


def print_ingest(report: IngestReport) -> None:
    """The records an ingest skipped or found duplicated, then what each source gave."""
    print_lines("skipped", "yellow", [str(e) for e in report.errors])
    print_lines("duplicate", "yellow", [str(d) for d in report.duplicates])
    print_sources(report)


def embed_new(store: Engine) -> None:
    """Embed the papers just stored (new ones, changed abstracts) for `ask`'s dense search.

    Done at ingest so that the first `ask` after a large backfill does not pay for it. Each
    chunk is committed as it is done; what a Ctrl-C or a failure leaves stays queued, and the
    next ingest or ask embeds it.
    """
    from agent.ask.embed import EmbeddingError, embed_missing

    try:
        with progress_bar("embed") as progress:
            task = progress.add_task("Embedding papers for ask", total=None)
            embed_missing(store, on_progress=lambda n: progress.advance(task, n))
    except EmbeddingError as exc:
        err.print(f"[yellow]warning[/] papers stored, but not embedded for ask: {exc}")
