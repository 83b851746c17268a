"""The `fetch` command: download sources (arXiv, Hugging Face, any feed) into the store."""

from __future__ import annotations

import typer

from agent.cli.common import DbOption, open_store, out, settings_from_flags
from agent.cli.sources import SpecsArg, exit_code, gather
from agent.cli.stored import embed_new, print_ingest


def fetch_command(sources: SpecsArg = None, db: DbOption = None) -> None:
    """Fetch SOURCES and store their papers (no summarizing; `run` does the whole job).

    arXiv is asked politely: one request at a time, 3 seconds apart, with a User-Agent naming
    your [fetch] contact; 429/503 answers are retried after Retry-After (up to [fetch]
    max_wait). Unchanged feeds cost a 304 (ETag/Last-Modified), and an arXiv API query stops
    paging at the papers its last fetch saw. Exit code: 0 all fetched; 3 a source failed;
    1 none could be fetched.

    Examples:

      paperskim fetch arxiv:cs.LG+cs.CL

      paperskim fetch arxiv-search:'all:"speculative decoding"'

      paperskim fetch arxiv-rss:cs.LG hf-daily https://example.org/feed.xml
    """
    from agent.ingest.step import ingest_files

    settings = settings_from_flags(db)
    store = open_store(settings)
    files, labels, fetched = gather(store, settings, sources)
    report = ingest_files(store, files, labels=labels)
    print_ingest(report)
    embed_new(store)
    out.print(
        f"{report.new} new, {report.updated} changed, {report.unchanged} already stored, "
        f"{len(report.errors)} invalid records"
    )
    if code := exit_code(report, fetched):
        raise typer.Exit(code=code)
