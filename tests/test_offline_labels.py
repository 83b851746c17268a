"""Metric and baseline labels of the offline engine (offline-v5), one rule a case, on sentences
made up for these tests: the structure around the number decides the label, so each case
states the structure in neutral words (FooNet is the paper's method, Bar*/Baz* other systems).
"""

from __future__ import annotations

import pytest

from agent.summarize.offline import extract_gains
from agent.summarize.offline_baselines import plain_baseline

METHOD = "FooNet"


def labels(text: str) -> list[tuple[str, str | None]]:
    return [(g.metric, g.baseline) for g in extract_gains(text, METHOD)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a metric at a cut-off or with a modifier names a quantity, not a model
        (
            "FooNet improves the pass@1 of BarLM by 9.8% on BazEval.",
            [("pass@1", None)],
        ),
        (
            "FooNet beats the strongest baseline by 4.4% in macro-F1 and 3.9% in accuracy.",
            [("macro-F1", "the strongest baseline"), ("accuracy", "the strongest baseline")],
        ),
        # "respectively" lists: metrics before "by", metrics of the numbers listed just before
        (
            "FooNet reduces latency and memory by 35% and 48%, respectively.",
            [("latency", None), ("memory", None)],
        ),
        (
            "FooNet reaches 91.2% precision and 87.5% recall, beating BarNet by 4.3% and 6.1%, "
            "respectively.",
            [("precision", "BarNet"), ("recall", "BarNet")] * 2,
        ),
        # the change verb's object, with the verb's own quantity when the object names none
        (
            "FooNet accelerates decoding by 2.1x compared to BarDecode.",
            [("decoding speedup", "BarDecode")],
        ),
        (
            "FooNet speeds up sparse matrix multiplication by 3.3x over BarSparse.",
            [("sparse matrix multiplication speedup", "BarSparse")],
        ),
        # a count per unit of time is a throughput
        (
            "FooNet serves 1.9x more requests per second than BarServe.",
            [("requests per second throughput", "BarServe")],
        ),
        # "area by" is linked by "by", not by the "are" it starts with
        (
            "Compared to BarChip, FooNet reduces energy by 22% and area by 15%.",
            [("energy", "BarChip"), ("area", "BarChip")],
        ),
        # a share named only by where it holds
        ("FooNet reaches 85.1% on BazQA, surpassing BarLM.", [("performance on BazQA", "BarLM")]),
        (
            "FooNet improves over the baseline by 3.2% on BazQA and 5.1% on BazMath.",
            [("performance on BazQA", "the baseline"), ("performance on BazMath", "the baseline")],
        ),
        (
            "FooNet delivers gains of +3.2 and +4.1 points on BazQA and BazMath, respectively.",
            [("performance on BazQA", None), ("performance on BazMath", None)],
        ),
        # "X values from A to B": a stated range of X; "ranging from" names nothing
        ("FooNet achieves MAPE values from 2% to 9% across BazSet.", [("MAPE values", None)]),
        (
            "FooNet improves throughput, with gains ranging from 32% to 41% across models.",
            [("throughput", None)],
        ),
        # a term's acronym stays with it, and a number listed with it shares the label
        (
            "FooNet achieves mean absolute percentage errors (MAPE) between 1% and 24% "
            "for small orders.",
            [("mean absolute percentage errors (MAPE)", None)] * 2,
        ),
        # a quantity written right after another number is that number's label, not a later
        # one's: the later number is left unnamed rather than mislabelled
        (
            "With FooNet, open models reach 100% accuracy on BazMath, and on BazCode closed "
            "models improve by 10.4 percentage points.",
            [("accuracy", None), ("improvement", None)],
        ),
        # a "respectively" pair whose list is before the numbers, past a trailing "on average"
        (
            "FooNet improves Hits@5 and MRR by 8.1% and 9.4% on average, respectively.",
            [("Hits@5", None), ("MRR", None)],
        ),
        # each number's own "in X" when X is a score's name
        (
            "FooNet obtains relative gains of 11.2% in MAE and 9.8% in RMSE.",
            [("MAE", None), ("RMSE", None)],
        ),
        # an appositive change restates the result before it
        (
            "FooNet reaches a 97.3% F1-score, an improvement of 2.6% over BarNet.",
            [("F1-score", "BarNet"), ("F1-score", "BarNet")],
        ),
        # "from A X ... to B": B measures what A's words name, in the same unit
        (
            "FooNet spans a frontier from 5x compression at 0.99 fidelity to 34x at 0.95.",
            [("compression", None), ("compression", None)],
        ),
        # "an improvement of N% in X" reads as "an N% improvement in X"
        (
            "FooNet shows an improvement of 12% in user engagement over BarRec.",
            [("user engagement", "BarRec")],
        ),
        # "N% of the time" says how often, not a time (no speed label)
        (
            "Raters preferred FooNet's answers 68% of the time over BarNet's.",
            [("improvement", "BarNet")],
        ),
    ],
)
def test_metric_from_the_phrase_structure(
    text: str, expected: list[tuple[str, str | None]]
) -> None:
    assert labels(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "than that of X", "than with X": the other side is X
        (
            "The energy usage of FooNet is 45% lower than that of a GPU implementation.",
            [("energy usage", "a GPU implementation")],
        ),
        # "respectively" baselines listed after the numbers
        (
            "FooNet improves throughput by 2.1x, 1.7x, and 1.4x over BarServe, BazServe, and "
            "QuxServe, respectively.",
            [("throughput", "BarServe"), ("throughput", "BazServe"), ("throughput", "QuxServe")],
        ),
        # "N% of the Y of X at ...": X, not what follows it
        (
            "FooNet reaches 93% of the accuracy of BarLM at 5% of the cost.",
            [("accuracy", "BarLM")],
        ),
        # "state of the art" is one phrase
        (
            "FooNet gives a 12.5% gain in recall over the previous state of the art.",
            [("recall", "the previous state of the art")],
        ),
        # "within N% of Y" compares with Y; "keeping" is the verb, not the quantity
        (
            "FooNet cuts GPU memory by 38% while keeping accuracy within 0.5% of full fine-tuning.",
            [("GPU memory", None), ("accuracy", "full fine-tuning")],
        ),
        # a framing "Compared with X" is the main clause's; a participle clause with its own
        # number and comparison keeps that comparison for its number
        (
            "Compared with retraining from scratch, FooNet reduces training cost by 40%, "
            "achieving a 2x gain in throughput over static schedulers.",
            [("training cost", "retraining from scratch"), ("throughput", "static schedulers")],
        ),
        # "exceeding X by": X is the other side; "exceeding 90%" is a level, not a baseline
        (
            "FooNet reaches a mean IoU of 78.2%, exceeding the previous best by 2.4%.",
            [("mean IoU", "the previous best"), ("performance", "the previous best")],
        ),
    ],
)
def test_baseline_from_the_phrase_structure(
    text: str, expected: list[tuple[str, str | None]]
) -> None:
    assert labels(text) == expected


