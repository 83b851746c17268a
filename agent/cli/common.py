"""What every paperskim command shares: consoles, common options, settings and the store.

The command modules (agent/cli/*.py) import at their top only typer, this module and
agent.core: `paperskim --help` and `--version` load every command's options, so a command
imports the stages, the store, pydantic, openai and the like inside its body, where they are
used (tests/test_fast_start.py holds this; bench/bench_startup.py measures it). Even rich is
imported only when something is printed through it: it is a third of what the bare start
would load otherwise.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from agent.core.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from agent.config import Settings


class LazyConsole:
    """A rich Console made (and rich imported) on first use."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr

    @cached_property
    def console(self) -> Console:
        """The Console itself, for code that takes one (progress bars, reports, the reviewer)."""
        from rich.console import Console

        return Console(stderr=self._stderr)

    def print(self, *objects: Any, **options: Any) -> None:
        self.console.print(*objects, **options)

    def print_json(self, json: str) -> None:
        self.console.print_json(json)

    @property
    def is_terminal(self) -> bool:
        return self.console.is_terminal


out = LazyConsole()
err = LazyConsole(stderr=True)


def escape(markup: str) -> str:
    """Text with rich's [tags] escaped (rich.markup.escape, imported on first use)."""
    from rich.markup import escape as rich_escape

    return rich_escape(markup)


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file or database URL. Default: $PAPERSKIM_DB, the config file's `db`, "
        "else ~/.local/share/paperskim/paperskim.db.",
    ),
]
EngineOption = Annotated[
    Literal["auto", "offline", "llm"] | None,
    typer.Option(
        help="auto: the LLM if an endpoint or key is configured, else the offline engine."
    ),
]
ModelOption = Annotated[str | None, typer.Option(help="Model name at the endpoint.")]
BaseUrlOption = Annotated[
    str | None, typer.Option(help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1.")
]
SourcesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Files to read: RSS/Atom feeds (arXiv listings and API responses included), "
        "JSON/JSONL (Hugging Face daily papers, the Kaggle arXiv snapshot), CSV (Zotero, "
        "Scopus, IEEE exports), BibTeX (.bib), a trending-papers listing (.txt); each may be "
        ".gz/.bz2/.xz compressed.",
        show_default=False,
        metavar="SOURCE",
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Force the input format: feed (RSS/Atom), jsonl, json, csv, bibtex, listing.",
    ),
]
ExtractionOption = Annotated[
    Literal["full", "confirm"] | None,
    typer.Option(
        help="LLM only. full: the model writes every gain, quote included. confirm: the "
        "offline rules list the numbers and the model only confirms and labels them (quotes "
        "verbatim by construction; for small local models). Default: the config's "
        "llm.extraction, else full.",
    ),
]
ConcurrencyOption = Annotated[
    int, typer.Option(help="LLM requests in flight at once.", min=1, max=64)
]


def settings_from_flags(
    db: str | None = None,
    engine: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    extraction: str | None = None,
) -> Settings:
    from agent.config import load_settings

    flags = {"model": model, "base_url": base_url, "extraction": extraction}
    llm = {k: v for k, v in flags.items() if v is not None}
    settings = load_settings(db=db, engine=engine, llm=llm or None)
    if settings.engine == "llm" and settings.llm.base_url is None and settings.llm.api_key is None:
        # Said before any request is made: otherwise every paper would be tried, fail on the
        # missing key and be marked failed, and the user would learn it from a list of failures.
        raise ConfigError(
            "--engine llm needs an endpoint or a key: set PAPERSKIM_LLM__BASE_URL (or --base-url) "
            "or OPENAI_API_KEY"
        )
    return settings


def open_store(settings: Settings, *, writes: bool = False, reads_only: bool = False) -> Engine:
    """The store the settings name; `writes`: a command that stores papers or summaries, which
    first checks that a SQLite file is not damaged (store/failures.py); `reads_only`: a command
    that only looks (stats, show, digest...), which refuses a SQLite file that does not exist
    rather than create an empty one (a typo in --db would otherwise answer "0 papers")."""
    from store.db import open_engine

    url = settings.database_url
    if reads_only and url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path.startswith("file:"):  # a SQLite URI ("file:x.db?mode=ro&uri=true")
            path = path.removeprefix("file:").split("?", 1)[0]
        if path and path != ":memory:" and not Path(path).exists():
            raise StoreError(
                f"no database at {path} (check --db or $PAPERSKIM_DB; "
                "`paperskim run` or `paperskim ingest` creates one)"
            )
    return open_engine(url, check=writes)
