"""Train the offline engine's claim model on the dev part of the real corpus, with grouped CV.

    .venv/bin/python -m evals.train_claim_model  # cross-validate, print the report
    .venv/bin/python -m evals.train_claim_model --write  # also write the shipped claim_model.json

Every row is one candidate of agent/summarize/offline.open_candidates (the numbers the rules do
not refuse); its label is whether it matches a gold gain (evals/scoring.match_gains over the
paper's valid candidates). Folds are whole papers, stratified by whether the paper claims
anything and dealt out with a fixed seed, so a run is deterministic. Each outer fold trains on
the other folds and chooses its threshold by an inner cross-validation on them; the held-out
papers are then summarized with that model and scored with evals/scoring.score_run, next to the
strict rules on the same papers. The CV is repeated over REPEATS fold seeds, and a paired
bootstrap over papers gives intervals for model minus rules. The shipped model is trained on
all of dev, its threshold chosen the same way on all of dev's out-of-fold probabilities.
Training needs scikit-learn (the `dev` extra); the runtime does not.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass

from agent.core.methods import find_method_name
from agent.core.models import Gain, PaperSummary
from agent.core.validate import gain_errors
from agent.summarize.claim_model import FEATURE_NAMES, MODEL_PATH, ClaimModel, feature_rows
from agent.summarize.offline import (
    _checked,
    claimed_gains,
    extractive_takeaway,
    open_candidates,
    rule_gains,
)
from evals.gold import gold_set_paths, load_gold, load_papers
from evals.scoring import PaperScore, RunScores, match_gains, score_run

SEED = 0
FOLDS = 5
C = 1.0  # inverse L2 strength, fixed before looking at any fold (no search over it)
MAX_INVENTED_PER_20 = 1.0  # issue 11: at most 1 invented gain per 20 no-claim abstracts
REPEATS = 5  # CV is repeated with fold seeds 0..4: one split of 45 claim papers is noisy
BOOTSTRAP = 2000  # paired resamples of papers for the model-minus-rules intervals
THRESHOLDS = [t / 100 for t in range(5, 96)]


@dataclass
class Paper:
    """One dev paper: its candidates' feature rows and labels, and what scoring needs."""

    id: str
    title: str
    abstract: str
    method: str | None
    rows: list[list[float]]  # one per valid candidate
    labels: list[int]
    accepted: list[bool]  # the strict rules' verdict on each
    gold: PaperSummary


def load_set(name: str) -> list[Paper]:
    gold_path, papers_path = gold_set_paths(name)
    gold, papers = load_gold(gold_path), load_papers(papers_path)
    out = []
    for pid, paper in papers.items():
        method = find_method_name(paper.title, paper.abstract)
        candidates = open_candidates(paper.abstract, method)
        rows_all = feature_rows(candidates) if candidates else []
        rows: list[list[float]] = []
        gains: list[Gain] = []
        accepted: list[bool] = []
        for candidate, row in zip(candidates, rows_all, strict=True):
            gain = _checked(candidate.gain, paper.abstract)
            if not gain_errors(gain, paper.abstract):  # never output, so never learned from
                rows.append(row)
                gains.append(gain)
                accepted.append(candidate.accepted)
        gold_gains = gold[pid].gains if gold[pid].has_claims else []
        matched = {i for i, _ in match_gains(gains, gold_gains)}
        labels = [int(i in matched) for i in range(len(gains))]
        out.append(
            Paper(pid, paper.title, paper.abstract, method, rows, labels, accepted, gold[pid])
        )
    return out


def assign_folds(papers: Sequence[Paper], folds: int = FOLDS) -> list[int]:
    """A fold per paper: claim and no-claim papers each shuffled with SEED and dealt out in
    turn, so every fold holds a share of both."""
    fold = [0] * len(papers)
    rng = random.Random(SEED)
    for claims in (True, False):
        members = [i for i, p in enumerate(papers) if p.gold.has_claims is claims]
        rng.shuffle(members)
        for k, i in enumerate(members):
            fold[i] = k % folds
    return fold


def fit(papers: Sequence[Paper], threshold: float) -> ClaimModel:
    from sklearn.linear_model import LogisticRegression

    x = [row for p in papers for row in p.rows]
    y = [label for p in papers for label in p.labels]
    clf = LogisticRegression(C=C, max_iter=5000)
    clf.fit(x, y)
    return ClaimModel(
        features=list(FEATURE_NAMES),
        weights=[round(float(w), 6) for w in clf.coef_[0]],
        bias=round(float(clf.intercept_[0]), 6),
        threshold=threshold,
    )