def test_a_level_after_exceeding_is_not_a_baseline() -> None:
    assert [
        g.baseline for g in extract_gains("FooNet reaches accuracy exceeding 90%.", METHOD)
    ] in (
        [],
        [None],
    )


def test_a_baseline_of_function_words_only_is_none() -> None:
    assert plain_baseline("up to") is None
    assert plain_baseline("the other") is None
    assert plain_baseline("the strongest baseline") == "the strongest baseline"
    assert plain_baseline("41%") == "41%"  # a starting value stays ("from 41% to 68%")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a digit inside a name is no number of its own before the label (review of offline-v5:
        # "top-1 accuracy" had become "improvement")
        ("In top-1 accuracy, FooNet is 2.3% better than BarNet.", [("top-1 accuracy", "BarNet")]),
        (
            "FooNet lowers the Llama-2 perplexity by 12% against BarNet.",
            [("Llama-2 perplexity", "BarNet")],
        ),
    ],
)
def test_a_digit_inside_a_name_keeps_the_label(
    text: str, expected: list[tuple[str, str | None]]
) -> None:
    assert labels(text) == expected


def test_a_bare_acronym_is_spelled_out_by_its_definition() -> None:
    # dev3: "achieving over 60% ASP" was labelled "ASP"; the abstract defines it earlier, and
    # a reader (or "which attacks have a success rate over 50%?") needs the words.
    text = (
        "We measure the attack success probability (ASP) of prompts. FooNet's attack "
        "achieves over 60% ASP against BarLM."
    )
    assert [g.metric for g in extract_gains(text, METHOD)] == ["attack success probability (ASP)"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an acronym with the "i" of improvement names a measure ("SDRi"), not a model
        ("FooNet improves CA-SDRi by up to 14.7% over BarNet.", [("CA-SDRi", "BarNet")]),
        ("FooNet improves SI-SDRi by 2.1 dB over BarNet.", [("SI-SDRi", "BarNet")]),
        # other lower-case endings stay names of models
        ("FooNet improves GPT-4o by 3%.", [("improvement", None)]),
    ],
)
def test_an_improvement_acronym_names_its_measure(
    text: str, expected: list[tuple[str, str | None]]
) -> None:
    assert labels(text) == expected


