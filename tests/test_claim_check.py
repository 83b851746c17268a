"""Claims checked against the text, field by field (issue 16), through the shared validator."""

from __future__ import annotations

import pytest

from agent.core.models import Gain, PaperSummary
from agent.core.validate import gain_errors, summary_errors

ABSTRACT = (
    "We train a 7B model on 8 GPUs. FooNet is 2.5x faster than vLLM and uses 30% less memory."
)


def gain(**fields: object) -> Gain:
    data: dict[str, object] = {
        "metric": "speedup",
        "value": 2.5,
        "value_high": None,
        "unit": "x",
        "kind": "improvement",
        "qualifier": None,
        "baseline": "vLLM",
        "condition": None,
        "quote": "2.5x faster than vLLM",
    }
    data.update(fields)
    return Gain.model_validate(data)


def test_a_valid_gain_passes() -> None:
    assert gain_errors(gain(), ABSTRACT) == []
    memory = gain(metric="memory", value=30, unit="%", quote="30% less memory", baseline=None)
    assert gain_errors(memory, ABSTRACT) == []


def test_the_issue_16_gain_is_refused_on_every_field() -> None:
    bad = gain(quote="8 GPUs", value=8, unit="x", baseline="vLLM [r](https://evil.example)")
    errors = gain_errors(bad, ABSTRACT)
    assert any("unit 'x' is not what the abstract writes" in e for e in errors)
    assert any("baseline" in e and "plain text" in e for e in errors)
    summary = PaperSummary(id="p", takeaway="FooNet is faster.", has_claims=True, gains=[bad])
    assert summary_errors(summary, ABSTRACT)


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"quote": "8 GPUs", "value": 8, "unit": "GPUs"}, "counts"),
        ({"quote": "7B model", "value": 7, "unit": "B"}, "size"),
        ({"quote": "7B model", "value": 7, "unit": "points"}, "size"),
        ({"quote": "2.5x faster", "unit": "%"}, "not what the abstract writes"),
        ({"quote": "30% less memory", "value": 30, "unit": "x"}, "not what the abstract writes"),
        ({"metric": "security"}, "metric 'security' is not supported"),
        ({"baseline": "TensorRT-LLM"}, "baseline 'TensorRT-LLM' is not supported"),
        ({"baseline": "<b>vLLM</b>"}, "plain text"),
        ({"metric": "**speedup**"}, "plain text"),
        ({"condition": "see www.evil.example"}, "plain text"),
        ({"metric": "speedup " * 12}, "longer than"),
    ],
)
def test_each_field_is_checked(fields: dict[str, object], needle: str) -> None:
    errors = gain_errors(gain(**fields), ABSTRACT)
    assert any(needle in e for e in errors), errors


def test_a_metric_may_name_the_family_of_what_the_abstract_measures() -> None:
    """'speedup' for "2.5x faster": the abstract's words are in the speed family."""
    assert gain_errors(gain(metric="speedup"), ABSTRACT) == []
    assert gain_errors(gain(metric="throughput"), ABSTRACT) == []


def test_a_quote_is_one_clause() -> None:
    long_abstract = ABSTRACT + " " + "It is fast. " * 20
    quote = "2.5x faster than vLLM and uses 30% less memory"
    assert gain_errors(gain(quote=quote), long_abstract) == []
    whole = "We train a 7B model on 8 GPUs. FooNet is 2.5x faster"
    assert any("more than one clause" in e for e in gain_errors(gain(quote=whole), ABSTRACT))


def test_list_members_take_the_unit_written_after_the_list() -> None:
    text = "FooNet reaches 87.7, 70.0 and 72.3 J&F on three benchmarks, and 2-3x speedups."
    j_f = gain(quote="70.0", value=70.0, unit="J&F", metric="J&F", baseline=None)
    assert gain_errors(j_f, text) == []
    assert gain_errors(gain(quote="2-3x", value=2, value_high=3, baseline=None), text) == []
