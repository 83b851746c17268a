"""The offline engine on abstracts nobody would write: long chains of joining words, runs of
numbers and markup. Whatever comes in, it returns a valid summary whose quotes are verbatim
spans of the abstract; it never raises (a RecursionError once came out of a chain of "and")."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.core.validate import summary_errors
from agent.summarize.offline import summarize_offline

TITLE = "FooNet: a method"
# Pieces the rules react to: numbers with units, comparison and joining words, markup.
PIECES = [
    "FooNet",
    "we",
    "our",
    "3x",
    "45%",
    "2.5",
    "×",
    "$\\times$",
    "\\%",
    "times",
    "faster",
    "lower",
    "than",
    "and",
    "or",
    "of",
    "the number",
    "vs.",
    "from",
    "to",
    "by",
    "respectively",
    "(",
    ")",
    ",",
    ".",
    ";",
    "\n",
    "accuracy",
    "memory",
    "latency",
    "speedup",
    "BLEU",
    "ms",
    "$\\sim$",
    "^{+1.2}_{-0.3}",
    "&amp;",
    "<b>",
    "reduces",
    "improves",
    "4 x 4",
    "±",
]


def _check(abstract: str) -> None:
    summary = summarize_offline("hostile", TITLE, abstract)
    assert not summary_errors(summary, abstract), summary
    for gain in summary.gains:
        assert gain.quote in abstract


@pytest.mark.parametrize(
    "abstract",
    [
        "FooNet is 3x more robust " + "and x " * 1500 + ".",
        "FooNet reduces the number " + "of number " * 1500 + "by 3x.",
        "FooNet improves accuracy by 5% " + "or latency " * 1500 + "than BarNet.",
        "FooNet is " + "3x " * 3000 + "faster.",
        "(" * 2000 + "FooNet is 3x faster than BarNet" + ")" * 2000,
        # the other side's listed values: once exponential in the length of the list
        "FooNet outperforms "
        + " and ".join(f"Sys{c} (acc 80.1)" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        + " by 5%.",
    ],
    ids=["and-chain", "of-chain", "or-chain", "number-run", "deep-brackets", "listed-others"],
)
def test_long_chains_do_not_break_the_engine(abstract: str) -> None:
    _check(abstract)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=80).map(" ".join))
def test_any_soup_of_claim_words_gives_a_valid_summary_with_verbatim_quotes(abstract: str) -> None:
    _check(abstract)
