"""`paperskim eval`: measure takeaways and claimed gains against a gold set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import (
    BaseUrlOption,
    ConcurrencyOption,
    DbOption,
    EngineOption,
    ModelOption,
    err,
    open_store,
    out,
    settings_from_flags,
)
from agent.core.errors import NotFoundError
from agent.core.labels import engine_label
from evals.paths import GOLD_PATH, PAPERS_PATH

if TYPE_CHECKING:
    from sqlmodel import Session

    from store.tables import EvalRun


def _get(session: Session, run_id: int) -> EvalRun:
    from store.tables import EvalRun

    run = session.get(EvalRun, run_id)
    if run is None:
        raise NotFoundError(f"no eval run {run_id} (see `paperskim eval --list`)")
    return run


def eval_command(
    db: DbOption = None,
    engine: EngineOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    gold: Annotated[
        Path, typer.Option(help="Gold annotations (JSONL, schema of evals/data/ANNOTATION.md).")
    ] = GOLD_PATH,
    papers: Annotated[Path, typer.Option(help="The gold papers' abstracts (JSONL).")] = PAPERS_PATH,
    gold_set: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="A shipped gold set instead of --gold/--papers: 'seed' (119 papers the rules "
            "were written on, a regression set), 'real-dev' (real arXiv abstracts, may be "
            "read), 'real-dev2' to 'real-dev7' (later real dev parts, each "
            "scored once before it was tuned on), or 'real-test' and 'real-test2' (frozen real "
            "abstracts, only ever scored).",
            show_default=False,
        ),
    ] = None,
    judge: Annotated[
        bool, typer.Option(help="Grade takeaways with the LLM judge (only with an endpoint).")
    ] = True,
    compare: Annotated[
        tuple[int, int] | None,
        typer.Option(help="Compare two stored eval runs: RUN_A RUN_B.", show_default=False),
    ] = None,
    show: Annotated[int | None, typer.Option(help="Show a stored eval run again.")] = None,
    list_runs: Annotated[bool, typer.Option("--list", help="List stored eval runs.")] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the run as JSON.")
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report.")
    ] = None,
    concurrency: ConcurrencyOption = 4,
    reviewed: Annotated[
        bool,
        typer.Option(
            "--reviewed",
            help="Score against the summaries people approved or corrected in this store "
            "(paperskim serve / review) instead of the gold file.",
        ),
    ] = False,
    ask: Annotated[
        bool | None,
        typer.Option(
            help="Also score `paperskim ask` on evals/data/questions.jsonl (recall@5, citation "
            "precision, correct 'no answer'). Default: on for the offline engine; with an "
            "endpoint only when asked, as it makes several LLM calls per question.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score the current engine, model and prompt against the gold set, and store the run.

    Measures gain precision, recall and F1 (micro), kind accuracy, baseline presence, quote
    faithfulness, and takeaway length, numbers and method naming, as evals/data/ANNOTATION.md
    defines them; with an endpoint, an LLM judge also grades each takeaway 1–5. Use --compare to
    see what got better or worse between two runs, paper by paper.
    """
    from sqlmodel import Session

    from evals.ask_eval import add_ask_scores, print_ask_scores
    from evals.compare import compare_runs
    from evals.gold import gold_set_paths, load_papers
    from evals.harness import run_eval
    from evals.report import print_comparison, print_run, render_html, run_to_json
    from evals.reviewed import reviewed_gold, run_reviewed_eval
    from store.runs import eval_runs

    if gold_set is not None:
        gold, papers = gold_set_paths(gold_set)
    settings = settings_from_flags(db, engine, model, base_url)
    store = open_store(settings)
    with Session(store, expire_on_commit=False) as session:
        if list_runs:
            _print_list(eval_runs(store))
            return
        if compare is not None:
            print_comparison(
                out.console, compare_runs(_get(session, compare[0]), _get(session, compare[1]))
            )
            return
        run = _get(session, show) if show is not None else None
    if run is None and reviewed:
        err.print("Evaluating against the reviewed summaries in the store …")
        run = run_reviewed_eval(settings, store, use_judge=judge, concurrency=concurrency)
    if run is None:
        label = engine_label("llm" if settings.use_llm else "offline", settings.llm.model)
        err.print(f"Evaluating {label} on {gold} …")
        run = run_eval(
            settings,
            store,
            gold_path=gold,
            papers_path=papers,
            use_judge=judge,
            concurrency=concurrency,
        )
    print_run(out.console, run)
    if (ask if ask is not None else not settings.use_llm) and show is None and not reviewed:
        print_ask_scores(out.console, add_ask_scores(settings, store, run))
    if json_out is not None:
        json_out.write_text(json.dumps(run_to_json(run), indent=2, ensure_ascii=False))
        err.print(f"JSON → {json_out}")
    if html_out is not None:
        source = reviewed_gold(store)[1] if reviewed else load_papers(papers)
        titles = {pid: p.title for pid, p in source.items()}
        html_out.write_text(render_html(run, titles), encoding="utf-8")
        err.print(f"HTML → {html_out}")


def _print_list(runs: list[EvalRun]) -> None:
    from rich.table import Table

    from evals.report import maker

    if not runs:
        out.print("No eval runs yet: run `paperskim eval`.")
        return
    table = Table(
        "id", "when", "engine / model", "gold set", "P", "R", "F1", "trusted F1", "judge", "cost"
    )
    for r in runs:
        s = r.scores
        mean = r.judge.get("mean_score") if r.judge else None
        table.add_row(
            str(r.id),
            f"{r.created_at:%Y-%m-%d %H:%M}",
            maker(r),
            r.gold_set,
            f"{s['precision']:.3f}",
            f"{s['recall']:.3f}",
            f"{s['f1']:.3f}",
            f"{s['trusted_f1']:.3f}" if "trusted_f1" in s else "–",
            f"{mean:.2f}" if mean is not None else "–",
            f"${r.cost_usd:.4f}" if r.cost_usd is not None else "–",
        )
    out.print(table)
