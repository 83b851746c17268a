"""The `paperskim` command: thin commands over the pipeline steps in agent/ and store/."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent import __version__
from agent.cli.common import (
    BaseUrlOption,
    ConcurrencyOption,
    DbOption,
    EngineOption,
    ExtractionOption,
    FormatOption,
    ModelOption,
    SourcesArg,
    err,
    escape,
    open_store,
    out,
    settings_from_flags,
)
from agent.cli.digest import digest as digest_command
from agent.cli.digest import digests as digests_command
from agent.cli.digest import note_for
from agent.cli.eval import eval_command
from agent.cli.interrupt import stopped_by_ctrl_c
from agent.cli.sources import (
    EXIT_NOTHING_READ,
    MapOption,
    SpecsArg,
    exit_code,
    gather,
    mapping_from,
)
from agent.cli.stored import embed_new, print_ingest, print_lines, progress_bar, shown
from agent.core.errors import NotFoundError, PaperskimError
from agent.core.labels import OFFLINE_LABEL
from agent.core.labels import engine_label as maker_label
from agent.core.units import format_number
from agent.core.urls import safe_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.config import Settings
    from agent.export import ExportFormat
    from agent.ingest.records import Format
    from agent.ingest.step import IngestReport
    from agent.summarize.engines import Summarizer
    from agent.summarize.outcomes import SummarizeReport
    from store.tables import Run

app = typer.Typer(
    help="Summarize new paper abstracts into one-line takeaways and their claimed gains "
    "(quoted verbatim), store them, and draft a digest.\n\n"
    "With no LLM endpoint configured, the built-in offline engine (no LLM) is used. "
    "Configure an OpenAI-compatible endpoint with PAPERSKIM_LLM__BASE_URL / OPENAI_API_KEY "
    "and PAPERSKIM_LLM__MODEL, or a paperskim.toml file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _ingest(
    store: Engine,
    sources: list[Path],
    fmt: str | None,
    mapping: list[str] | None = None,
    labels: dict[Path, str] | None = None,
) -> IngestReport:
    from agent.ingest.step import ingest_files

    names = mapping_from(mapping)
    with progress_bar("ingest") as progress:
        task = progress.add_task("Reading papers", total=None)
        report = ingest_files(
            store,
            sources,
            fmt=_format(fmt),
            on_records=lambda n: progress.advance(task, n),
            mapping=names,
            labels=labels,
        )
    print_ingest(report)
    embed_new(store)
    return report


def _format(fmt: str | None) -> Format | None:
    from agent.ingest.records import FORMATS

    if fmt is not None and fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    return fmt


def _summarize(
    store: Engine, summarizer: Summarizer, run: Run, limit: int | None, report: SummarizeReport
) -> SummarizeReport:
    """Fill `report` (the caller's, so that it still has the counts after a Ctrl-C)."""
    from agent.summarize.engines import summarize_pending

    made_by = summarizer.made_by
    label = maker_label(made_by.engine, made_by.model)
    with progress_bar("summarize") as progress:
        task = progress.add_task(f"Summarizing with {label}", total=None)
        summarize_pending(
            store,
            summarizer,
            run_id=run.id,
            limit=limit,
            on_start=lambda n: progress.update(task, total=n),
            on_progress=lambda n: progress.advance(task, n),
            report=report,
        )
    print_lines("warning", "yellow", [f"{pid}: {text}" for pid, text in report.warnings])
    print_lines(
        "failed",
        "red",
        [f"{pid}: {reason}" for pid, reason in report.failures],
        " (see `paperskim show ID`)",
    )
    return report


def _start(
    store: Engine, settings: Settings, command: str, concurrency: int, **fields: Any
) -> tuple[Run, Summarizer]:
    """A run row and the summarizer it uses (whose LLM calls are logged against the run)."""
    from agent.summarize.engines import make_summarizer
    from store.runs import start_run

    run_row = start_run(store, command, engine="llm" if settings.use_llm else "offline", **fields)
    summarizer = make_summarizer(settings, store, run_row.id, concurrency)
    made_by = summarizer.made_by
    run_row.model, run_row.prompt_version = made_by.model, made_by.prompt_version
    return run_row, summarizer


def _exit_if_nothing_worked(report: SummarizeReport) -> None:
    """Exit 1 when every paper tried failed (a dead endpoint, a bad key), so that a cron chain
    like `summarize && digest --send` stops; partial failures are retried by the next run."""
    if report.failed and not report.summarized:
        err.print("[red]Error:[/] every paper failed; nothing was summarized (see above).")
        raise typer.Exit(code=1)


def _print_run(run: Run, settings: Settings, seconds: float, not_tried: int = 0) -> None:
    from rich.table import Table

    table = Table(title=f"paperskim run {run.id}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    engine = maker_label(run.engine, run.model, run.prompt_version)
    rows = [
        ("engine", engine),
        (
            "papers",
            f"{run.papers_new} new, {run.papers_updated} changed, "
            f"{run.papers_unchanged} already stored, {run.records_invalid} invalid records",
        ),
        (
            "summaries",
            f"{run.summarized} summarized, {run.failed} failed, "
            + (f"{not_tried} not tried (--limit), " if not_tried else "")
            + f"{run.skipped} up to date",
        ),
    ]
    if run.engine == "llm":
        cost = (
            f"${run.cost_usd:.4f}" if run.cost_usd is not None else "unknown (no price for model)"
        )
        rows.append(
            (
                "LLM",
                f"{run.llm_calls} calls, {run.input_tokens:,} tokens in, "
                f"{run.output_tokens:,} out, estimated cost {cost}",
            )
        )
    rows.append(("digest", run.digest_path or "nothing new since the last digest"))
    rows.append(("database", safe_url(settings.database_url)))
    rows.append(("time", f"{seconds:.1f} s"))
    for key, value in rows:
        table.add_row(key, escape(value))
    out.print(table)


def _digest_path(settings: Settings, out_path: Path | None) -> Path:
    """--out, else the day's file; a second digest the same day gets its own (-2, -3, ...)."""
    if out_path is not None:
        return out_path
    folder = settings.digest.out_dir or Path("digests")
    stamp = date.today().isoformat()
    path, n = folder / f"digest-{stamp}.md", 1
    while path.exists():
        n += 1
        path = folder / f"digest-{stamp}-{n}.md"
    return path


@app.command()
def run(
    sources: SpecsArg = None,
    db: DbOption = None,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    extraction: ExtractionOption = None,
    fmt: FormatOption = None,
    mapping: MapOption = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Digest file. Default: digests/digest-<date>.md")
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Also email the digest through the [smtp] server (nothing is sent when no "
            "paper is new).",
        ),
    ] = False,
    note: Annotated[
        bool, typer.Option("--note/--no-note", help="Open the digest with the editor's note.")
    ] = True,
    limit: Annotated[int | None, typer.Option(help="Summarize at most this many papers.")] = None,
    concurrency: ConcurrencyOption = 4,
) -> None:
    """The whole morning job: fetch or read SOURCES, summarize every new paper, store, and
    write (and with --send, email) a digest of what no earlier digest had.

    Running it again the same day fetches only what changed (cached by ETag/Last-Modified),
    summarizes nothing twice, and writes or sends nothing when nothing is new. A source that
    fails is reported and the others are still summarized and digested. Exit code: 0 all
    sources read; 3 a source failed (the rest done); 1 nothing could be read.

    Examples:

      paperskim run arxiv:cs.LG --send

      paperskim run arxiv-rss:cs.LG+cs.CL hf-daily

      paperskim run today.xml export.csv.gz
    """
    from agent.summarize.outcomes import SummarizeReport
    from store.runs import finish_run

    started = time.perf_counter()
    settings = settings_from_flags(db, engine, model, base_url, extraction)
    store = open_store(settings, writes=True)
    run_row, summarizer = _start(
        store, settings, "run", concurrency, source=", ".join(sources or settings.fetch.sources)
    )
    summarized = SummarizeReport()
    so_far: dict[str, Any] = {}

    def counts() -> dict[str, Any]:
        # What the run had done when it stopped: the ingest counts once ingest finished.
        return {**so_far, "summarized": summarized.summarized, "failed": summarized.failed}

    with stopped_by_ctrl_c(store, run_row, counts):
        files, labels, fetched = gather(store, settings, sources)
        ingested = _ingest(store, files, fmt, mapping, labels)
        so_far.update(
            papers_new=ingested.new,
            papers_updated=ingested.updated,
            papers_unchanged=ingested.unchanged,
            records_invalid=len(ingested.errors),
        )
        code = exit_code(ingested, fetched)
        if code == EXIT_NOTHING_READ:
            # Closed as an error by closed_on_error, as the Exit leaves the block.
            err.print("[red]Error:[/] no source could be read; nothing was summarized.")
            raise typer.Exit(code=code)
        _summarize(store, summarizer, run_row, limit, summarized)
        digest_file = _write_run_digest(store, settings, out_path, send=send, note=note)
    run_row = finish_run(
        store,
        run_row,
        model=run_row.model,
        prompt_version=run_row.prompt_version,
        papers_new=ingested.new,
        papers_updated=ingested.updated,
        papers_unchanged=ingested.unchanged,
        records_invalid=len(ingested.errors),
        summarized=summarized.summarized,
        failed=summarized.failed,
        # Up to date: read but needing no summary (papers beyond --limit still need one).
        skipped=max(ingested.records - summarized.pending, 0),
        digest_path=str(digest_file) if digest_file else None,
    )
    _print_run(run_row, settings, time.perf_counter() - started, summarized.not_tried)
    _exit_if_nothing_worked(summarized)
    if code:
        raise typer.Exit(code=code)


def _write_run_digest(
    store: Engine, settings: Settings, out_path: Path | None, *, send: bool, note: bool
) -> Path | None:
    """The digest of papers in no earlier digest, with the editor's note; None if none."""
    from agent.digest.mailer import send_message
    from agent.digest.render import build_email
    from agent.digest.select import collect, record_digest, render_markdown

    items = collect(store, since_last=True, profile=settings.profile)
    if not items:
        return None
    opening = note_for(settings, store, items) if note else None
    digest_file = _digest_path(settings, out_path)
    digest_file.parent.mkdir(parents=True, exist_ok=True)
    digest_file.write_text(render_markdown(items, note=opening), encoding="utf-8")
    sent_to = None
    if send:
        smtp = settings.smtp
        message = build_email(
            items,
            sender=smtp.sender or "",
            recipients=smtp.recipients,
            today=date.today(),
            note=opening,
        )
        sent_to = send_message(message, smtp)
        err.print(f"{len(items)} papers emailed to {escape(', '.join(sent_to))}")
    record_digest(store, items, digest_file, sent_to=sent_to, note=opening)
    return digest_file


@app.command()
def ingest(
    sources: SourcesArg,
    db: DbOption = None,
    fmt: FormatOption = None,
    mapping: MapOption = None,
) -> None:
    """Read papers from SOURCES (files) into the store (no summarizing; `fetch` downloads).

    The same paper from two sources or two runs is stored once: by the id its source gave
    (an arXiv id, a DOI, a key), by title only when a source gives no id; a changed abstract
    becomes a new version that will be summarized again, and an older arXiv version never
    replaces a newer one. Invalid records are reported with their file and line; the other
    records still go in. A file that cannot be read, or stops part way, is reported and the
    other files are read. Exit code: 0 every file read; 3 a file failed; 1 none could be read.
    """
    settings = settings_from_flags(db)
    report = _ingest(open_store(settings, writes=True), sources, fmt, mapping)
    out.print(
        f"{report.new} new, {report.updated} changed, {report.unchanged} already stored, "
        f"{len(report.errors)} invalid records"
    )
    if code := exit_code(report, []):
        raise typer.Exit(code=code)


@app.command()
def summarize(
    db: DbOption = None,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    extraction: ExtractionOption = None,
    limit: Annotated[int | None, typer.Option(help="Summarize at most this many papers.")] = None,
    concurrency: ConcurrencyOption = 4,
) -> None:
    """Summarize every stored paper that has no valid summary from this engine, model and prompt.

    Papers that failed before are tried again. Each batch is stored as soon as it is done, so an
    interrupted run loses nothing and the next one continues where it stopped.
    """
    from agent.summarize.outcomes import SummarizeReport
    from store.runs import finish_run

    settings = settings_from_flags(db, engine, model, base_url, extraction)
    store = open_store(settings, writes=True)
    run_row, summarizer = _start(store, settings, "summarize", concurrency)
    report = SummarizeReport()

    def counts() -> dict[str, Any]:
        return {"summarized": report.summarized, "failed": report.failed}

    with stopped_by_ctrl_c(store, run_row, counts):
        _summarize(store, summarizer, run_row, limit, report)
    run_row = finish_run(
        store,
        run_row,
        model=run_row.model,
        prompt_version=run_row.prompt_version,
        summarized=report.summarized,
        failed=report.failed,
    )
    line = f"{report.summarized} summarized, {report.failed} failed"
    if report.not_tried:
        line += f", {report.not_tried} not tried (--limit)"
    if run_row.engine == "llm":
        cost = f"${run_row.cost_usd:.4f}" if run_row.cost_usd is not None else "unknown"
        line += (
            f"; {run_row.llm_calls} LLM calls, {run_row.input_tokens:,} tokens in, "
            f"{run_row.output_tokens:,} out, estimated cost {cost}"
        )
    else:
        line += f" ({OFFLINE_LABEL})"
    out.print(line)
    _exit_if_nothing_worked(report)


@app.command()
def export(
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of standard output.")
    ] = None,
    reviewed: Annotated[
        bool,
        typer.Option(
            "--reviewed",
            help="Only summaries a person approved or corrected, in the gold format "
            "(id, takeaway, has_claims, gains), ready to add to a gold set.",
        ),
    ] = False,
) -> None:
    """Export every paper, one a line: id (as its source gave it), takeaway, gains, status.

    Gains follow the schema of ANNOTATION.md (metric, value, value_high, unit, kind, qualifier,
    baseline, condition, quote), so results join back to the input by id.
    """
    from agent.export import write_export, write_reviewed

    if fmt not in ("jsonl", "csv") or (reviewed and fmt != "jsonl"):
        raise typer.BadParameter(
            "--format must be jsonl or csv (--reviewed writes jsonl)", param_hint="--format"
        )
    if reviewed:
        store = open_store(settings_from_flags(db), reads_only=True)
        if out_path is None:
            write_reviewed(store, sys.stdout)
            return
        with out_path.open("w", encoding="utf-8") as handle:
            count = write_reviewed(store, handle)
        err.print(f"{count} reviewed papers → {out_path}")
        return
    export_fmt: ExportFormat = "jsonl" if fmt == "jsonl" else "csv"
    store = open_store(settings_from_flags(db), reads_only=True)
    if out_path is None:
        write_export(store, sys.stdout, export_fmt)
        return
    with out_path.open("w", encoding="utf-8", newline="") as handle:
        count = write_export(store, handle, export_fmt)
    err.print(f"{count} papers → {out_path}")


