"""`paperskim batch`: summarize a large backlog through the provider's Batch API."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.common import (
    BaseUrlOption,
    DbOption,
    ExtractionOption,
    ModelOption,
    err,
    open_store,
    out,
    settings_from_flags,
)
from agent.core.errors import ConfigError


def batch_command(
    db: DbOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    extraction: ExtractionOption = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Poll until the batch is done, store the results and submit again for the "
            "papers that failed. --no-wait submits (or checks) once and returns; run it again "
            "later to collect.",
        ),
    ] = False,
    poll_interval: Annotated[
        float, typer.Option(help="Seconds between polls with --wait.", min=0.0)
    ] = 60.0,
    rounds: Annotated[
        int, typer.Option(help="Most batches submitted by this command (retries count).", min=1)
    ] = 3,
    limit: Annotated[int | None, typer.Option(help="Put at most this many papers in.")] = None,
) -> None:
    """Summarize every paper that needs it through the Batch API (half price, within 24 h).

    The first call uploads the papers as one batch and stores its id; later calls (from any
    process, even after a crash) check that batch, store its results when it is done, and
    submit the papers that failed again. Results pass the same checks as `summarize`.
    Needs an endpoint that has the Batch API (OpenAI, Azure OpenAI).
    """
    from agent.llm.client import LLM
    from agent.summarize.batch_jobs import BatchRunner
    from store.runs import closed_on_error, finish_run, start_run

    settings = settings_from_flags(db, "llm", model, base_url, extraction)
    if settings.llm.base_url is None and settings.llm.api_key is None:
        raise ConfigError("batch needs an LLM endpoint: set OPENAI_API_KEY or --base-url")
    store = open_store(settings)
    run = start_run(store, "batch", engine="llm", model=settings.llm.model)
    with closed_on_error(store, run):
        runner = BatchRunner(
            store, settings, LLM(settings.llm, store, run_id=run.id), run_id=run.id
        )
        report = runner.run(wait=wait, poll_interval=poll_interval, rounds=rounds, limit=limit)
    run = finish_run(
        store,
        run,
        prompt_version=runner.prompt.ref,
        summarized=report.summarized,
        failed=report.failed,
    )
    if report.batches_created:
        err.print(f"submitted {report.submitted} papers in {report.batches_created} batch(es)")
    cost = f"${run.cost_usd:.4f}" if run.cost_usd is not None else "unknown"
    line = (
        f"{report.summarized} summarized, {report.failed} failed, "
        f"{report.batches_collected} batch(es) collected, {report.waiting} still running; "
        f"estimated cost {cost}"
    )
    out.print(line)
