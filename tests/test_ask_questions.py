"""The question grammar of `ask`: comparators, units, directions, families and cost bounds."""

from __future__ import annotations

import pytest

from agent.ask.questions import parse_question
from agent.ask.retrieve import Ranked, naming_the_metric
from agent.core.metrics import about_metrics
from store.search import GainMatch


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which papers claim at least a 10x improvement?", {"at_least": 10.0, "unit": "x"}),
        ("a speedup of 100x or more?", {"at_least": 100.0, "unit": "x"}),
        ("run more than 25x faster", {"greater_than": 25.0, "unit": "x"}),
        ("5 times faster than prior systems", {"at_least": 5.0, "unit": "x"}),
        ("a 3-fold gain", {"at_least": 3.0, "unit": "x"}),
        ("speedups over 2.5× on GPUs", {"greater_than": 2.5, "unit": "x"}),
        ("cut memory by more than 40%", {"greater_than": 40.0, "unit": "%"}),
        ("no less than 30 percent", {"at_least": 30.0, "unit": "%"}),
        ("at least 10 percentage points", {"at_least": 10.0, "unit": "%"}),
        ("by 5 pp or more", {"at_least": 5.0, "unit": "%"}),
        ("above 2 points", {"greater_than": 2.0, "unit": "points"}),
        ("latency below 50 milliseconds", {"less_than": 50.0, "unit": "ms"}),
        ("under 2 s per query", {"less_than": 2.0, "unit": "s"}),
        ("within 8 GB of memory", {"at_most": 8.0, "unit": "GB"}),
        ("up to 512 MB", {"at_most": 512.0, "unit": "MB"}),
        ("≥ 3 dB PSNR", {"at_least": 3.0, "unit": "dB"}),
        (">= 2 BLEU", {"at_least": 2.0, "unit": "BLEU"}),
        ("FID below 5 FID", {"less_than": 5.0, "unit": "FID"}),
        ("an order-of-magnitude throughput increase", {"at_least": 10.0, "unit": "x"}),
        ("accuracy of 95% or higher", {"at_least": 95.0, "unit": "%"}),
        ("at most 1,000 ms", {"at_most": 1000.0, "unit": "ms"}),
        # a currency is written before the amount (dev3: "train a model for less than $100")
        ("Did anyone train a model for less than $100?", {"less_than": 100.0, "unit": "$"}),
        ("a running cost under 1 dollar per million tokens", {"less_than": 1.0, "unit": "$"}),
        ("at most USD 5 per hour", {"at_most": 5.0, "unit": "$"}),
        # both ends of a range (dev2: "speedups within the 2-to-10-fold range")
        ("speedups within the 2-to-10-fold range", {"at_least": 2.0, "at_most": 10.0, "unit": "x"}),
        ("between 2 and 10x faster", {"at_least": 2.0, "at_most": 10.0, "unit": "x"}),
        ("a 3-5x speedup", {"at_least": 3.0, "at_most": 5.0, "unit": "x"}),
        ("from 20% to 40% less memory", {"at_least": 20.0, "at_most": 40.0, "unit": "%"}),
    ],
)
def test_comparators_values_and_units(question: str, expected: dict[str, object]) -> None:
    gain = parse_question(question).gain
    assert gain is not None
    got = {k: v for k, v in gain.to_json().items() if k in expected}
    assert got == expected


@pytest.mark.parametrize(
    ("question", "family"),
    [
        ("speedups over 10x", "speed"),
        ("more than 2x throughput", "speed"),
        ("reduce memory by 30%", "memory"),
        ("accuracy above 90%", "accuracy"),
        ("energy savings of 20%", "cost"),
        ("communication cut by 10x", "communication"),
        ("model size under 100 MB", "size"),
        ("overhead under 5 ms", "overhead"),
    ],
)
def test_metric_families(question: str, family: str) -> None:
    parsed = parse_question(question)
    assert parsed.gain is not None
    assert family in parsed.gain.families


@pytest.mark.parametrize(
    "question",
    [
        "Which methods claim to lose at most 1% accuracy?",
        "overhead under 5 ms",
        "Which papers bound the latency overhead they add in milliseconds?",
        "an accuracy drop of less than 0.5 points",
    ],
)
def test_cost_bounds(question: str) -> None:
    gain = parse_question(question).gain
    assert gain is not None and gain.kind == "cost"


def test_improvement_is_not_a_cost_bound() -> None:
    gain = parse_question("cut memory by at least 30%").gain
    assert gain is not None and gain.kind is None and gain.direction == "down"


def test_same_condition_in_two_wordings() -> None:
    a = parse_question("at least 30% memory reduction").gain
    b = parse_question("reduce memory by at least 30%").gain
    assert a is not None and b is not None
    assert (a.at_least, a.unit, a.families) == (b.at_least, b.unit, b.families)


def test_bare_numbers_are_no_condition() -> None:
    parsed = parse_question("What did GPT-4 papers from 2025 find about tokenizers?")
    assert parsed.gain is None
    assert "tokenizers" in parsed.keywords


def test_unit_only_question() -> None:
    gain = parse_question("Which papers report latency in milliseconds?").gain
    assert gain is not None and gain.unit == "ms" and not gain.has_number


@pytest.mark.parametrize(
    ("question", "metrics"),
    [
        ("Any systems claiming a 10x or more throughput increase?", ("throughput",)),
        ("speedups of more than 20x", ("speedups",)),
        # "cost" after "communication" names communication cost, not every cost
        ("cut communication volume or communication cost by at least 10x", ("communication",)),
        ("lower an error rate by at least 20%", ("error",)),
        ("attacks that succeed more than 80% of the time", ("succeed",)),
        ("what reaches retrieval recall above 0.99?", ("recall",)),
    ],
)
def test_metric_words(question: str, metrics: tuple[str, ...]) -> None:
    gain = parse_question(question).gain
    assert gain is not None and gain.metrics == metrics