def out_of_fold(papers: Sequence[Paper], folds: int = FOLDS) -> list[list[float]]:
    """Each paper's candidate probabilities from a model that did not see the paper."""
    fold = assign_folds(papers, folds)
    probs: list[list[float]] = [[] for _ in papers]
    for k in range(folds):
        train = [p for p, f in zip(papers, fold, strict=True) if f != k]
        model = fit(train, 0.5)
        for i, p in enumerate(papers):
            if fold[i] == k:
                probs[i] = model.probabilities(p.rows)
    return probs


def _kept_counts(papers: Sequence[Paper], keep: Sequence[Sequence[bool]]) -> tuple[int, int, int]:
    """(true, false, invented on no-claim papers) among the kept candidates."""
    tp = fp = invented = 0
    for p, kept in zip(papers, keep, strict=True):
        for label, k in zip(p.labels, kept, strict=True):
            if k:
                tp += label
                fp += 1 - label
                invented += (1 - label) * (not p.gold.has_claims)
    return tp, fp, invented


def choose_threshold(papers: Sequence[Paper], probs: Sequence[Sequence[float]]) -> float:
    """Precision first ("when unsure, leave it out"): among the thresholds that are at least as
    precise as the strict rules on the same papers and invent at most MAX_INVENTED_PER_20
    gains per 20 no-claim papers, the one with the best F1; ties go to the higher threshold.
    With none, the most precise one."""
    gold_total = sum(len(p.gold.gains) for p in papers)
    no_claim = max(sum(not p.gold.has_claims for p in papers), 1)
    rule_tp, rule_fp, _ = _kept_counts(papers, [p.accepted for p in papers])
    rule_precision = rule_tp / max(rule_tp + rule_fp, 1)
    best, best_score = None, -1.0
    fallback, fallback_precision = THRESHOLDS[-1], -1.0
    for t in THRESHOLDS:
        tp, fp, invented = _kept_counts(papers, [[x >= t for x in ps] for ps in probs])
        precision, recall = tp / max(tp + fp, 1), tp / max(gold_total, 1)
        if precision >= fallback_precision:
            fallback, fallback_precision = t, precision
        if precision < rule_precision or 20 * invented / no_claim > MAX_INVENTED_PER_20:
            continue
        score = 2 * precision * recall / max(precision + recall, 1e-9)
        if score >= best_score:
            best, best_score = t, score
    return fallback if best is None else best


def train(papers: Sequence[Paper]) -> ClaimModel:
    """A model on all of `papers`, its threshold chosen on their out-of-fold probabilities."""
    threshold = choose_threshold(papers, out_of_fold(papers))
    return fit(papers, threshold)


def summarize_with(paper: Paper, model: ClaimModel | None) -> PaperSummary:
    """The offline engine's summary with the claim model's gains (the strict rules' when
    None)."""
    if model is None:
        gains = rule_gains(paper.abstract, paper.method)
    else:
        gains = claimed_gains(paper.abstract, paper.method, model)
    return PaperSummary(
        id=paper.id,
        takeaway=extractive_takeaway(paper.title, paper.abstract, gains),
        has_claims=bool(gains),
        gains=gains,
    )


def score(papers: Sequence[Paper], preds: dict[str, PaperSummary]) -> RunScores:
    return score_run(
        preds,
        {p.id: p.gold for p in papers},
        {p.id: p.abstract for p in papers},
        {p.id: p.title for p in papers},
    )


def line(label: str, s: RunScores) -> str:
    return (
        f"{label:<26} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  "
        f"trusted F1 {s.trusted_f1:.3f}  metric {s.metric_agreement:.3f}  "
        f"baseline {s.baseline_agreement:.3f}  invented/20 {s.invented_per_20_no_claim:.2f}"
    )


