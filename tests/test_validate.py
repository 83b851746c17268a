import pytest

from agent.core.models import Gain, PaperSummary
from agent.core.units import normalize_unit
from agent.core.validate import (
    batch_id_errors,
    normalize_summary,
    summary_errors,
    swapped_takeaway_errors,
    whole_sentences_within,
)
from agent.core.words import content_words

ABSTRACT = (
    "ProMoE achieves an average speedup of 2.20x (up to 3.21x) over existing offloading "
    "solutions, and cuts memory by 20-90% on 4 GPUs."
)


def gain(**overrides: object) -> Gain:
    fields: dict[str, object] = {
        "metric": "speedup",
        "value": 2.2,
        "value_high": None,
        "unit": "x",
        "kind": "improvement",
        "qualifier": "average",
        "baseline": "existing offloading solutions",
        "condition": None,
        "quote": "average speedup of 2.20x",
    }
    fields.update(overrides)
    return Gain.model_validate(fields)


def summary(
    takeaway: str = "ProMoE speeds up offloaded MoE serving 2.20x.", gains: list[Gain] | None = None
) -> PaperSummary:
    return PaperSummary(
        id="p1", takeaway=takeaway, has_claims=True, gains=[gain()] if gains is None else gains
    )


def test_a_faithful_summary_passes() -> None:
    assert summary_errors(summary(), ABSTRACT) == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (gain(quote="average speedup of 2.2x"), "does not occur verbatim"),
        (gain(quote="up to 3.21x"), "does not contain the value 2.2"),
        (gain(value=20, value_high=90, unit="%", quote="20-90%"), None),
        (gain(value=20, value_high=95, unit="%", quote="20-90%"), "does not contain value_high 95"),
        (gain(value=90, value_high=20, unit="%", quote="20-90%"), "below value"),
        (gain(metric=" "), "empty metric"),
    ],
)
def test_gain_rules(bad: Gain, message: str | None) -> None:
    errors = summary_errors(summary(gains=[bad]), ABSTRACT)
    if message is None:
        assert errors == []
    else:
        assert any(message in e for e in errors), errors


def test_takeaway_rules() -> None:
    long = " ".join(["word"] * 31)
    assert any("31 words" in e for e in summary_errors(summary(long), ABSTRACT))
    assert summary_errors(summary(" ".join(["word"] * 30)), ABSTRACT) == []
    errors = summary_errors(summary("ProMoE is 5x faster than 2.20x baselines."), ABSTRACT)
    assert any("not in the abstract: 5" in e for e in errors)
    assert summary_errors(summary("ProMoE is 2.2x faster on 4 GPUs."), ABSTRACT) == []
    assert any(
        "link" in e for e in summary_errors(summary("See https://evil.example now."), ABSTRACT)
    )
    assert any("empty" in e for e in summary_errors(summary("  "), ABSTRACT))
    # Within 30 words, yet a "word" of 200,000 characters (a record of junk) would fill a digest.
    junk = "ProMoE " + "x" * 200_000
    assert any("200,007 characters" in e for e in summary_errors(summary(junk), ABSTRACT))


@pytest.mark.parametrize(
    ("raw", "unit"),
    [
        ("×", "x"),
        ("X", "x"),
        ("times", "x"),
        ("fold", "x"),
        ("$\\times$", "x"),
        ("percent", "%"),
        ("\\%", "%"),
        ("percentage points", "%"),
        ("ms", "ms"),
        (" dB ", "dB"),
    ],
)
def test_units_are_normalized(raw: str, unit: str) -> None:
    assert normalize_unit(raw) == unit


def test_normalize_makes_has_claims_follow_gains() -> None:
    s = normalize_summary(PaperSummary(id=" p1 ", takeaway="a  b", has_claims=True, gains=[]))
    assert (s.id, s.takeaway, s.has_claims) == ("p1", "a b", False)
    s = normalize_summary(
        PaperSummary(id="p1", takeaway="t", has_claims=False, gains=[gain(unit="×")])
    )
    assert s.has_claims and s.gains[0].unit == "x"


def test_every_id_answered_exactly_once() -> None:
    assert batch_id_errors(["a", "b"], ["a", "b"]) == []
    errors = batch_id_errors(["a", "a", "zzz"], ["a", "b"])
    assert "id a was answered more than once" in errors
    assert "id zzz is not one of the papers given" in errors
    assert "no answer for id(s): b" in errors


def test_a_paragraph_takeaway_keeps_its_opening_whole_sentences() -> None:
    first = "FooNet serves mixture-of-experts models faster on one GPU."
    also = "It also does other things. "
    rest = "Then the abstract goes on about background for many more words " * 3 + "."
    assert whole_sentences_within(f"{first} {also}{rest}") == f"{first} {also.strip()}"
    long_one = " ".join(["word"] * 40) + "."
    assert whole_sentences_within(long_one) == long_one  # never cut inside a sentence
    assert whole_sentences_within(first) == first


def test_a_takeaway_is_never_cut_at_an_abbreviation() -> None:
    """'U.S.' and 'Dr.' look like sentence ends to the splitter; a cut there would store a
    fragment ('Trained on U.S.') that passes every other check."""
    tail = " and so on" * 6 + "."
    us = "Trained on U.S. Census data, FooNet predicts income 2x more accurately" + tail
    assert whole_sentences_within(us) == us  # too long: left to fail validation
    dr = "We build FooNet. FooNet is 2x faster than Dr. Smith's earlier GPU kernel" + tail
    assert whole_sentences_within(dr) == "We build FooNet."


def test_a_takeaway_is_never_cut_before_its_caveat() -> None:
    """'FooNet is 3x faster. However, it needs twice the memory...': keeping the first sentence
    alone would store a claim without its price, a meaning the model did not write."""
    claim = "FooNet runs mixture-of-experts inference 3x faster on one GPU."
    caveat = " However, it needs twice the memory of the dense model" + " in every case" * 5 + "."
    assert whole_sentences_within(claim + caveat) == claim + caveat  # left to fail validation
    plain = " It is tested on four public benchmarks" + " in every case" * 5 + "."
    assert whole_sentences_within(claim + plain) == claim


def test_a_takeaway_about_another_paper_of_the_batch_is_caught() -> None:
    batch = {
        "a": content_words("FooNet: sparse attention. FooNet speeds up attention on GPUs."),
        "b": content_words("BarDB: a key-value store. BarDB cuts tail latency of lookups."),
    }
    assert swapped_takeaway_errors("BarDB cuts lookup tail latency.", "a", batch) == [
        "the takeaway describes paper b (bardb, cut, latency, lookup, tail), not this one; "
        "write this paper's own takeaway"
    ]
    assert swapped_takeaway_errors("FooNet speeds up attention.", "a", batch) == []
    # a generic takeaway names nothing of either paper: not a swap
    assert swapped_takeaway_errors("A new method is proposed.", "a", batch) == []
