"""A claimed gain checked against its text, field by field (issue 16), for every engine.

The quote must be verbatim (agent/core/validate.py checks that); here the other fields must be
what the quote and the abstract say:
- the unit is the one the quote writes after the number ("8 GPUs" is not "8x");
- the value is a result, not a count or a setting ("8 GPUs", "4 bits", "7B");
- metric, baseline and condition are plain text (no link, no markup, no Markdown), short, and
  supported by the abstract (their content words occur in it; a metric may also name the
  family of what the abstract measures: "speedup" for "3x faster");
- the quote is short: one clause, not a paragraph.
Errors are plain sentences, so the LLM engine can send them back as a re-ask.
"""

from __future__ import annotations

import re
from functools import lru_cache

from agent.core.markup import plain_text
from agent.core.models import Gain
from agent.core.numbers import NUMBER_RE, same_number
from agent.core.words import STOP_WORDS, content_words, families

MAX_QUOTE_CHARS = 160
MAX_METRIC_CHARS = 60
MAX_LABEL_CHARS = 120

_FACTOR_RE = re.compile(r"\s?(?:x(?![a-z])|×|times\b|-?fold\b)", re.I)
_PERCENT_RE = re.compile(r"\s?(?:%|percent\b|per cent\b|percentage points?\b|pp\b|p\.p\.)", re.I)
_RANGE_RE = re.compile(r"\s?(?:--|—|-|–|~|to|and)\s?\+?", re.I)
_FACTOR_OF_RE = re.compile(r"\bfactor\s+of\s+(?:~|≈|about\s+|approximately\s+)?$", re.I)
_MARKUP_RE = re.compile(
    r"https?://|www\.|\]\(|\[[^\]]*\]\s*\(|</?[a-z]|[{}\\$`]|\*\*|__|&[a-z]+;|&#\d+;|^#|\s#\s",
    re.I,
)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_SENTENCE_BREAK_RE = re.compile(r"[.!?]\s+[A-Z]|;\s")


def _value_positions(quote: str, value: float) -> list[int]:
    """Where the quote writes `value`: the end offsets of each such number."""
    return [m.end() for m in NUMBER_RE.finditer(quote) if same_number(_num(m.group(0)), value)]


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _unit_after(text: str, pos: int) -> str | None:
    """'x' or '%' when the text at `pos` spells a factor or a percent, else None. A range
    ("2-3x", "25-44%") takes the unit after its upper end."""
    if _FACTOR_RE.match(text, pos):
        return "x"
    if _PERCENT_RE.match(text, pos):
        return "%"
    if (sep := _RANGE_RE.match(text, pos)) and (high := NUMBER_RE.match(text, sep.end())):
        return _unit_after(text, high.end())
    return None


# Units that measure (a literal unit of a result); a plural noun otherwise counts things.
_MEASURE_UNIT_RE = re.compile(
    r"(?:[kmgtp]i?b|[kmg]?b/s|ns|µs|μs|ms|s|sec|seconds?|minutes?|hours?|gpu[- ]hours?|days?|"
    r"ps|mm|cm|nm|mw|hz|khz|mhz|ghz|req/s|[kmgt]?bps|[kmgt]?bit/s|"
    r"fps|db|points?|pts|bleu|rouge(?:-\w+)?|fid|psnr|ssim|miou|map|ap|wer|cer|j&f|suc|auc|em|"
    r"f1|[kmgtpe]?flop(?:s|/s)|w|kw|j|kwh|\$|usd|tokens/s|qps|ops/s)",
    re.I,
)
_LIST_GAP_RE = re.compile(r"(?:\s?(?:,|and|or|/|\(|\))\s?)+\+?")


def _spelled_unit(text: str, pos: int) -> str | None:
    """The unit written at `pos` or after the list the number at `pos` ends ("87.7, 70.0 and
    72.3 J&F", "2-3x"): 'x', '%', or the literal word(s) that follow."""
    for _ in range(12):  # a list of at most a dozen numbers
        if (unit := _unit_after(text, pos)) is not None:
            return unit
        gap = _LIST_GAP_RE.match(text, pos)
        nxt = NUMBER_RE.match(text, gap.end()) if gap else None
        if nxt is None:
            break
        pos = nxt.end()
    word = re.match(r"\s?([A-Za-z&$/\-]+(?:\s[A-Za-z]+)?)", text[pos:])
    return word.group(1) if word else None


def _abstract_positions(gain: Gain, abstract: str) -> list[tuple[str, int]]:
    """(plain abstract, end of the number) for each place the quote's value is written."""
    plain = plain_text(abstract)
    quote = plain_text(gain.quote)
    at = plain.find(quote)
    if at < 0:
        return [(quote, end) for end in _value_positions(quote, gain.value)]
    return [(plain, at + end) for end in _value_positions(quote, gain.value)]


