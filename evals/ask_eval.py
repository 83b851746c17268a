"""Evaluating `paperskim ask`: `python -m evals.ask_eval` prints the retrieval table.

The table asks the real corpus's questions (evals/data/real/*_questions.jsonl: the dev split,
its two cross-validation folds and its first 50 questions, the frozen test split, dev2's
questions, and the fresh draw's dev3 (and dev3b's questions over it) and test2) of a temporary
store of that split's papers, summarized by the offline engine (so the scores measure search
and answering, not the summarizer), for BM25, dense and hybrid retrieval, each with and without
the gain filter; then each dev/test question over the half of the papers it was written on.
`paperskim eval` also runs the seed question set (evals/data/questions.jsonl) with the
configured engine: the offline answer, or the LLM agent.

Scores:
- recall@5: over answerable questions, the share of expected papers among the first five
  papers retrieval returned, averaged over questions;
- citation precision: of every paper id the answers cite, the share that the question expects
  (an answer to a question with no answer cites nothing correctly);
- no-answer accuracy: the share of questions where the answer said "no stored paper answers"
  exactly when the question has no answer.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session

from agent.ask.offline import Answer, answer_offline
from agent.ask.retrieve import Mode
from agent.config import Settings
from agent.ingest.step import ingest_files
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from evals.paths import PAPERS_PATH
from store.db import open_engine
from store.tables import EvalRun

QUESTIONS_PATH = Path(__file__).parent / "data" / "questions.jsonl"
RECALL_K = 5
# (question set, papers it asks) of the splits whose questions were written over all their
# papers; dev3b's were written over dev3's, by another hand, after the ask changes of 2026-12-02;
# dev6's over the dev6 draw (2026-12-03), blind, before ask was run on it.
WHOLE_SPLITS = (
    ("test", "test"),
    ("dev2", "dev2"),
    ("dev3", "dev3"),
    ("dev3b", "dev3"),
    ("dev6", "dev6"),
    ("test2", "test2"),
)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    expected: tuple[str, ...]
    kind: str | None = None
    added: bool = False  # written after the first set, to make the dev set larger


def load_questions(path: Path = QUESTIONS_PATH) -> list[Question]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("question"), str) or not isinstance(row.get("expected"), list):
            raise ValueError(f"{path}:{n}: each line needs a question and an expected list")
        questions.append(
            Question(
                row.get("id", f"q{n}"),
                row["question"],
                tuple(row["expected"]),
                row.get("kind"),
                added=bool(row.get("added")),
            )
        )
    return questions


FOLDS = 2


def folds(questions: list[Question], n: int = FOLDS) -> list[list[Question]]:
    """The questions dealt into `n` folds in file order, each kind (structured, topic,
    no-answer) on its own, so that every fold holds about as many of each: the folds the
    answer cut's constants are cross-validated on (pick on one, check on the others)."""
    dealt: list[list[Question]] = [[] for _ in range(n)]
    seen: dict[str, int] = {}
    for q in questions:
        kind = q.kind or ("no-answer" if not q.expected else "topic")
        dealt[seen.get(kind, 0) % n].append(q)
        seen[kind] = seen.get(kind, 0) + 1
    return dealt


@dataclass
class AskScores:
    questions: int
    answerable: int
    recall_at_5: float
    citation_precision: float | None  # None when no answer cited anything
    no_answer_accuracy: float
    mrr: float = 0.0
    structured_recall_at_5: float | None = None
    per_question: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ask_questions": self.questions,
            "ask_answerable": self.answerable,
            "ask_recall_at_5": self.recall_at_5,
            "ask_citation_precision": self.citation_precision,
            "ask_no_answer_accuracy": self.no_answer_accuracy,
            "ask_mrr": self.mrr,
            "ask_structured_recall_at_5": self.structured_recall_at_5,
        }


def score_answers(questions: list[Question], answers: dict[str, Answer]) -> AskScores:
    """Score answers (keyed by question id) against the expected papers."""
    recalls: list[float] = []
    structured: list[float] = []
    ranks: list[float] = []
    cited = cited_right = no_answer_right = 0
    rows = []
    for q in questions:
        answer = answers[q.id]
        expected = set(q.expected)
        top = answer.retrieved[:RECALL_K]
        recall = len(expected & set(top)) / len(expected) if expected else None
        if recall is not None:
            recalls.append(recall)
            if q.kind == "structured":
                structured.append(recall)
            first = next((n for n, p in enumerate(answer.retrieved, 1) if p in expected), None)
            ranks.append(1.0 / first if first else 0.0)
        right = [c for c in answer.citations if c in expected]
        cited += len(answer.citations)
        cited_right += len(right)
        no_answer_ok = answer.no_answer == (not expected)
        no_answer_right += no_answer_ok
        rows.append(
            {
                "id": q.id,
                "question": q.question,
                "expected": list(q.expected),
                "retrieved": top,
                "citations": answer.citations,
                "recall_at_5": recall,
                "no_answer": answer.no_answer,
                "no_answer_correct": no_answer_ok,
                "flagged": answer.flagged,
            }
        )
    return AskScores(
        questions=len(questions),
        answerable=len(recalls),
        recall_at_5=sum(recalls) / len(recalls) if recalls else 0.0,
        citation_precision=cited_right / cited if cited else None,
        no_answer_accuracy=no_answer_right / len(questions) if questions else 0.0,
        mrr=sum(ranks) / len(ranks) if ranks else 0.0,
        structured_recall_at_5=sum(structured) / len(structured) if structured else None,
        per_question=rows,
    )


