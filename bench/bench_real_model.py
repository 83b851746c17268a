"""The LLM path against a real model (the local llama-server), next to the offline engine.

    python3 scripts/local_model.py start                      # once: the server on 127.0.0.1:8088
    .venv/bin/python bench/bench_real_model.py --papers 6 --modes json_schema
    .venv/bin/python bench/bench_real_model.py                 # 40 seed papers, every mode
    .venv/bin/python bench/bench_real_model.py --modes confirm --minutes 30 --state s.json
                                               # again later with the same --state: continues

For each structured-output mode (json_schema, json_object, prompt) with full extraction
(prompts/summarize/: the model writes every gain, quote included), and for the
confirm-candidates mode (`confirm`: prompts/confirm/, json_schema; the offline rules list the
candidate numbers and the model only confirms and labels them), it sends the first N seed
papers (evals/data/seed_papers.jsonl, sorted by id) in batches of the `local` preset's size,
through the real engine (LLMSummarizer: validation, re-asks, fallbacks), each mode on its own
fresh store so no learned capability leaks between modes, and scores what validated against
evals/data/seed_gold.jsonl with evals/scoring.py. The offline engine is scored on the same papers.

Figures: valid-summary rate, re-asks per paper, gain P/R/F1 and trusted-gain F1, takeaway checks
(over 30 words, unsupported numbers, mid-phrase), output tokens per second of request time, and
wall seconds per paper. A paper takes tens of seconds on a CPU: 40 papers x 3 modes is hours.
Not part of the unit suite. `--json PATH` also writes every figure and each failure's reason.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import LLMSettings
from agent.core.models import PaperSummary
from agent.llm.client import LLM
from agent.summarize.batching import make_item
from agent.summarize.formats import summarize_prompt
from agent.summarize.llm_engine import LLMSummarizer
from agent.summarize.offline import summarize_offline
from evals.gold import load_gold, load_papers
from evals.scoring import RunScores, score_run
from store.db import open_engine
from store.runs import calls_of_run, start_run

MODES = ("json_schema", "json_object", "prompt", "confirm")
LOCAL_URL = "http://127.0.0.1:8088/v1"


@dataclass
class ModeResult:
    name: str
    papers: int
    valid: int
    reasks: int
    seconds: float
    output_tokens: int
    input_tokens: int
    request_seconds: float
    scores: RunScores
    shortened: int = 0  # takeaways sent back on their own to be shortened (prompts/shorten/)
    failures: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)  # valid, with a caveat (dropped gains)


def served_model(base_url: str) -> str:
    """The model name the server reports (llama-server serves one)."""
    with urllib.request.urlopen(base_url.rstrip("/") + "/models", timeout=5) as response:
        data = json.load(response)
    return str(data["data"][0]["id"])


def offline(ids: list[str], papers: dict[str, Any], gold: dict[str, PaperSummary]) -> ModeResult:
    start = time.perf_counter()
    preds = {pid: summarize_offline(pid, papers[pid].title, papers[pid].abstract) for pid in ids}
    seconds = time.perf_counter() - start
    return ModeResult(
        "offline engine (no LLM)", len(ids), len(preds), 0, seconds, 0, 0, 0.0,
        _score(preds, ids, papers, gold),
    )  # fmt: skip


def _score(
    preds: dict[str, PaperSummary], ids: list[str], papers: dict[str, Any], gold: dict[str, Any]
) -> RunScores:
    return score_run(
        preds,
        {pid: gold[pid] for pid in ids},
        {pid: papers[pid].abstract for pid in ids},
        {pid: papers[pid].title for pid in ids},
    )


@dataclass
class Progress:
    """What one mode has done so far, kept in the --state file after every batch, so a run cut
    by --minutes (or Ctrl-C) is continued by the next one with the same --state."""

    tried: list[str] = field(default_factory=list)
    preds: dict[str, PaperSummary] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    reasks: int = 0
    shortened: int = 0
    seconds: float = 0.0
    output_tokens: int = 0
    input_tokens: int = 0
    request_seconds: float = 0.0

    @classmethod
    def load(cls, path: Path | None, mode: str, model: str) -> Progress:
        if path is None or not path.exists():
            return cls()
        saved = json.loads(path.read_text()).get(f"{mode}@{model}")
        if saved is None:
            return cls()
        preds = {k: PaperSummary.model_validate(v) for k, v in saved.pop("preds").items()}
        return cls(preds=preds, **saved)

    def save(self, path: Path | None, mode: str, model: str) -> None:
        if path is None:
            return
        state = json.loads(path.read_text()) if path.exists() else {}
        data = {**self.__dict__, "preds": {k: v.model_dump() for k, v in self.preds.items()}}
        state[f"{mode}@{model}"] = data
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(path)  # never a half-written state file


def llm_mode(
    mode: str,
    ids: list[str],
    papers: dict[str, Any],
    gold: dict[str, PaperSummary],
    *,
    base_url: str,
    model: str,
    batch_size: int | None,
    minutes: float | None = None,
    state: Path | None = None,
) -> ModeResult:
    """One mode over `ids`; with `minutes`, no batch is started after that much time and the
    figures cover the papers tried (the table says how many). With `state`, papers an earlier
    run with the same state file tried are not sent again; the figures cover all of them."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-real-{mode}-"))
    store = open_engine(f"sqlite:///{tmp / 'bench.db'}")
    extra: dict[str, Any] = {} if batch_size is None else {"max_papers_per_batch": batch_size}
    confirm = mode == "confirm"
    settings = LLMSettings(
        base_url=base_url,
        model=model,
        preset="local",
        structured_output="json_schema" if confirm else mode,  # type: ignore[arg-type]
        extraction="confirm" if confirm else "full",
        **extra,
    )
    run = start_run(store, "bench", engine="llm")
    assert run.id is not None
    prompt = summarize_prompt(settings.extraction)
    engine = LLMSummarizer(LLM(settings, store, run_id=run.id), prompt, settings)
    done = Progress.load(state, mode, model)
    todo = [pid for pid in ids if pid not in done.tried]
    if done.tried:
        print(f"  {mode}: {len(done.tried)} papers tried before (state {state})", file=sys.stderr)
    size = settings.max_papers_per_batch
    start = time.perf_counter()
    for at in range(0, len(todo), size):
        if minutes is not None and time.perf_counter() - start > minutes * 60:
            print(f"  {mode}: {minutes:g} minutes are up", file=sys.stderr)
            break
        chunk = todo[at : at + size]
        began = time.perf_counter()
        items = [
            make_item(
                n + at + 1,
                pid,
                papers[pid].title,
                papers[pid].abstract,
                model,
                10_000,
                engine.format.paper_json,
            )
            for n, pid in enumerate(chunk)
        ]
        sent_before = len(calls_of_run(store, run.id))
        outcomes = engine.summarize_batch(items, {pid: papers[pid].abstract for pid in chunk})
        new_calls = calls_of_run(store, run.id)[sent_before:]
        done.reasks += max((c.attempt for c in new_calls), default=1) - 1
        done.shortened += sum(1 for c in new_calls if c.prompt.startswith("shorten/"))
        done.output_tokens += sum(c.output_tokens for c in new_calls)
        done.input_tokens += sum(c.input_tokens for c in new_calls)
        done.request_seconds += sum(c.latency_ms for c in new_calls) / 1000
        for outcome in outcomes:
            if outcome.summary is not None:
                done.preds[outcome.item.ref] = outcome.summary
                if outcome.warning:
                    done.warnings[outcome.item.ref] = outcome.warning
            else:
                done.failures[outcome.item.ref] = outcome.error or "no summary"
        done.tried += chunk
        done.seconds += time.perf_counter() - began
        done.save(state, mode, model)
        print(
            f"  {mode}: {len(done.tried)}/{len(ids)} papers, {len(done.preds)} valid",
            file=sys.stderr,
        )
    tried = [pid for pid in ids if pid in done.tried]
    return ModeResult(
        mode,
        len(tried),
        len([pid for pid in tried if pid in done.preds]),
        done.reasks,
        done.seconds,
        done.output_tokens,
        done.input_tokens,
        done.request_seconds,
        _score({p: s for p, s in done.preds.items() if p in tried}, tried, papers, gold),
        done.shortened,
        done.failures,
        done.warnings,
    )


