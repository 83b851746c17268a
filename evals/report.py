"""An eval run as a terminal table, as JSON, and as a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.core.labels import engine_label
from agent.core.units import format_number
from evals.compare import Comparison
from store.tables import EvalRun

TEMPLATES = Path(__file__).parent / "templates"


def maker(run: EvalRun) -> str:
    return engine_label(run.engine, run.model, run.prompt_version)


def _pct(value: float) -> str:
    return f"{value:.3f}"


def _agreement_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    """Metric and baseline agreement (ANNOTATION.md); absent from runs stored before them."""
    if "trusted_f1" not in s:
        return []
    return [
        (
            "trusted-gain F1 (number and metric right)",
            f"{_pct(s['trusted_f1'])}  ({s['trusted_tp']} trusted of {s['tp']} matched)",
        ),
        (
            "metric agreement (matched gains)",
            f"{_pct(s['metric_agreement'])}  ({s['metric_agree']}/{s['matched']})",
        ),
        (
            "baseline agreement (gold names one)",
            f"{_pct(s['baseline_agreement'])}  ({s['baseline_agree']}/{s['baseline_needed']})",
        ),
        (
            "invented gains per 20 no-claim abstracts",
            f"{s['invented_per_20_no_claim']:.2f}  ({s['no_claim_gains']} on "
            f"{s['no_claim_papers']} abstracts)",
        ),
    ]


def _takeaway_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    if "first_sentence_share" not in s:
        return []
    return [
        (
            "takeaways that are the first sentence (result stated later)",
            f"{_pct(s['first_sentence_share'])}  "
            f"({s['takeaways_first_sentence']}/{s['result_after_first']})",
        ),
        ("takeaways ending mid-phrase", f"{s['takeaways_mid_phrase']} of {s['takeaways']}"),
        ("takeaways with LaTeX/HTML residue", f"{s['takeaways_with_markup']} of {s['takeaways']}"),
    ]


def score_rows(run: EvalRun) -> list[tuple[str, str]]:
    """The run's scores as (label, value) lines, in reading order."""
    s = run.scores
    rows = [
        ("gain precision", f"{_pct(s['precision'])}  ({s['tp']} of {s['tp'] + s['fp']} predicted)"),
        ("gain recall", f"{_pct(s['recall'])}  ({s['tp']} of {s['tp'] + s['fn']} gold)"),
        ("gain F1 (micro)", _pct(s["f1"])),
        *_agreement_rows(s),
        (
            "kind accuracy (matched gains)",
            f"{_pct(s['kind_accuracy'])}  ({s['kind_correct']}/{s['matched']})",
        ),
        (
            "baseline present when gold has one",
            f"{_pct(s['baseline_rate'])}  ({s['baseline_present']}/{s['baseline_needed']})",
        ),
        ("quotes not verbatim", f"{s['quotes_not_verbatim']} of {s['quotes']}"),
        ("quotes without their value", f"{s['quotes_without_value']} of {s['quotes']}"),
        ("takeaways over 30 words", f"{s['takeaways_over_30_words']} of {s['takeaways']}"),
        (
            "takeaways with numbers not in the abstract",
            f"{s['takeaways_with_unsupported_numbers']} of {s['takeaways']}",
        ),
        (
            "takeaways naming the method",
            f"{_pct(s['method_named_rate'])}  ({s['method_named']}/{s['method_identifiable']})",
        ),
        *_takeaway_rows(s),
        ("papers failed (no valid summary)", str(s.get("failed", 0))),
    ]
    if run.judge:
        mean = run.judge.get("mean_score")
        rows.append(
            (
                "judge: takeaway quality (1–5)",
                f"{mean:.2f}  ({run.judge['graded']} graded, {run.judge['prompt']})"
                if mean is not None
                else "no verdicts",
            )
        )
    else:
        rows.append(
            (
                "judge: takeaway quality",
                "skipped (no LLM endpoint configured)"
                if run.engine == "offline"
                else "skipped (--no-judge)",
            )
        )
    cost = f"${run.cost_usd:.4f}" if run.cost_usd is not None else "n/a"
    if run.engine == "llm":
        rows.append(
            (
                "tokens / estimated cost",
                f"{run.input_tokens:,} in, {run.output_tokens:,} out / {cost}",
            )
        )
    rows.append(("wall time", f"{run.wall_seconds:.1f} s"))
    return rows


def print_run(console: Console, run: EvalRun) -> None:
    table = Table(
        title=f"eval run {run.id}: {maker(run)} on {run.gold_set}",
        show_header=False,
        title_justify="left",
    )
    table.add_column(style="bold")
    table.add_column()
    for label, value in score_rows(run):
        table.add_row(label, escape(value))
    console.print(table)


def run_to_json(run: EvalRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "created_at": run.created_at.isoformat(),
        "engine": run.engine,
        "model": run.model,
        "prompt_version": run.prompt_version,
        "judge_prompt": run.judge_prompt,
        "gold_set": run.gold_set,
        "papers": run.papers,
        "scores": run.scores,
        "judge": run.judge,
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "cost_usd": run.cost_usd,
        "wall_seconds": run.wall_seconds,
        "per_paper": run.per_paper,
    }


def _gain_text(g: dict[str, Any]) -> str:
    value = format_number(g["value"], g.get("value_high"))
    bits = [f"{value}{g['unit']}", g.get("metric") or "", g.get("kind") or ""]
    if g.get("qualifier"):
        bits.append(g["qualifier"])
    bits.append(f"vs {g['baseline']}" if g.get("baseline") else "no baseline")
    return " · ".join(b for b in bits if b) + f" — “{g.get('quote', '')}”"


def render_html(run: EvalRun, titles: dict[str, str]) -> str:
    """A self-contained page (inline CSS and JS): scores, then gold against predicted gains."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2"]))
    cost = f"${run.cost_usd:.4f}" if run.cost_usd is not None else "n/a"
    return env.get_template("report.html.j2").render(
        run=run,
        maker=maker(run),
        rows=score_rows(run),
        papers=run.per_paper,
        titles=titles,
        gain=_gain_text,
        cost=cost,
    )


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def print_comparison(console: Console, comparison: Comparison) -> None:
    a, b = comparison.a, comparison.b
    if not comparison.same_gold:
        console.print(f"[yellow]warning:[/] different gold sets ({a.gold_set} vs {b.gold_set})")
    table = Table(
        title=f"eval {a.id} ({maker(a)}) → eval {b.id} ({maker(b)})", title_justify="left"
    )
    for column in ("measure", f"run {a.id}", f"run {b.id}", "change", ""):
        table.add_column(column)
    for m in comparison.metrics:
        delta = m.delta
        style = {"better": "green", "worse": "red"}.get(m.verdict, "")
        table.add_row(
            m.label,
            _fmt(m.a),
            _fmt(m.b),
            "" if delta is None else f"{delta:+.3f}",
            f"[{style}]{m.verdict}[/]" if style else m.verdict,
        )
    console.print(table)
    if not comparison.changed:
        console.print("No paper changed.")
        return
    console.print(f"{len(comparison.changed)} papers changed:")
    for change in comparison.changed:
        mark = "[green]+[/]" if change.better else "[red]-[/]"
        console.print(f"  {mark} {escape(change.paper_id)}: {escape(change.summary)}")
