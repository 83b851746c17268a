"""The scorers of evals/scoring.py, each tested directly on small hand-made gains."""

from __future__ import annotations

import json

import pytest

from agent.core.methods import takeaway_names_method
from agent.core.methods import title_name as method_name
from agent.core.models import Gain, PaperSummary
from agent.core.units import comparable_unit as normalize_unit
from evals.scoring import gains_match, match_gains, score_paper, score_run

ABSTRACT = "FooNet achieves an average speedup of 2.20x (up to 3.21x) and reduces memory by 20-90%."
TITLE = "FooNet: Fast Things"


def gain(value: float, unit: str = "x", **fields: object) -> Gain:
    data: dict[str, object] = {
        "metric": "speedup",
        "value": value,
        "value_high": None,
        "unit": unit,
        "kind": "improvement",
        "qualifier": None,
        "baseline": None,
        "condition": None,
        "quote": f"{value}{unit}",
    }
    data.update(fields)
    return Gain.model_validate(data)


def summary(
    gains: list[Gain], takeaway: str = "FooNet is 2.20x faster.", pid: str = "p"
) -> PaperSummary:
    return PaperSummary(id=pid, takeaway=takeaway, has_claims=bool(gains), gains=gains)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("×", "x"),
        ("times", "x"),
        ("fold", "x"),
        ("$\\times$", "x"),
        ("X", "x"),
        ("percent", "%"),
        ("\\%", "%"),
        ("percentage points", "%"),
        (" % ", "%"),
        ("FPS", "fps"),
        ("pts", "points"),
    ],
)
def test_normalize_unit(unit: str, expected: str) -> None:
    assert normalize_unit(unit) == expected


def test_units_match_after_normalization() -> None:
    assert gains_match(gain(2.2, "×"), gain(2.2, "x"))
    assert gains_match(gain(2.2, "times"), gain(2.2, "x"))
    assert gains_match(gain(19.6, "percent"), gain(19.6, "%"))
    assert gains_match(gain(2.0, "percentage points"), gain(2.0, "%"))
    assert not gains_match(gain(2.0, "%"), gain(2.0, "x"))
    assert not gains_match(gain(12.0, "GB"), gain(12.0, "MB"))


def test_values_agree_within_half_a_percent() -> None:
    assert gains_match(gain(2.2), gain(2.20))
    assert gains_match(gain(100.4), gain(100.0))
    assert not gains_match(gain(100.6), gain(100.0))
    assert not gains_match(gain(2.1), gain(2.2))
    assert gains_match(gain(0.0), gain(0.0))


def test_value_high_must_agree_only_when_both_give_one() -> None:
    gold = gain(20, "%", value_high=90.0)
    assert gains_match(gain(20, "%", value_high=90.0), gold)
    assert not gains_match(gain(20, "%", value_high=60.0), gold)
    assert gains_match(gain(20, "%"), gold)  # a single number matches the range's low end
    assert gains_match(gold, gain(20, "%"))


def test_each_gold_gain_matches_at_most_once() -> None:
    pairs = match_gains([gain(2.0), gain(2.0)], [gain(2.0)])
    assert pairs == [(0, 0)]


def test_matching_is_maximum_not_greedy() -> None:
    # Greedy would give pred 0 (fits both) the first gold and leave pred 1 unmatched.
    pred = [gain(20, "%"), gain(20, "%", value_high=90.0)]
    gold = [gain(20, "%", value_high=90.0), gain(20, "%", value_high=50.0)]
    assert sorted(match_gains(pred, gold)) == [(0, 1), (1, 0)]


def test_matching_prefers_the_closer_value() -> None:
    assert match_gains([gain(100.2)], [gain(100.4), gain(100.2)]) == [(0, 1)]


def test_score_paper_counts_and_details() -> None:
    gold = summary(
        [gain(2.2, baseline="offloading"), gain(3.21), gain(20, "%", value_high=90.0, kind="cost")]
    )
    pred = summary(
        [
            gain(2.20, quote="average speedup of 2.20x", baseline="existing"),
            gain(3.21, quote="up to 3.21x"),
            gain(20, "%", value_high=90.0, quote="20-90%"),
            gain(7.0, quote="7x not in text"),
        ],
        takeaway="FooNet is 5x faster than everything else in this world.",
    )
    score = score_paper("p", pred, gold, ABSTRACT, TITLE)
    assert (score.tp, score.fp, score.fn) == (3, 1, 0)
    assert score.kind_correct == 2
    assert (score.baseline_needed, score.baseline_present) == (1, 1)
    assert score.quotes_not_verbatim == ["7x not in text"]
    assert score.quotes_without_value == []
    assert score.takeaway_unsupported_numbers == [5.0]
    assert score.takeaway_words == 10
    assert score.takeaway_names_method is True
    assert [g.value for g in score.unmatched_pred] == [7.0]


def test_quote_without_its_value_is_counted() -> None:
    pred = summary([gain(2.2, quote="up to 3.21x")])
    score = score_paper("p", pred, summary([]), ABSTRACT, TITLE)
    assert score.quotes_without_value == ["up to 3.21x"]


