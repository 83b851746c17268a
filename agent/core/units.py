"""The one unit table: how a claimed gain's unit is spelled, stored, compared, shown and ranked.

Every stage reads units through this module: the validator stores the canonical form, the
search filters and the question parser of `ask` match on it, the evals compare with it, and the
digest, review pages and exports format gains with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

FACTOR = "x"
PERCENT = "%"
CURRENCY = "$"  # US dollars, written before the amount ("$42", "under $0.50")

# spelling (lower-cased, spaces collapsed) → canonical unit
_SPELLINGS: dict[str, str] = {
    **dict.fromkeys(
        ("x", "×", "times", "fold", "-fold", "$\\times$", "\\times", "$\\times", "x faster"),
        FACTOR,
    ),
    **dict.fromkeys(
        (
            "%", "\\%", "percent", "per cent", "pct", "percentage points", "percentage point",
            "pp", "p.p.", "% points", "%-points",
        ),
        PERCENT,
    ),
    **dict.fromkeys(("point", "points", "pts", "pt"), "points"),
    **dict.fromkeys(("ms", "msec", "millisecond", "milliseconds"), "ms"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("gb", "gib"), "GB"),
    **dict.fromkeys(("mb", "mib"), "MB"),
    **dict.fromkeys(("db",), "dB"),
    **dict.fromkeys(("bleu",), "BLEU"),
    **dict.fromkeys(("fid",), "FID"),
    **dict.fromkeys(("$", "us$", "usd", "dollar", "dollars"), CURRENCY),
}  # fmt: skip

# Seconds in each time unit a gain may be stated in (canonical or as the extractor writes it):
# a bound on a time holds or fails in any of them ("under 50 ms" holds for "69 ps", not for
# "2.8 s").
SECONDS: dict[str, float] = {
    "ps": 1e-12, "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
    "min": 60.0, "minute": 60.0, "minutes": 60.0, "h": 3600.0, "hour": 3600.0, "hours": 3600.0,
}  # fmt: skip
# The time spellings above that the table of spellings does not already read (ms and s are
# there), for the question grammar: "latency under 100 ns", "below 2 minutes".
_TIME_UNIT_RE = "|".join(
    rf"{re.escape(spelling)}\b"
    for spelling in sorted(SECONDS, key=len, reverse=True)
    if spelling not in _SPELLINGS
)

# Regex alternatives for a factor or percent unit written after a number in free text
# (questions to `ask`), longest first; what they match normalizes through normalize_unit.
RATIO_UNIT_RE = r"percentage\s+points?|per\s*cent|percent|pct\b|pp\b|times\b|-?fold\b|x\b|×|%"


# A currency written before the amount, for the question grammar: "$100", "US$ 0.5", "USD 3".
CURRENCY_BEFORE_RE = r"US\$\s?|\$\s?|USD\s"


# Any unit of the table written after a number, for the question grammar of `ask`; longest
# spellings first so "percentage points" wins over "%" and "ms" over "s".
ANY_UNIT_RE = (
    r"percentage\s+points?|per\s*cent|percent|pct\b|pp\b|p\.p\.|times\b|-?fold\b|"
    r"points?\b|pts\b|milliseconds?\b|msec\b|ms\b|seconds?\b|secs?\b|s\b|"
    r"gib\b|gb\b|mib\b|mb\b|db\b|bleu\b|fid\b|dollars?\b|usd\b|" + _TIME_UNIT_RE + r"|x\b|×|%"
)


class GainLike(Protocol):
    """What formatting and ranking read of a gain (agent/core/models.Gain, a stored GainRecord)."""

    @property
    def value(self) -> float: ...
    @property
    def value_high(self) -> float | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def kind(self) -> str: ...


def normalize_unit(unit: str) -> str:
    """'×', 'times', 'fold' → 'x'; 'percent', '\\%', 'percentage points', 'pp' → '%';
    'msec' → 'ms'; anything else as written (spaces collapsed)."""
    cleaned = " ".join(unit.split())
    if cleaned == "X":
        return FACTOR
    return _SPELLINGS.get(cleaned.lower(), cleaned)


def comparable_unit(unit: str) -> str:
    """The form two units are compared in: canonical, then case-folded ('FPS' = 'fps')."""
    return normalize_unit(unit).lower()


def format_number(value: float, value_high: float | None = None) -> str:
    return f"{value:g}" if value_high is None else f"{value:g}–{value_high:g}"


def format_value(gain: GainLike) -> str:
    """'2.2x', '20–90%', '3.1 points'."""
    number = format_number(gain.value, gain.value_high)
    return f"{number}{gain.unit}" if gain.unit in (FACTOR, PERCENT) else f"{number} {gain.unit}"


def gain_strength(gain: GainLike) -> float:
    """How big a single improvement is, as a factor: 2.2x → 2.2, 40% → 1.4, anything else → 1;
    a cost bound is no strength at all."""
    if gain.kind != "improvement":
        return 0.0
    value = gain.value_high if gain.value_high is not None else gain.value
    if gain.unit == FACTOR:
        return value
    if gain.unit == PERCENT:
        return 1.0 + value / 100.0
    return 1.0


class RankedGain(GainLike, Protocol):
    """What claim strength reads of a gain (a Gain, a stored GainRecord, a row of its columns)."""

    @property
    def baseline(self) -> str | None: ...
    @property
    def qualifier(self) -> str | None: ...


def claim_strength(gains: Iterable[RankedGain]) -> float:
    """A paper's strongest claimed improvement; a claim with no baseline, or only an "up to"
    best case, counts for less. The digest ranks by it; the store keeps it with each summary
    (store/summaries.py), so a ranking reads it instead of every paper's gains."""
    return max(
        (
            gain_strength(g)
            * (1.0 if g.baseline else 0.9)
            * (0.9 if g.qualifier == "up to" else 1.0)
            for g in gains
        ),
        default=0.0,
    )