def test_the_side_compared_against_is_no_metric() -> None:
    # A new-user trial (MYZhangwww feed, 2026-02-25): "previous SOTA (TaylorSeer)" was a metric.
    text = (
        "FooNet gives 6.25x speedup on BarSet over the previous SOTA (BazSeer), and 5x on QuxSet."
    )
    assert [m for m, _ in labels(text)] == ["speedup", "speedup"]
    assert labels("FooNet improves SOTA top-1 accuracy by 2%.") == [("SOTA top-1 accuracy", None)]


def test_a_score_named_before_points_is_a_difference_in_points() -> None:
    gains = extract_gains(
        "FooNet outperforms the 3B and 7B models by 14.33 and 13.87 accuracy points, respectively.",
        METHOD,
    )
    assert [(g.value, g.unit, g.metric) for g in gains] == [
        (14.33, "points", "accuracy"),
        (13.87, "points", "accuracy"),
    ]
    gain = extract_gains("FooNet beats BarNet by 5.1 F1 points.", METHOD)[0]
    assert (gain.unit, gain.metric) == ("points", "F1")


def test_a_hedge_after_the_number_is_its_qualifier() -> None:
    gain = extract_gains("FooNet is 30% or more faster than BarNet.", METHOD)[0]
    assert (gain.qualifier, gain.metric) == ("at least", "speed")
    text = "FooNet reduces the latency overhead to 5 ms or less compared with BarNet."
    assert extract_gains(text, METHOD)[0].qualifier == "under"


def test_a_comparative_adjective_names_its_quality() -> None:
    assert labels("FooNet is 2.2% more accurate than BarNet.") == [("accuracy", "BarNet")]
    assert labels("FooNet is 3x more energy-efficient than BarNet.") == [
        ("energy efficiency", "BarNet")
    ]


def test_a_second_predicate_has_its_own_quantity() -> None:
    text = (
        "FooNet outperforms the best baseline by up to 16x across datasets in ingesting updates, "
        "and reduces memory usage by 40%."
    )
    assert [m for m, _ in labels(text)] == ["performance", "memory usage"]


def test_matched_is_a_condition_not_the_other_side() -> None:
    assert labels("FooNet outperforms BarNet by about 19% on attacks at matched compute.") == [
        ("performance on attacks", "BarNet")
    ]


def test_a_label_written_before_its_value_names_it() -> None:
    text = "FooNet did well in five-fold cross-validation (accuracy: 82%, AUC: 0.86)."
    assert [(g.value, g.metric) for g in extract_gains(text, METHOD)] == [
        (82.0, "accuracy"),
        (0.86, "AUC"),
    ]
    assert labels("FooNet reaches MRE = 1.25 mm and speedup: 3x over BarNet.") == [
        ("speedup", "BarNet")
    ]


def test_a_gap_in_brackets_follows_the_side_it_is_over() -> None:
    text = "FooNet outperforms multimodal models (by 15%) and unimodal models (by 20%)."
    assert [b for _, b in labels(text)] == ["multimodal models", "unimodal models"]


def test_review_of_v10_labels() -> None:
    # a verb before "name: value" is no part of the label; the quote starts at the label
    gain = extract_gains("FooNet reaches top-1\naccuracy: 82% on ImageNet.", METHOD)[0]
    assert (gain.metric, gain.quote) == ("top-1 accuracy", "top-1\naccuracy: 82%")
    assert labels("FooNet improves recall: 12% over BarNet.") == [("recall", "BarNet")]
    # "points" is the unit only of a score difference
    assert labels("FooNet uses 30% sampling points compared to BarNet.")[0][0] == "sampling points"
    # a phrase before "(by" that is no noun phrase is no baseline
    assert labels("FooNet is 2x faster compared to BarNet, and saves energy (by 20%).") == [
        ("speed", "BarNet"),
        ("energy", "BarNet"),
    ]
