"""Sources on the command line: files and fetch specs, each source's outcome, the exit code.

Exit codes of `ingest`, `fetch` and `run` (for cron):
  0  every source was read (also when nothing in it was new) and processed;
  3  at least one source failed (unreadable, cut short, HTTP error); the others were read and
     processed, and the digest written from them;
  1  nothing could be read (every source failed), or an error stopped the command;
  2  the command line is wrong (typer's usage error).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import err, escape
from agent.ingest.specs import SPEC_HELP, is_spec

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.config import Settings
    from agent.ingest.fetch import Fetched, Fetcher
    from agent.ingest.step import IngestReport

EXIT_OK, EXIT_NOTHING_READ, EXIT_SOURCE_FAILED = 0, 1, 3

SpecsArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Files (RSS/Atom feeds, arXiv API responses, JSON/JSONL incl. the Kaggle arXiv "
        "snapshot and Hugging Face daily papers, CSV incl. Zotero/Scopus/IEEE exports, BibTeX, "
        "trending listings; also .gz/.bz2/.xz) or sources to fetch: " + SPEC_HELP + ". "
        "Default: [fetch] sources in the config file.",
        show_default=False,
        metavar="SOURCE",
    ),
]
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Name a column or field: COLUMN=FIELD, e.g. --map 'Notes=abstract' or "
        "--map paper.summary=abstract. FIELD: title, abstract, id, url, authors, published, "
        "categories. Repeatable.",
    ),
]


def mapping_from(pairs: list[str] | None) -> dict[str, str]:
    from agent.ingest.fields import parse_map

    return parse_map(pairs)


def fetch_dir() -> Path:
    from agent.config import default_home

    return default_home() / "fetched" / date.today().isoformat()


def gather(
    store: Engine, settings: Settings, specs: list[str] | None
) -> tuple[list[Path], dict[Path, str], list[Fetched]]:
    """Local files as given; specs fetched now (saved under the data folder) in their place."""
    specs = specs or settings.fetch.sources
    if not specs:
        raise typer.BadParameter(
            "name at least one SOURCE (or set [fetch] sources in the config file)"
        )
    files: list[Path] = []
    labels: dict[Path, str] = {}
    fetched: list[Fetched] = []
    fetcher: Fetcher | None = None
    try:
        for spec in specs:
            if not is_spec(spec):
                files.append(Path(spec))
                continue
            if fetcher is None:
                from agent.ingest.fetch import Fetcher  # the HTTP client, only to fetch

                if not settings.fetch.contact:
                    err.print(
                        "[yellow]note:[/] no [fetch] contact configured; arXiv asks for one "
                        "in the User-Agent (set PAPERSKIM_FETCH__CONTACT=you@example.org)"
                    )
                fetcher = Fetcher(settings.fetch, store, fetch_dir())
            result = fetcher.fetch(spec)
            fetched.append(result)
            files.extend(result.files)
            labels.update(result.urls)
            print_fetched(result)
    finally:
        if fetcher is not None:
            fetcher.close()
    return files, labels, fetched


def print_fetched(result: Fetched) -> None:
    style = "red" if result.error else "green"
    label = "failed" if result.error else "fetched"
    err.print(f"[{style}]{label}[/] {escape(str(result))}")


def print_sources(report: IngestReport) -> None:
    for outcome in report.sources:
        if outcome.failed is None:
            err.print(f"[green]read[/] {escape(str(outcome))}")
        else:
            said = "kept the" in outcome.failed
            kept = (
                f" (kept the {outcome.read} records before it)" if outcome.read and not said else ""
            )
            err.print(f"[red]Error:[/] {escape(outcome.failed)}{escape(kept)}")


def exit_code(report: IngestReport, fetched: list[Fetched]) -> int:
    failures = len(report.failed_sources) + sum(1 for f in fetched if f.error)
    if failures == 0:
        return EXIT_OK
    # A fetch answered "not modified" was read fine: nothing in it was new.
    read_something = any(s.failed is None or s.read for s in report.sources) or any(
        f.error is None for f in fetched
    )
    return EXIT_SOURCE_FAILED if read_something else EXIT_NOTHING_READ