def _highlight(abstract: str, quotes: list[str]) -> str:
    text = shown(abstract)
    for quote in sorted(set(quotes), key=len, reverse=True):
        text = text.replace(shown(quote), f"[bold yellow]{shown(quote)}[/]", 1)
    return text


@app.command()
def show(
    paper_id: Annotated[
        str,
        typer.Argument(
            help="The paper's id, arXiv id (2401.12345, arXiv:2401.12345v2, an arxiv.org link), "
            "key, or words of its title."
        ),
    ],
    db: DbOption = None,
) -> None:
    """Show one paper: its abstract with the quoted gains marked, takeaway, gains and history.

    PAPER_ID may also be part of the title: one match is shown, several are listed.
    """
    from rich.table import Table
    from sqlmodel import Session

    from agent.digest.select import engine_label
    from store.papers import get_paper, papers_titled, public_id
    from store.summaries import current_summary, gains_of, summary_history

    store = open_store(settings_from_flags(db), reads_only=True)
    with Session(store) as session:
        paper = get_paper(session, paper_id)
        if paper is None:
            titled = papers_titled(session, paper_id)
            if len(titled) > 1:
                out.print(f"{len(titled)} papers have {shown(paper_id)!r} in their title:")
                for p in titled:
                    out.print(f"  {shown(public_id(p))}  {shown(p.title)}")
                raise typer.Exit(code=1)
            if not titled:
                raise NotFoundError(
                    f"no paper with id or title {paper_id!r} (try `paperskim export` to list ids)"
                )
            paper = titled[0]
        summary = current_summary(session, paper)
        gains = gains_of(session, summary) if summary else []
        out.print(f"[bold]{shown(paper.title)}[/]")
        meta = f"{public_id(paper)} · version {paper.version} · from {paper.source}"
        out.print(shown(meta + (f" · {paper.url}" if paper.url else "")))
        out.print()
        out.print(_highlight(paper.abstract, [g.quote for g in gains]))
        out.print()
        if summary is None:
            out.print("[italic]No summary yet.[/]")
        else:
            maker = escape(engine_label(summary))
            out.print(f"[bold]Takeaway[/] ({maker}): {shown(summary.takeaway)}")
            if gains:
                table = Table("value", "unit", "metric", "kind", "qualifier", "baseline", "quote")
                for g in gains:
                    value = format_number(g.value, g.value_high)
                    table.add_row(
                        value,
                        shown(g.unit),
                        shown(g.metric),
                        g.kind,
                        shown(g.qualifier),
                        shown(g.baseline or "⚠ none named"),
                        shown(g.quote),
                    )
                out.print(table)
            else:
                out.print("No quantitative claims.")
        history = summary_history(session, paper)
        if len(history) > 1 or (history and history[0].status != "ok"):
            out.print("\n[bold]History[/]")
            for s in history:
                what = "ok" if s.status == "ok" else f"failed: {s.error}"
                out.print(shown(f"  {s.created_at:%Y-%m-%d %H:%M} {engine_label(s)}: {what}"))