def test_has_claims_false_makes_every_prediction_a_false_positive() -> None:
    gold = PaperSummary(id="p", takeaway="t", has_claims=False, gains=[])
    score = score_paper("p", summary([gain(2.2), gain(3.21)]), gold, ABSTRACT, TITLE)
    assert (score.tp, score.fp, score.fn) == (0, 2, 0)


def test_missing_prediction_misses_every_gold_gain() -> None:
    score = score_paper("p", None, summary([gain(2.2), gain(3.21)]), ABSTRACT, TITLE)
    assert (score.tp, score.fp, score.fn) == (0, 0, 2)
    assert score.takeaway_names_method is None and not score.predicted


def test_score_run_micro_averages_and_serializes() -> None:
    gold = {"a": summary([gain(2.2), gain(3.21)], pid="a"), "b": summary([gain(4.0)], pid="b")}
    preds = {
        "a": summary([gain(2.2, quote="2.20x"), gain(9.9, quote="9.9x")], pid="a"),
        "zzz": summary([], pid="zzz"),
    }
    abstracts = {"a": ABSTRACT, "b": "BarNet is 4x faster."}
    titles = {"a": TITLE, "b": "BarNet: Speed"}
    run = score_run(preds, gold, abstracts, titles)
    assert (run.tp, run.fp, run.fn) == (1, 1, 2)
    assert run.precision == pytest.approx(0.5)
    assert run.recall == pytest.approx(1 / 3)
    assert run.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert run.papers == 2 and run.papers_predicted == 1
    assert run.quotes_not_verbatim == 1  # "9.9x" is not in the abstract
    assert run.unscored_ids == ["zzz"]
    data = json.loads(json.dumps(run.to_dict()))
    assert data["per_paper"][0]["matched"][0][0]["value"] == 2.2


def test_score_run_with_no_predictions_is_zero_not_an_error() -> None:
    run = score_run({}, {"a": summary([gain(2.2)], pid="a")}, {"a": ABSTRACT}, {"a": TITLE})
    assert (run.precision, run.recall, run.f1) == (0.0, 0.0, 0.0)
    assert run.kind_accuracy == 0.0 and run.method_named_rate == 0.0


def test_takeaway_length_and_numbers_are_counted() -> None:
    long = " ".join(["word"] * 31) + " FooNet."
    preds = {
        "a": summary([], takeaway=long, pid="a"),
        "b": summary([], takeaway="FooNet 99x.", pid="b"),
    }
    gold = {"a": summary([], pid="a"), "b": summary([], pid="b")}
    run = score_run(preds, gold, {"a": ABSTRACT, "b": ABSTRACT}, {"a": TITLE, "b": TITLE})
    assert run.takeaways_over_30_words == 1
    assert run.takeaways_with_unsupported_numbers == 1
    assert run.method_named == 2 and run.method_named_rate == 1.0


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("ProMoE: Fast MoE-based LLM Serving using Proactive Caching", "ProMoE"),
        ("Sparse MeZO: Less Parameters for Better Performance", "Sparse MeZO"),
        ("A$^2$ATS: Retrieval-Based KV Cache Reduction", "A$^2$ATS"),
        ("CompeteSMoE -- Effective Training of Sparse Mixture of Experts", "CompeteSMoE"),
        ("Less Is More: Training-Free Sparse Attention", None),
        ("Beyond Inference: Performance Analysis of DNN Server Overheads", None),
        ("Rethinking: Something", None),
        ("Root Mean Square Layer Normalization", None),
    ],
)
def test_method_name(title: str, expected: str | None) -> None:
    assert method_name(title) == expected


def test_takeaway_names_method_accepts_aliases() -> None:
    abstract = "We propose Weak-to-Strong Diffusion (W2SD), a framework. W2SD is fast."
    title = "Weak-to-Strong Diffusion with Reflection"
    assert takeaway_names_method("W2SD makes images better.", title, abstract) is True
    assert takeaway_names_method("Weak-to-Strong Diffusion helps.", title, abstract) is True
    assert takeaway_names_method("A new diffusion method helps.", title, abstract) is False
    eaas = "We propose EaaS, a serving system."
    assert takeaway_names_method("EaaS serves.", "Expert-as-a-Service: Towards X", eaas) is True
    assert takeaway_names_method("A^2ATS wins.", "A$^2$ATS: Retrieval", "A^2ATS is fast.") is True


def test_no_identifiable_name_gives_none() -> None:
    abstract = "We propose a more modular approach to variational inference in PPLs."
    assert (
        takeaway_names_method("A modular approach.", "Probabilistic Programming", abstract) is None
    )
    # A token followed by a noun is a modifier, and a named dataset is not the method.
    assert takeaway_names_method("x", "Plain Title", "We propose a novel PTQ algorithm.") is None
    assert takeaway_names_method("x", "Plain Title", "We built a dataset named ADVANCE.") is None
