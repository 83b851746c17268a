"""`paperskim ask`: answer a question from the stored papers, citing them by id."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import (
    BaseUrlOption,
    DbOption,
    EngineOption,
    ModelOption,
    err,
    escape,
    open_store,
    out,
    settings_from_flags,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.ask.offline import Answer
    from agent.config import Settings


def ask(settings: Settings, store: Engine, question: str, *, limit: int = 5) -> Answer:
    """The LLM's checked answer when an endpoint is configured, else the offline answer."""
    from agent.ask.offline import answer_offline

    if not settings.use_llm:
        return answer_offline(store, question, limit=limit)
    # Only here: an offline answer never loads the openai client.
    from agent.ask.agent import answer_with_llm
    from agent.llm.client import LLM
    from store.runs import closed_on_error, finish_run, start_run

    run = start_run(store, "ask", engine="llm", model=settings.llm.model, prompt_version="ask/v1")
    with closed_on_error(store, run):
        answer = answer_with_llm(store, LLM(settings.llm, store, run_id=run.id), question)
    finish_run(store, run)
    return answer


def ask_command(
    question: Annotated[str, typer.Argument(help="Your question, in plain words.")],
    db: DbOption = None,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the answer, its citations and the evidence used as JSON."
        ),
    ] = False,
    limit: Annotated[
        int, typer.Option(help="Offline answers: list at most this many papers.", min=1)
    ] = 5,
    show_all: Annotated[
        bool, typer.Option("--all", help="Offline answers: list every matching paper.")
    ] = False,
) -> None:
    """Ask a question about the stored papers; the answer cites them by id, e.g. [seed-011].

    Examples: "which papers claim more than 2x speedup for MoE inference?", "what reduces KV
    cache memory, and by how much?", "what did IsolateGPT cost in overhead?".

    With an LLM endpoint configured, the model searches the store through tools and writes the
    answer; every cited id is checked to be a stored paper the search returned, and every number
    to be one the cited papers state. Without one, the offline answer lists the matching papers
    with their takeaways and claimed gains, reading "more than 2x", "at least 30%", "between 2
    and 10x", "by more than a third", "twice as fast", "under $1", "memory" or "speedup" in the
    question as filters, and "cut FLOPs by 40%" as a gain of FLOPs (the offline engine extracts
    no sums of money, so "$" questions need gains from an LLM engine); --json shows how the
    question was read. When no stored paper matches, the answer says so.
    Ingest and summarize papers first (`paperskim run SOURCE`).
    """
    settings = settings_from_flags(db, engine, model, base_url)
    store = open_store(settings, reads_only=True)
    answer = ask(settings, store, question, limit=1_000_000 if show_all else limit)
    if json_out:
        out.print_json(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    out.print(escape(answer.text), highlight=False)
    if answer.mode == "llm":
        err.print(f"[dim]{escape(answer.model or '')}, {answer.llm_calls} LLM calls[/]")
    for problem in answer.flagged:
        err.print(f"[yellow]check failed:[/] {escape(problem)}")