@pytest.mark.parametrize(
    ("words", "gain_text", "about"),
    [
        (("throughput",), "throughput 20.9x higher throughput on average", True),
        (("throughput",), "speedup up to 280x speedup", False),  # a speedup, not throughput
        (("speedups",), "throughput 20.9x higher throughput", True),  # any speed gain
        (("speedups", "throughput"), "speedup 280x", True),  # the family asked as a whole
        (("energy",), "Time-to-first-token (TTFT) 34.7% reduction", False),
        (("energy",), "energy consumption 35% lower", True),
        (("accuracy",), "attack success rates nearly 100%", False),
        (("succeed",), "attack success rates nearly 100%", True),
        (("recall",), "KV entries ~99% of KV entries", False),  # a new-user trial's miss
        (("recall",), "Recall Retrieval Recall of 0.9909", True),
        (("communication",), "pricing latency 23x", False),
        ((), "anything at all", True),  # no metric named: every gain
    ],
)
def test_a_gain_is_about_the_metric_the_question_names(
    words: tuple[str, ...], gain_text: str, about: bool
) -> None:
    assert about_metrics(words, gain_text) is about


@pytest.mark.parametrize(
    "question",
    [
        "anything on surgical video understanding?",
        "Can you tell me about surgical video understanding, please?",
        "Is there something on surgical video understanding?",
    ],
)
def test_how_a_question_opens_is_not_its_topic(question: str) -> None:
    # Before: "anything" was a topic word; no paper of a new user's 80-paper feed had it, and
    # the answer to "anything on surgical video understanding?" was "no stored paper".
    assert parse_question(question).keywords == ["surgical", "video", "understanding"]


@pytest.mark.parametrize(
    ("question", "unit", "bound"),
    [
        ("Which papers keep latency under 100 ns?", "ns", 100.0),
        ("Anything that trains in below 2 minutes?", "minutes", 2.0),
        ("latency overhead under 20 us", "us", 20.0),
    ],
)
def test_every_time_unit_of_the_table_is_read(question: str, unit: str, bound: float) -> None:
    # Review: only ms and s were read; "under 100 ns" had no unit and compared raw numbers
    # across every unit.
    gain = parse_question(question).gain
    assert gain is not None and (gain.unit, gain.less_than) == (unit, bound)


@pytest.mark.parametrize(
    "question",
    [
        "memory from 20 GB down to 5 GB",  # a change, not a range: the low end comes second
        "from 5% to 2x",  # two units
    ],
)
def test_what_is_no_range(question: str) -> None:
    gain = parse_question(question).gain
    assert gain is None or not (gain.at_least is not None and gain.at_most is not None)


def _ranked(paper_id: int, *metrics: str) -> Ranked:
    gains = [
        GainMatch(paper_id, f"p{paper_id}", m, 50.0, None, "%", "improvement", None, None, None, m)
        for m in metrics
    ]
    return Ranked(paper_id, 1.0, gains=gains)


def test_a_condition_with_no_metric_family_is_asked_of_the_metric_its_words_name() -> None:
    # dev2: "anything that reduces interconnect load by 40%+?" passed every 40% gain
    matched = [_ranked(1, "accuracy"), _ranked(2, "interconnect loads"), _ranked(3, "memory")]
    kept = naming_the_metric(["interconnect", "load"], matched)
    assert [r.paper_id for r in kept] == [2]
    # no passing gain measures what the words name: every paper that passed stays
    assert naming_the_metric(["protein"], matched) == matched


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # amounts written in words (dev6: "cut memory usage by more than a third")
        ("which papers cut memory usage by more than a third?", {"greater_than": 33.3}),
        ("cut memory in half", {"at_least": 50.0}),
        ("methods that halve latency", {"at_least": 50.0}),
        ("anything twice as fast as FlashAttention?", {"at_least": 2.0}),
        ("ten-fold speedups?", {"at_least": 10.0}),
        ("at least two thirds fewer tokens", {"at_least": 66.7}),
    ],
)
def test_amounts_written_in_words(question: str, expected: dict[str, float]) -> None:
    gain = parse_question(question).gain
    assert gain is not None
    assert {k: v for k, v in gain.to_json().items() if k in expected} == expected


@pytest.mark.parametrize(
    "question",
    [
        "papers on double descent",
        "Double DQN variants",
        "training in half precision",
        "generalize to a third dataset",
        "triple modular redundancy",
    ],
)
def test_words_that_are_no_amounts_stay_words(question: str) -> None:
    assert parse_question(question).gain is None


def test_the_object_of_the_change_verb_is_what_is_measured() -> None:
    assert parse_question("Which papers cut FLOPs by 40% or more?").measured == ["flops"]
    question = "work reducing network link utilization by at least 90%"
    assert parse_question(question).measured == ["network", "link", "utilization"]
    assert parse_question("papers on graph databases").measured == []
    # where it holds is not what is measured; a process sped up is no quantity
    assert parse_question("reduce inference latency on GPUs by 30%").measured[-1] == "latency"
    assert parse_question("speed up training by 2x").measured == []


def test_a_named_measure_is_required_when_the_question_says_what_the_gain_is_of() -> None:
    # dev6: "cut FLOPs by 40% or more" cited a paper for its 75.5% accuracy
    matched = [_ranked(1, "Top-1 accuracy"), _ranked(2, "energy consumption")]
    assert naming_the_metric(["flops"], matched, ["flops"]) == []
    assert naming_the_metric(["flops"], matched) == matched  # not said: every paper passes
