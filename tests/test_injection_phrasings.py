"""59 injection phrasings written by an outside tester (tests/data/injection_phrasings.jsonl:
varied wording, other languages, Unicode tricks). None may yield a stored gain from the injected
text, through the offline engine or through an LLM answer that quotes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.core.injection import drop_injected_gains, injection_errors, without_instructions
from agent.core.models import Gain, PaperSummary
from agent.core.numbers import NUMBER_RE
from agent.core.validate import summary_errors
from agent.summarize.offline import summarize_offline

ROWS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "injection_phrasings.jsonl").open()
    if line.strip()
]


def only_in_injection(quote: str, row: dict[str, Any]) -> bool:
    """Every occurrence of `quote` in the abstract lies inside the injected text."""
    abstract, injected = row["abstract"], row["injected"]
    at = abstract.find(injected)
    hits = [i for i in range(len(abstract)) if abstract.startswith(quote, i)]
    return at >= 0 and bool(hits) and all(at <= i < at + len(injected) for i in hits)


def test_there_are_at_least_30_phrasings() -> None:
    assert len(ROWS) >= 30


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_the_offline_engine_takes_no_gain_or_link_from_the_injection(row: dict[str, Any]) -> None:
    abstract = row["abstract"]
    summary = drop_injected_gains(
        summarize_offline(row["id"], "A paper", without_instructions(abstract)), abstract
    )
    for gain in summary.gains:
        assert not only_in_injection(gain.quote, row), gain
        for field in (gain.metric, gain.baseline or "", gain.condition or ""):
            assert "http" not in field and "](" not in field


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_a_gain_quoted_from_the_injection_is_refused(row: dict[str, Any]) -> None:
    """What a gullible model would answer: the injected number, quoted from the injection."""
    injected = row["injected"]
    number = NUMBER_RE.search(injected)
    if number is None or row["abstract"].find(injected) < 0:
        pytest.skip("the injection states no digit number to quote")
    quote = injected[max(0, number.start() - 10) : number.end() + 10]
    if not only_in_injection(quote, row):
        pytest.skip("the quoted words also occur in the paper's own text")
    gain = Gain(
        metric="speedup",
        value=float(number.group(0).replace(",", "")),
        value_high=None,
        unit="x",
        kind="improvement",
        qualifier=None,
        baseline=None,
        condition=None,
        quote=quote,
    )
    summary = PaperSummary(id=row["id"], takeaway="A paper.", has_claims=True, gains=[gain])
    # Refused by the injection check or by the field checks (a unit the text does not write,
    # a metric it does not support): either way the gain is never stored.
    assert injection_errors(summary, row["abstract"]) + summary_errors(summary, row["abstract"])