def cross_validate(
    papers: Sequence[Paper], verbose: bool
) -> tuple[dict[str, PaperSummary], dict[str, PaperSummary]]:
    """Grouped CV of the whole engine: each fold's papers summarized by a model trained on the
    other folds, and by the rules; per-fold scores printed when `verbose`."""
    fold = assign_folds(papers)
    model_preds: dict[str, PaperSummary] = {}
    rule_preds: dict[str, PaperSummary] = {}
    for k in range(FOLDS):
        train_part = [p for p, f in zip(papers, fold, strict=True) if f != k]
        test_part = [p for p, f in zip(papers, fold, strict=True) if f == k]
        model = train(train_part)
        mine = {p.id: summarize_with(p, model) for p in test_part}
        rules = {p.id: summarize_with(p, None) for p in test_part}
        model_preds |= mine
        rule_preds |= rules
        if verbose:
            claims = sum(p.gold.has_claims for p in test_part)
            print(
                f"fold {k}: {len(test_part)} papers ({claims} with claims), "
                f"threshold {model.threshold:.2f}"
            )
            print("  " + line("model", score(test_part, mine)))
            print("  " + line("rules", score(test_part, rules)))
    return model_preds, rule_preds


def _figures(scores: Sequence[PaperScore]) -> tuple[float, float, float]:
    """(precision, F1, trusted F1) pooled over per-paper scores, as score_run pools them."""
    tp, fp, fn = (sum(getattr(s, k) for s in scores) for k in ("tp", "fp", "fn"))
    trusted = sum(s.metric_agree for s in scores)
    return (
        tp / max(tp + fp, 1),
        2 * tp / max(2 * tp + fp + fn, 1),
        2 * trusted / max(2 * tp + fp + fn, 1),
    )


def paired_bootstrap(model: RunScores, rules: RunScores) -> list[tuple[float, float]]:
    """95% intervals of model minus rules (precision, F1, trusted F1), papers resampled."""
    rng = random.Random(SEED)
    pairs = list(zip(model.per_paper, rules.per_paper, strict=True))
    diffs: list[list[float]] = [[], [], []]
    for _ in range(BOOTSTRAP):
        sample = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        mine, theirs = _figures([m for m, _ in sample]), _figures([r for _, r in sample])
        for i in range(3):
            diffs[i].append(mine[i] - theirs[i])
    intervals = []
    for values in diffs:
        values.sort()
        intervals.append((values[int(0.025 * BOOTSTRAP)], values[int(0.975 * BOOTSTRAP) - 1]))
    return intervals


def main() -> None:
    global SEED
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="real-dev", help="the gold set to train on")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="CV repeats (fold seeds)")
    parser.add_argument("--write", action="store_true", help=f"write {MODEL_PATH.name}")
    args = parser.parse_args()
    papers = load_set(args.set)
    rows = sum(len(p.rows) for p in papers)
    positives = sum(sum(p.labels) for p in papers)
    print(f"{args.set}: {len(papers)} papers, {rows} candidates, {positives} match a gold gain")
    print(f"\n{FOLDS}-fold CV grouped by paper, fold seed 0:")
    pooled: list[RunScores] = []
    rules_cv = None
    for repeat in range(args.repeats):
        SEED = repeat
        model_preds, rule_preds = cross_validate(papers, verbose=repeat == 0)
        pooled.append(score(papers, model_preds))
        if repeat == 0:
            rules_cv = score(papers, rule_preds)
            intervals = paired_bootstrap(pooled[0], rules_cv)
    SEED = 0
    assert rules_cv is not None
    print(f"\n{FOLDS}-fold CV, pooled over the held-out folds, per fold seed:")
    for repeat, scores in enumerate(pooled):
        print(line(f"model (CV, seed {repeat})", scores))
    print(line("rules (no training)", rules_cv))
    names = ("precision", "F1", "trusted F1")
    print(
        "model - rules, fold seed 0, 95% paired bootstrap over papers: "
        + ", ".join(
            f"{n} [{lo:+.3f}, {hi:+.3f}]" for n, (lo, hi) in zip(names, intervals, strict=True)
        )
    )
    model = train(papers)
    trained = score(papers, {p.id: summarize_with(p, model) for p in papers})
    print(line("model (training set)", trained))
    print(f"\nthreshold {model.threshold:.2f}, bias {model.bias:+.3f}; weights:")
    ranked = sorted(zip(model.features, model.weights, strict=True), key=lambda x: -abs(x[1]))
    for name, weight in ranked:
        print(f"  {weight:+.3f}  {name}")
    if args.write:
        MODEL_PATH.write_text(model.model_dump_json(indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
