"""Numbers in text: the shared rule for "every number must appear in the abstract".

Used by output validation (agent/validate.py), the offline engine and the eval scorers, so that
all three agree on what a number is. Numbers compare by value, so "2.2" is supported by "2.20".
"""

from __future__ import annotations

import re

# "1,024" and "12,000,000" group thousands; "2.20", "19.6", "30" are plain decimals.
NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUMBER_RE = re.compile(rf"(?<![\d.]){NUMBER}(?!\d)")


def numbers_in(text: str) -> list[float]:
    """Every number written in `text`, as floats, in order of appearance."""
    return [float(m.group(0).replace(",", "")) for m in NUMBER_RE.finditer(text)]


def same_number(a: float, b: float, rel: float = 1e-9) -> bool:
    """True when two stated numbers are the same value (2.2 == 2.20)."""
    return abs(a - b) <= rel * max(abs(a), abs(b), 1.0)


def unsupported_numbers(text: str, source: str) -> list[float]:
    """Numbers in `text` that do not appear anywhere in `source`."""
    available = numbers_in(source)
    return [n for n in numbers_in(text) if not any(same_number(n, s) for s in available)]


def quote_contains_value(quote: str, value: float) -> bool:
    """True when `quote` writes the number `value` (the check that a quote backs its gain)."""
    return any(same_number(n, value) for n in numbers_in(quote))