def seed_store(folder: Path, papers_path: Path = PAPERS_PATH) -> Engine:
    """A SQLite store in `folder` with the seed papers, summarized by the offline engine.

    Only id, title and abstract of each record are ingested (the real corpus carries provenance
    fields the reader has no use for).
    """
    store = open_engine(f"sqlite:///{folder / 'ask-eval.db'}")
    slim = folder / "papers.jsonl"
    with slim.open("w", encoding="utf-8") as out:
        for line in papers_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                keep = {k: row[k] for k in ("id", "title", "abstract") if k in row}
                out.write(json.dumps(keep, ensure_ascii=False) + "\n")
    ingest_files(store, [slim])
    summarize_pending(store, OfflineSummarizer())
    return store


Answerer = Callable[[Engine, str], Answer]


def offline_answerer(store: Engine, question: str) -> Answer:
    return answer_offline(store, question, limit=RECALL_K)


def llm_answerer(settings: Settings, log_store: Engine | None) -> Answerer:
    """The LLM agent, its calls logged to `log_store` (the user's store, where costs are kept)."""
    from agent.ask.agent import answer_with_llm
    from agent.llm.client import LLM

    llm = LLM(settings.llm, log_store)
    return lambda store, question: answer_with_llm(store, llm, question)


def run_ask_eval(
    answerer: Answerer,
    *,
    questions_path: Path = QUESTIONS_PATH,
    papers_path: Path = PAPERS_PATH,
) -> AskScores:
    """Ask every question of a fresh seed store with `answerer`, and score the answers."""
    return run_ask_configs({"": answerer}, questions_path=questions_path, papers_path=papers_path)[
        ""
    ]


def run_ask_configs(
    answerers: dict[str, Answerer], *, questions_path: Path, papers_path: Path
) -> dict[str, AskScores]:
    """Several answerers over one store (built once), scored each."""
    questions = load_questions(questions_path)
    with tempfile.TemporaryDirectory(prefix="paperskim-ask-eval-") as folder:
        answers = _ask_all(answerers, questions, Path(folder), papers_path)
    return {name: score_answers(questions, answers[name]) for name in answerers}


def _ask_all(
    answerers: dict[str, Answerer], questions: list[Question], folder: Path, papers_path: Path
) -> dict[str, dict[str, Answer]]:
    """Each answerer's answer to each question (by id), over a store of `papers_path` made
    in `folder`."""
    store = seed_store(folder, papers_path)
    try:
        return {
            name: {q.id: answerer(store, q.question) for q in questions}
            for name, answerer in answerers.items()
        }
    finally:
        store.dispose()


REAL = Path(__file__).parent / "data" / "real"
PARTS = REAL / "parts"


def run_as_written(answerers: dict[str, Answerer], split: str) -> dict[str, AskScores]:
    """Each question of `split` asked only of the half of its papers it was written over.

    The questions were written in two halves, each by reading half of the split's papers
    (evals/data/real/parts/: `<split>_gold.partN` holds the papers, `<split>_questions.partN`
    the questions, as annotated). Asked of the whole split, a paper of the other half that
    answers a question is not in its gold, so citing it counts as wrong; asked of its own half,
    the gold lists every paper the writer found. Both readings are reported; this one is the
    fairer measure of citation precision and no-answer accuracy, on a corpus half the size.
    """
    lines = (REAL / f"{split}_papers.jsonl").read_text(encoding="utf-8").splitlines()
    papers = {json.loads(line)["id"]: line for line in lines if line.strip()}
    questions: list[Question] = []
    answers: dict[str, dict[str, Answer]] = {name: {} for name in answerers}
    with tempfile.TemporaryDirectory(prefix="paperskim-ask-eval-") as folder:
        for part in (1, 2):
            gold = (PARTS / f"{split}_gold.part{part}.jsonl").read_text(encoding="utf-8")
            ids = {json.loads(line)["id"] for line in gold.splitlines() if line.strip()}
            half = Path(folder) / f"part{part}"
            half.mkdir()
            half_papers = Path(folder) / f"papers{part}.jsonl"
            half_papers.write_text(
                "".join(f"{line}\n" for pid, line in papers.items() if pid in ids),
                encoding="utf-8",
            )
            asked = load_questions(PARTS / f"{split}_questions.part{part}.jsonl")
            for name, got in _ask_all(answerers, asked, half, half_papers).items():
                answers[name].update(got)
            questions += asked
    return {name: score_answers(questions, answers[name]) for name in answerers}


