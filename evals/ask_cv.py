"""Cross-validating the answer cut of `ask` on the dev questions: `python -m evals.ask_cv`.

For each setting of COVERAGE_WEIGHT in agent/ask/retrieve.py (how much topic coverage counts
beside the cosine when a topic question's answer is picked), the hybrid + gain filter answers
are scored on each fold of evals.ask_eval.folds; then the setting that does best on one fold
(citation precision + no-answer accuracy: recall does not depend on the cut) is scored on the
other. Only dev data is read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from agent.ask import retrieve
from agent.ask.offline import answer_offline
from evals.ask_eval import (
    REAL,
    RECALL_K,
    AskScores,
    folds,
    load_questions,
    score_answers,
    seed_store,
)

WEIGHTS = (0.0, 0.3, 0.5, 0.65, 0.8, 1.0)


@contextmanager
def coverage_weight(weight: float) -> Iterator[None]:
    """retrieve's COVERAGE_WEIGHT set for the duration (where it is read)."""
    kept = retrieve.COVERAGE_WEIGHT
    retrieve.COVERAGE_WEIGHT = weight
    try:
        yield
    finally:
        retrieve.COVERAGE_WEIGHT = kept


def objective(s: AskScores) -> float:
    return (s.citation_precision or 0.0) + s.no_answer_accuracy


def describe(s: AskScores) -> str:
    p = f"{s.citation_precision:.3f}" if s.citation_precision is not None else "–"
    return (
        f"recall@5 {s.recall_at_5:.3f}, MRR {s.mrr:.3f}, no-answer {s.no_answer_accuracy:.3f}, "
        f"precision {p}"
    )


def main() -> None:
    questions = load_questions(REAL / "dev_questions.jsonl")
    dealt = folds(questions)
    answer = partial(answer_offline, limit=RECALL_K)
    scores: dict[float, list[AskScores]] = {}
    with tempfile.TemporaryDirectory(prefix="paperskim-ask-cv-") as folder:
        store = seed_store(Path(folder), REAL / "dev_papers.jsonl")
        try:
            for weight in WEIGHTS:
                with coverage_weight(weight):
                    answers = {q.id: answer(store, q.question) for q in questions}
                scores[weight] = [score_answers(fold, answers) for fold in dealt]
                rows = " | ".join(
                    f"fold {n}: {describe(s)}" for n, s in enumerate(scores[weight], 1)
                )
                print(f"COVERAGE_WEIGHT {weight}: {rows}")
        finally:
            store.dispose()
    for picked_on in range(len(dealt)):
        best = max(WEIGHTS, key=lambda w: objective(scores[w][picked_on]))
        for n, s in enumerate(scores[best], 1):
            if n != picked_on + 1:
                print(
                    f"picked on fold {picked_on + 1}: COVERAGE_WEIGHT {best}; "
                    f"held-out fold {n}: {describe(s)}"
                )


if __name__ == "__main__":
    main()
