"""Scoring summaries against the gold annotation, exactly as evals/data/ANNOTATION.md defines it.

Everything here is a pure function of its arguments: gains match on unit and value, matches are
one-to-one, precision/recall/F1 are micro-averaged over papers, and faithfulness is checked with
the shared number rules of agent/numbers.py so that the scorer, the validator and the engines
agree on what a number is.

`python -m evals.scoring` prints the scores of the offline engine on the seed set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from agent.core.methods import takeaway_names_method
from agent.core.models import Gain, PaperSummary
from agent.core.numbers import quote_contains_value, unsupported_numbers
from agent.core.units import comparable_unit
from agent.core.validate import MAX_TAKEAWAY_WORDS
from agent.core.words import labels_share_word, metrics_agree
from evals import takeaway_checks as tk

VALUE_TOLERANCE = 0.005  # "values agree within 0.5% relative"


def values_agree(a: float, b: float, rel: float = VALUE_TOLERANCE) -> bool:
    """True when two values are within `rel` of each other, relative to the larger one."""
    return abs(a - b) <= rel * max(abs(a), abs(b)) or a == b


def gains_match(pred: Gain, gold: Gain) -> bool:
    """A predicted gain matches a gold one: same unit, value within 0.5%, and the same upper
    end of the range when both state one (a range and a single number still match on the low
    end, as the annotation only asks `value_high` to agree when both give it)."""
    if comparable_unit(pred.unit) != comparable_unit(gold.unit):
        return False
    if not values_agree(pred.value, gold.value):
        return False
    if pred.value_high is not None and gold.value_high is not None:
        return values_agree(pred.value_high, gold.value_high)
    return True


def _distance(pred: Gain, gold: Gain) -> float:
    """How far apart two matching gains are; breaks ties between equally large matchings."""
    scale = max(abs(gold.value), 1e-9)
    return abs(pred.value - gold.value) / scale + (pred.quote != gold.quote) * 1e-6


def _partners(pred: Gain, gold: list[Gain]) -> list[int]:
    """Indices of the gold gains `pred` matches: those whose metric agrees first ("86% and
    86%" pair by label), then closest first."""
    hits = [j for j, g in enumerate(gold) if gains_match(pred, g)]
    return sorted(
        hits,
        key=lambda j: (not metrics_agree(pred.metric, gold[j].metric), _distance(pred, gold[j]), j),
    )


def match_gains(pred: list[Gain], gold: list[Gain]) -> list[tuple[int, int]]:
    """A maximum one-to-one matching of predicted to gold gains, as (pred, gold) index pairs.

    Greedy matching can lose a pair ("2.0x" taken by the wrong gold "2x" leaves another
    prediction without its only partner), so this finds augmenting paths (Kuhn's algorithm).
    The lists are a handful of gains each, so the O(V·E) cost is nothing. Candidate gold gains
    are tried closest first, so among maximum matchings the closer pairs are preferred.
    """
    candidates = [_partners(p, gold) for p in pred]
    gold_owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in gold_owner or augment(gold_owner[j], seen):
                gold_owner[j] = i
                return True
        return False

    for i in range(len(pred)):
        augment(i, set())
    return sorted((i, j) for j, i in gold_owner.items())


# ---------------------------------------------------------------- method names in takeaways

# Words that open a title's first part without naming anything ("Rethinking X: ...").
# ---------------------------------------------------------------- per paper and per run


@dataclass
class PaperScore:
    """How one prediction compares with its gold record."""

    paper_id: str
    predicted: bool
    tp: int
    fp: int
    fn: int
    matched: list[tuple[Gain, Gain]]
    unmatched_pred: list[Gain]
    missed_gold: list[Gain]
    kind_correct: int
    metric_agree: int
    baseline_needed: int
    baseline_present: int
    baseline_agree: int
    gold_has_claims: bool
    quotes_not_verbatim: list[str]
    quotes_without_value: list[str]
    takeaway_words: int
    takeaway_unsupported_numbers: list[float]
    takeaway_names_method: bool | None
    result_after_first: bool
    takeaway_first_sentence: bool
    takeaway_mid_phrase: bool
    takeaway_markup: list[str]


def score_paper(
    paper_id: str, pred: PaperSummary | None, gold: PaperSummary, abstract: str, title: str
) -> PaperScore:
    """Score one prediction (None when the paper has none) against its gold record."""
    pred_gains = pred.gains if pred is not None else []
    # has_claims false means every predicted gain is wrong, whatever the gold list holds.
    gold_gains = gold.gains if gold.has_claims else []
    pairs = match_gains(pred_gains, gold_gains)
    matched_pred = {i for i, _ in pairs}
    matched_gold = {j for _, j in pairs}
    matched = [(pred_gains[i], gold_gains[j]) for i, j in pairs]
    with_baseline = [(p, g) for p, g in matched if g.baseline is not None]
    takeaway = pred.takeaway if pred is not None else ""
    return PaperScore(
        paper_id=paper_id,
        predicted=pred is not None,
        tp=len(pairs),
        fp=len(pred_gains) - len(pairs),
        fn=len(gold_gains) - len(pairs),
        matched=matched,
        unmatched_pred=[g for i, g in enumerate(pred_gains) if i not in matched_pred],
        missed_gold=[g for j, g in enumerate(gold_gains) if j not in matched_gold],
        kind_correct=sum(p.kind == g.kind for p, g in matched),
        metric_agree=sum(metrics_agree(p.metric, g.metric) for p, g in matched),
        baseline_needed=len(with_baseline),
        baseline_present=sum(bool((p.baseline or "").strip()) for p, _ in with_baseline),
        baseline_agree=sum(labels_share_word(p.baseline, g.baseline) for p, g in with_baseline),
        gold_has_claims=gold.has_claims,
        quotes_not_verbatim=[g.quote for g in pred_gains if not g.quote or g.quote not in abstract],
        quotes_without_value=[
            g.quote for g in pred_gains if not quote_contains_value(g.quote, g.value)
        ],
        takeaway_words=len(takeaway.split()),
        takeaway_unsupported_numbers=unsupported_numbers(takeaway, abstract),
        takeaway_names_method=(
            takeaway_names_method(takeaway, title, abstract) if pred is not None else None
        ),
        result_after_first=tk.result_after_first(gold, abstract),
        takeaway_first_sentence=pred is not None and tk.is_first_sentence(takeaway, abstract),
        takeaway_mid_phrase=pred is not None and tk.ends_mid_phrase(takeaway),
        takeaway_markup=tk.markup_residue(takeaway),
    )


def _ratio(num: int, den: int) -> float:
    """num/den, and 0.0 for an empty denominator (nothing predicted scores no precision)."""
    return num / den if den else 0.0


@dataclass
class RunScores:
    """Micro-averaged scores of a run over the gold papers, with the per-paper details."""

    papers: int
    papers_predicted: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    matched: int
    kind_correct: int
    kind_accuracy: float
    metric_agree: int
    metric_agreement: float
    trusted_tp: int
    trusted_precision: float
    trusted_recall: float
    trusted_f1: float
    baseline_needed: int
    baseline_present: int
    baseline_rate: float
    baseline_agree: int
    baseline_agreement: float
    no_claim_papers: int
    no_claim_gains: int
    invented_per_20_no_claim: float
    quotes: int
    quotes_not_verbatim: int
    quotes_without_value: int
    takeaways: int
    takeaways_over_30_words: int
    takeaways_with_unsupported_numbers: int
    result_after_first: int
    takeaways_first_sentence: int
    first_sentence_share: float
    takeaways_mid_phrase: int
    takeaways_with_markup: int
    method_identifiable: int
    method_named: int
    method_named_rate: float
    unscored_ids: list[str] = field(default_factory=list)
    per_paper: list[PaperScore] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serializable data (gains become their field dicts)."""

        def plain(value: Any) -> Any:
            if isinstance(value, Gain):
                return value.model_dump(mode="json")
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return value

        return {k: plain(v) for k, v in asdict(self).items()}

    def summary_line(self) -> str:
        return (
            f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn})  trusted F1 {self.trusted_f1:.3f}  "
            f"metric {self.metric_agreement:.3f}  baseline {self.baseline_agreement:.3f}"
        )


def score_run(
    preds: dict[str, PaperSummary],
    gold: dict[str, PaperSummary],
    abstracts: dict[str, str],
    titles: dict[str, str],
) -> RunScores:
    """Score every gold paper; a gold paper without a prediction misses all its gains."""
    scores = [
        score_paper(pid, preds.get(pid), g, abstracts.get(pid, ""), titles.get(pid, ""))
        for pid, g in gold.items()
    ]
    tp = sum(s.tp for s in scores)
    fp = sum(s.fp for s in scores)
    fn = sum(s.fn for s in scores)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    predicted = [s for s in scores if s.predicted]
    named = [s.takeaway_names_method for s in predicted if s.takeaway_names_method is not None]
    matched = sum(len(s.matched) for s in scores)
    kind_correct = sum(s.kind_correct for s in scores)
    baseline_needed = sum(s.baseline_needed for s in scores)
    baseline_present = sum(s.baseline_present for s in scores)
    metric_agree = sum(s.metric_agree for s in scores)
    baseline_agree = sum(s.baseline_agree for s in scores)
    # Trusted gains: a match counts only when its metric agrees; every other prediction is
    # wrong and every other gold gain missed (the pairs are the same maximum matching).
    trusted = metric_agree
    no_claims = [s for s in scores if not s.gold_has_claims]
    no_claim_gains = sum(s.fp for s in no_claims)
    eligible = [s for s in predicted if s.result_after_first]
    first = sum(s.takeaway_first_sentence for s in eligible)
    return RunScores(
        papers=len(scores),
        papers_predicted=len(predicted),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=precision,
        recall=recall,
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
        matched=matched,
        kind_correct=kind_correct,
        kind_accuracy=_ratio(kind_correct, matched),
        metric_agree=metric_agree,
        metric_agreement=_ratio(metric_agree, matched),
        trusted_tp=trusted,
        trusted_precision=_ratio(trusted, tp + fp),
        trusted_recall=_ratio(trusted, tp + fn),
        trusted_f1=_ratio(2 * trusted, tp + fp + tp + fn),
        baseline_needed=baseline_needed,
        baseline_present=baseline_present,
        baseline_rate=_ratio(baseline_present, baseline_needed),
        baseline_agree=baseline_agree,
        baseline_agreement=_ratio(baseline_agree, baseline_needed),
        no_claim_papers=len(no_claims),
        no_claim_gains=no_claim_gains,
        invented_per_20_no_claim=20 * _ratio(no_claim_gains, len(no_claims)),
        quotes=sum(s.tp + s.fp for s in scores),
        quotes_not_verbatim=sum(len(s.quotes_not_verbatim) for s in scores),
        quotes_without_value=sum(len(s.quotes_without_value) for s in scores),
        takeaways=len(predicted),
        takeaways_over_30_words=sum(s.takeaway_words > MAX_TAKEAWAY_WORDS for s in predicted),
        takeaways_with_unsupported_numbers=sum(
            bool(s.takeaway_unsupported_numbers) for s in predicted
        ),
        result_after_first=len(eligible),
        takeaways_first_sentence=first,
        first_sentence_share=_ratio(first, len(eligible)),
        takeaways_mid_phrase=sum(s.takeaway_mid_phrase for s in predicted),
        takeaways_with_markup=sum(bool(s.takeaway_markup) for s in predicted),
        method_identifiable=len(named),
        method_named=sum(named),
        method_named_rate=_ratio(sum(named), len(named)),
        unscored_ids=sorted(set(preds) - set(gold)),
        per_paper=scores,
    )


def _main() -> None:
    import json
    import sys

    from agent.summarize.offline import summarize_offline
    from evals.gold import load_gold, load_papers

    papers = load_papers()
    gold = load_gold()
    preds = {pid: summarize_offline(pid, p.title, p.abstract) for pid, p in papers.items()}
    scores = score_run(
        preds,
        gold,
        {pid: p.abstract for pid, p in papers.items()},
        {pid: p.title for pid, p in papers.items()},
    )
    if "--json" in sys.argv[1:]:
        print(json.dumps(scores.to_dict(), indent=2))
        return
    if "--errors" in sys.argv[1:]:
        for s in scores.per_paper:
            for g in s.unmatched_pred:
                print(f"FP {s.paper_id} {g.value:g} {g.value_high} {g.unit} | {g.quote}")
            for g in s.missed_gold:
                print(f"FN {s.paper_id} {g.value:g} {g.value_high} {g.unit} | {g.quote}")
    print(f"offline engine on {scores.papers} seed papers: {scores.summary_line()}")
    print(
        f"kind accuracy {scores.kind_accuracy:.3f} ({scores.kind_correct}/{scores.matched}), "
        f"baseline rate {scores.baseline_rate:.3f} "
        f"({scores.baseline_present}/{scores.baseline_needed})"
    )
    print(
        f"quotes: {scores.quotes_not_verbatim} not verbatim, {scores.quotes_without_value} "
        f"without their value (of {scores.quotes}); takeaways: "
        f"{scores.takeaways_over_30_words} over {MAX_TAKEAWAY_WORDS} words, "
        f"{scores.takeaways_with_unsupported_numbers} with unsupported numbers, method named "
        f"{scores.method_named}/{scores.method_identifiable} ({scores.method_named_rate:.3f})"
    )
    print(
        f"no-claim abstracts: {scores.no_claim_gains} invented gains on "
        f"{scores.no_claim_papers} ({scores.invented_per_20_no_claim:.2f} per 20); takeaways: "
        f"{scores.takeaways_first_sentence}/{scores.result_after_first} first sentence "
        f"({scores.first_sentence_share:.3f}), {scores.takeaways_mid_phrase} end mid-phrase, "
        f"{scores.takeaways_with_markup} with markup"
    )


if __name__ == "__main__":
    _main()