@app.command()
def stats(db: DbOption = None) -> None:
    """Counts of papers, summaries, failures, LLM calls, tokens and cost in the store."""
    from rich.table import Table

    from store.views import store_stats

    settings = settings_from_flags(db)
    s = store_stats(open_store(settings, reads_only=True))
    table = Table(
        show_header=False,
        title=f"paperskim · {safe_url(settings.database_url)}",
        title_justify="left",
    )
    table.add_column(style="bold")
    table.add_column()
    by = ", ".join(f"{k}: {v}" for k, v in sorted(s.summarized_by.items())) or "none"
    cost = f"${s.cost_usd:.4f}" if s.cost_usd is not None else "n/a"
    for key, value in [
        ("papers", str(s.papers)),
        ("summarized", f"{sum(s.summarized_by.values())} ({by})"),
        ("with claimed gains", str(s.with_claims)),
        ("failed", str(s.failed)),
        ("not yet summarized", str(s.pending)),
        (
            "LLM calls",
            f"{s.llm_calls} ({s.llm_errors} with errors), {s.input_tokens:,} tokens in, "
            f"{s.output_tokens:,} out, estimated cost {cost}",
        ),
        ("digests", str(s.digests)),
        ("runs", str(s.runs)),
    ]:
        table.add_row(key, escape(value))
    out.print(table)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"paperskim {__version__}")  # not through rich: nothing else needs it here
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    pass


def main() -> None:
    """Console entry point: one clear line and exit code 1 for any paperskim error."""
    try:
        app()
    except PaperskimError as exc:
        err.print(f"[red]Error:[/] {escape(str(exc))}")
        sys.exit(1)


app.command("eval")(eval_command)

from agent.cli.fetch import fetch_command  # noqa: E402

app.command("fetch")(fetch_command)
app.command("digest")(digest_command)
app.command("digests")(digests_command)

from agent.cli.review import review_command, serve_command  # noqa: E402

app.command("serve")(serve_command)
app.command("review")(review_command)

from agent.cli.ask import ask_command  # noqa: E402

app.command("ask")(ask_command)

from agent.cli.batch import batch_command  # noqa: E402

app.command("batch")(batch_command)