def unit_errors(gain: Gain, unit: str, abstract: str) -> list[str]:
    """The canonical `unit` must be what the abstract writes after the number."""
    places = _abstract_positions(gain, abstract)
    if not places:
        return []  # validate.py already reports a quote without its value
    written = {_spelled_unit(text, end) for text, end in places}
    if any(
        _FACTOR_OF_RE.search(text[max(0, end - 40) : end].rstrip("0123456789.,"))
        for text, end in places
    ):
        written.add("x")  # "by a factor of 3.8"
    if unit in {"x", "%"}:
        if unit not in written:
            return [
                f"unit {gain.unit!r} is not what the abstract writes after {gain.value:g} in "
                f"{gain.quote!r}; give the unit the abstract writes"
            ]
        return []
    if written & {"x", "%"}:
        shown = "x" if "x" in written else "%"
        return [f"the abstract writes {gain.value:g}{shown}, not {gain.value:g} {gain.unit}"]
    # "8 GPUs", "4 bits", "32 layers": a count of things, not the unit of a result
    measure = unit == "points" or _MEASURE_UNIT_RE.fullmatch(unit.replace(" ", "-"))
    if not measure and re.fullmatch(r"[A-Za-z]{2,}[a-z]s", unit):
        return [f"{gain.value:g} {gain.unit} counts things; it is not a result of the paper"]
    return []


def count_errors(gain: Gain, unit: str) -> list[str]:
    """The value must be a result: not "8 GPUs", "4 bits", "7B", "32 layers"."""
    quote = plain_text(gain.quote)
    if unit.upper() in {"K", "M", "B", "T"}:
        return [f"{gain.value:g}{gain.unit} in {gain.quote!r} is a size, not a result of the paper"]
    for end in _value_positions(quote, gain.value):
        after = quote[end:]
        if re.match(r"[KMBT]\b", after) and not unit.upper().startswith(after[:1]):
            return [f"{gain.quote!r} gives a size ({after[:1]}), not a result of the paper"]
        word = re.match(r"\s+([A-Za-z]+)", after)
        if unit in {"x", "%"} or word is None:
            continue
        noun = word.group(1)
        if noun.lower() in STOP_WORDS or _MEASURE_UNIT_RE.fullmatch(noun):
            continue
        if unit.lower().startswith(noun.lower()) and _MEASURE_UNIT_RE.fullmatch(
            unit.replace(" ", "-")
        ):
            continue
        if re.fullmatch(r"[a-z]{2,}s|[A-Z]{2,}s", noun) and not _MEASURE_UNIT_RE.fullmatch(noun):
            return [
                f"{gain.value:g} in {gain.quote!r} counts {noun!r} (a size or setting), not a "
                "result of the paper"
            ]
    return []


@lru_cache(maxsize=256)
def _abstract_words(abstract: str) -> frozenset[str]:
    plain = plain_text(abstract)
    words = content_words(plain)
    if re.search(r"perform|surpass|\bbeat|\bahead of", plain, re.I):
        words.add("performance")  # "outperforms X by 7%", "surpasses X by 7%": a performance gap
    return frozenset(words)


@lru_cache(maxsize=256)
def _abstract_families(abstract: str) -> frozenset[str]:
    return frozenset(families(plain_text(abstract)))


def label_errors(name: str, label: str | None, abstract: str, limit: int) -> list[str]:
    """A metric, baseline or condition: plain text, short, supported by the abstract."""
    if label is None:
        return []
    errors = []
    if _MARKUP_RE.search(label) or _CONTROL_RE.search(label):
        errors.append(f"{name} {label!r} must be plain text: no links, markup or Markdown")
    if len(label) > limit:
        errors.append(f"{name} {label!r} is longer than {limit} characters")
    words = content_words(label)
    source = _abstract_words(abstract)
    if words and not words & source:
        supported_family = name == "metric" and families(label) & _abstract_families(abstract)
        if not supported_family:
            errors.append(f"{name} {label!r} is not supported by the abstract's words")
    return errors


def quote_errors(gain: Gain) -> list[str]:
    """A quote is the shortest span holding the number: one clause, bounded length."""
    if len(gain.quote) > MAX_QUOTE_CHARS:
        return [f"quote {gain.quote[:40]!r}… is longer than {MAX_QUOTE_CHARS} characters"]
    if _SENTENCE_BREAK_RE.search(gain.quote):
        return [f"quote {gain.quote!r} spans more than one clause; quote only the number's"]
    return []


def field_errors(gain: Gain, abstract: str, unit: str) -> list[str]:
    """Every field of `gain` checked against its quote and abstract (`unit`: canonical)."""
    return [
        *quote_errors(gain),
        *unit_errors(gain, unit, abstract),
        *count_errors(gain, unit),
        *label_errors("metric", gain.metric, abstract, MAX_METRIC_CHARS),
        *label_errors("baseline", gain.baseline, abstract, MAX_LABEL_CHARS),
        *label_errors("condition", gain.condition, abstract, MAX_LABEL_CHARS),
    ]


def is_headline_claim(gain: Gain) -> bool:
    """A claim fit to headline a digest: it names what was measured (a metric with a content
    word, not "improvement" or "score") and what it is compared against."""
    return bool(content_words(gain.metric)) and bool(content_words(gain.baseline))