COLUMNS = [
    ("valid", lambda r: f"{r.valid}/{r.papers}"),
    ("re-asks/paper", lambda r: f"{r.reasks / r.papers:.2f}"),
    ("shorten requests", lambda r: str(r.shortened)),
    ("warned", lambda r: str(len(r.warnings))),
    ("P", lambda r: f"{r.scores.precision:.3f}"),
    ("R", lambda r: f"{r.scores.recall:.3f}"),
    ("F1", lambda r: f"{r.scores.f1:.3f}"),
    ("trusted F1", lambda r: f"{r.scores.trusted_f1:.3f}"),
    ("takeaways >30 words", lambda r: str(r.scores.takeaways_over_30_words)),
    ("unsupported numbers", lambda r: str(r.scores.takeaways_with_unsupported_numbers)),
    ("mid-phrase", lambda r: str(r.scores.takeaways_mid_phrase)),
    (
        "out tok/s",
        lambda r: f"{r.output_tokens / r.request_seconds:.1f}" if r.request_seconds else "-",
    ),
    ("s/paper", lambda r: f"{r.seconds / r.papers:.1f}" if r.seconds >= 0.05 else "<0.1"),
]


def table(results: list[ModeResult]) -> str:
    head = "| engine / mode | " + " | ".join(name for name, _ in COLUMNS) + " |"
    rule = "|" + "---|" * (len(COLUMNS) + 1)
    rows = [f"| {r.name} | " + " | ".join(cell(r) for _, cell in COLUMNS) + " |" for r in results]
    return "\n".join([head, rule, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=40, help="how many seed papers (by id)")
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated structured-output modes"
    )
    parser.add_argument("--base-url", default=LOCAL_URL, help="the OpenAI-compatible endpoint")
    parser.add_argument("--batch", type=int, default=None, help="papers per request (default 2)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    parser.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="per mode: start no batch after this many minutes (figures cover the papers tried)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="keep each mode's progress in this JSON file; a later run with it continues "
        "where this one stopped and reports all the papers tried",
    )
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}")
    try:
        model = served_model(args.base_url)
    except OSError as exc:
        print(
            f"no model server at {args.base_url} ({exc}); "
            "start it: python3 scripts/local_model.py start",
            file=sys.stderr,
        )
        return 2
    papers, gold = load_papers(), load_gold()
    ids = sorted(pid for pid in papers if pid in gold)[: args.papers]
    results = [offline(ids, papers, gold)]
    for mode in modes:
        results.append(
            llm_mode(
                mode,
                ids,
                papers,
                gold,
                base_url=args.base_url,
                model=model,
                batch_size=args.batch,
                minutes=args.minutes,
                state=args.state,
            )
        )
    print(f"{len(ids)} seed papers, model {model} at {args.base_url}\n")
    print(table(results))
    for r in results:
        for pid, reason in r.failures.items():
            print(f"  {r.name} {pid}: {reason[:300]}")
        for pid, warning in r.warnings.items():
            print(f"  {r.name} {pid} (valid, warned): {warning[:300]}")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "papers": r.papers,
                        "valid": r.valid,
                        "reasks": r.reasks,
                        "shortened": r.shortened,
                        "seconds": r.seconds,
                        "input_tokens": r.input_tokens,
                        "output_tokens": r.output_tokens,
                        "request_seconds": r.request_seconds,
                        "failures": r.failures,
                        "warnings": r.warnings,
                        "scores": {k: v for k, v in r.scores.to_dict().items() if k != "per_paper"},
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
