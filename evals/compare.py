"""Comparing two eval runs: metric deltas and the papers whose results changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.tables import EvalRun

# (key in EvalRun.scores, label, higher is better)
METRICS: list[tuple[str, str, bool]] = [
    ("precision", "gain precision", True),
    ("recall", "gain recall", True),
    ("f1", "gain F1", True),
    ("trusted_f1", "trusted-gain F1 (number and metric right)", True),
    ("metric_agreement", "metric agreement (matched)", True),
    ("baseline_agreement", "baseline agreement (matched, gold has one)", True),
    ("kind_accuracy", "kind accuracy (matched)", True),
    ("baseline_rate", "baseline present when gold has one", True),
    ("invented_per_20_no_claim", "invented gains per 20 no-claim abstracts", False),
    ("quotes_not_verbatim", "quotes not verbatim", False),
    ("quotes_without_value", "quotes without their value", False),
    ("takeaways_over_30_words", "takeaways over 30 words", False),
    ("takeaways_with_unsupported_numbers", "takeaways with unsupported numbers", False),
    ("first_sentence_share", "takeaways that are the first sentence", False),
    ("takeaways_mid_phrase", "takeaways ending mid-phrase", False),
    ("takeaways_with_markup", "takeaways with LaTeX/HTML residue", False),
    ("method_named_rate", "takeaways naming the method", True),
    ("failed", "papers failed", False),
]


@dataclass(frozen=True)
class MetricDelta:
    label: str
    a: float | None
    b: float | None
    higher_is_better: bool

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def verdict(self) -> str:
        d = self.delta
        if d is None or abs(d) < 1e-9:
            return "same"
        return "better" if (d > 0) == self.higher_is_better else "worse"


@dataclass(frozen=True)
class PaperChange:
    paper_id: str
    a: dict[str, Any]
    b: dict[str, Any]

    @property
    def summary(self) -> str:
        parts = [
            f"{k} {self.a.get(k)}→{self.b.get(k)}"
            for k in ("tp", "fp", "fn")
            if self.a.get(k) != self.b.get(k)
        ]
        if self.a.get("judge_score") != self.b.get("judge_score"):
            parts.append(f"judge {self.a.get('judge_score')}→{self.b.get('judge_score')}")
        if bool(self.a.get("failure")) != bool(self.b.get("failure")):
            parts.append("now failed" if self.b.get("failure") else "no longer failed")
        return ", ".join(parts)

    @property
    def better(self) -> bool:
        def net(row: dict[str, Any]) -> int:
            return int(row.get("tp", 0)) - int(row.get("fp", 0))

        return net(self.b) > net(self.a)


@dataclass(frozen=True)
class Comparison:
    a: EvalRun
    b: EvalRun
    metrics: list[MetricDelta]
    changed: list[PaperChange]
    same_gold: bool


def _judge_mean(run: EvalRun) -> float | None:
    return run.judge.get("mean_score") if run.judge else None


def compare_runs(a: EvalRun, b: EvalRun) -> Comparison:
    metrics = [
        MetricDelta(label, a.scores.get(key), b.scores.get(key), up) for key, label, up in METRICS
    ]
    metrics.append(MetricDelta("judge mean score (1–5)", _judge_mean(a), _judge_mean(b), True))
    by_id_a = {row["paper_id"]: row for row in a.per_paper}
    changed = []
    for row in b.per_paper:
        old = by_id_a.get(row["paper_id"])
        if old is None:
            continue
        change = PaperChange(row["paper_id"], old, row)
        if change.summary:
            changed.append(change)
    return Comparison(a, b, metrics, changed, a.gold_set == b.gold_set)