def retrieval_configs() -> dict[str, Answerer]:
    """BM25 alone, dense alone and hybrid, each with and without the gain filter."""
    configs: dict[str, Answerer] = {}
    modes: tuple[Mode, ...] = ("bm25", "dense", "hybrid")
    for mode in modes:
        for use_filter in (False, True):
            name = f"{mode} {'+ gain filter' if use_filter else 'no filter'}"
            configs[name] = partial(
                answer_offline, limit=RECALL_K, mode=mode, use_filter=use_filter
            )
    return configs


def main() -> None:
    """`python -m evals.ask_eval`: the retrieval table over the real corpus's questions."""
    argparse.ArgumentParser(
        prog="python -m evals.ask_eval", description=__doc__.split("\n\n")[1]
    ).parse_args()  # only --help: the table takes a few minutes and has no options
    lines = [
        "| split | retrieval | recall@5 | recall@5 structured | MRR | no-answer acc. | "
        "citation precision |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    configs = retrieval_configs()
    lines += dev_rows(configs)
    for split, papers in WHOLE_SPLITS:
        whole = run_ask_configs(
            configs,
            questions_path=REAL / f"{split}_questions.jsonl",
            papers_path=REAL / f"{papers}_papers.jsonl",
        )
        lines += _table_rows(split, whole)
    for split in ("dev", "test"):
        lines += _table_rows(f"{split} as written", run_as_written(configs, split))
    print("\n".join(lines))


def dev_rows(configs: dict[str, Answerer]) -> list[str]:
    """Table rows of the dev split: every question, each cross-validation fold, and the first
    50 questions alone (the set the figures before the added questions were measured on)."""
    questions = load_questions(REAL / "dev_questions.jsonl")
    with tempfile.TemporaryDirectory(prefix="paperskim-ask-eval-") as folder:
        answers = _ask_all(configs, questions, Path(folder), REAL / "dev_papers.jsonl")
    subsets = {"dev": questions}
    subsets |= {f"dev fold {n}": fold for n, fold in enumerate(folds(questions), 1)}
    subsets["dev first 50"] = [q for q in questions if not q.added]
    rows = []
    for label, asked in subsets.items():
        rows += _table_rows(label, {name: score_answers(asked, answers[name]) for name in configs})
    return rows


def _table_rows(label: str, results: dict[str, AskScores]) -> list[str]:
    rows = []
    for name, s in results.items():
        p = f"{s.citation_precision:.3f}" if s.citation_precision is not None else "–"
        sr = f"{s.structured_recall_at_5:.3f}" if s.structured_recall_at_5 is not None else "–"
        rows.append(
            f"| {label} | {name} | {s.recall_at_5:.3f} | {sr} | {s.mrr:.3f} | "
            f"{s.no_answer_accuracy:.3f} | {p} |"
        )
    return rows


def add_ask_scores(settings: Settings, store: Engine, run: EvalRun) -> AskScores:
    """Run the ask eval with the configured engine and keep its scores on the stored eval run.

    The scores go into `run.scores` under `ask_*` keys, so `eval --show` and the JSON report
    carry them; the LLM agent's calls are logged to `store` like every other call.
    """
    answerer = llm_answerer(settings, store) if settings.use_llm else offline_answerer
    scores = run_ask_eval(answerer)
    run.scores = {**run.scores, **scores.to_dict()}
    with Session(store, expire_on_commit=False) as session:
        row = session.get(EvalRun, run.id)
        if row is not None:
            row.scores = run.scores
            session.add(row)
            session.commit()
    return scores


def print_ask_scores(console: Console, scores: AskScores) -> None:
    table = Table(title="ask: questions about the seed papers", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    precision = scores.citation_precision
    for label, value in (
        ("questions", f"{scores.questions} ({scores.answerable} with an answer)"),
        ("recall@5 of retrieval", f"{scores.recall_at_5:.3f}"),
        ("citation precision", f"{precision:.3f}" if precision is not None else "–"),
        ("correct 'no answer'", f"{scores.no_answer_accuracy:.3f}"),
    ):
        table.add_row(label, value)
    console.print(table)


if __name__ == "__main__":
    main()
