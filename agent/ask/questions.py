"""The question grammar of `ask`: what a question says about claimed gains, and its topic words.

    question   := ... [comparator] value [unit] [postfix] ...
    comparator := more than | greater than | higher than | over | above | exceeding | beyond
                | at least | no less than | no fewer than | ≥ | >= | >
                | at most | no more than | up to | within | under | below | less than
                | fewer than | ≤ | <= | <
    postfix    := or more | or higher | or greater | or above | and up
                | or less | or lower | or fewer | or below
    value      := a number (1,000 / 2.5) | "order of magnitude" (= 10x)
    unit       := any spelling of the unit table (agent/core/units.py)

A direction word (faster, higher, lower, cut, reduce, lose …) and a metric family (the table in
agent/core/metrics.py) are read from the words around it; "lose at most 1% accuracy",
"overhead under 5 ms" and "bound the latency overhead … in milliseconds" are cost bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.core.metrics import FAMILY_TRIGGERS
from agent.core.numbers import NUMBER
from agent.core.units import ANY_UNIT_RE, CURRENCY, CURRENCY_BEFORE_RE, normalize_unit

LOWER = {
    "more than": "greater_than", "greater than": "greater_than", "higher than": "greater_than",
    "larger than": "greater_than", "over": "greater_than", "above": "greater_than",
    "exceeding": "greater_than", "beyond": "greater_than", ">": "greater_than",
    "at least": "at_least", "no less than": "at_least", "no fewer than": "at_least",
    "≥": "at_least", ">=": "at_least", "minimum of": "at_least",
}  # fmt: skip
UPPER = {
    "at most": "at_most", "no more than": "at_most", "up to": "at_most", "within": "at_most",
    "≤": "at_most", "<=": "at_most", "under": "less_than", "below": "less_than",
    "less than": "less_than", "fewer than": "less_than", "lower than": "less_than",
    "<": "less_than",
}  # fmt: skip
POSTFIX = {
    "or more": "at_least", "or higher": "at_least", "or greater": "at_least",
    "or above": "at_least", "and up": "at_least", "or better": "at_least", "+": "at_least",
    "or less": "at_most", "or lower": "at_most", "or fewer": "at_most", "or below": "at_most",
}  # fmt: skip
_CMP = {**LOWER, **UPPER}


def _alts(options: dict[str, str]) -> str:
    return "|".join(re.escape(o) for o in sorted(options, key=len, reverse=True))


_MONEY = rf"(?P<money>{CURRENCY_BEFORE_RE})"
_GAIN_RE = re.compile(
    rf"(?:(?P<cmp>{_alts(_CMP)})\s*(?:an?\s+|the\s+)?)?{_MONEY}?"
    rf"(?P<num>{NUMBER}|order[- ]of[- ]magnitude)"
    rf"\s*(?P<unit>{ANY_UNIT_RE})?"
    rf"(?:\s*\(?(?P<post>{_alts(POSTFIX)})\)?)?",
    re.IGNORECASE,
)
# "between 2 and 10x", "2-to-10-fold", "2 to 10 times", "2–10x": both ends of a range; the
# unit is written once, after the high end (or after each end).
_RANGE_RE = re.compile(
    rf"(?:\bbetween\s+|\bfrom\s+)?{_MONEY}?(?P<low>{NUMBER})\s*(?:(?P<low_unit>{ANY_UNIT_RE})\s*)?"
    rf"(?:-\s*to\s*-|to|and|-|–|—)\s*\$?(?P<high>{NUMBER})\s*(?P<unit>{ANY_UNIT_RE})",
    re.IGNORECASE,
)
# "in milliseconds", "in ms": a unit asked for without a number.
_UNIT_ONLY_RE = re.compile(r"\bin (milliseconds|ms|seconds|percent|gb|mb)\b", re.IGNORECASE)
COST_WORDS = re.compile(
    r"\b(lose|loses|losing|loss|drop|drops|degrad\w*|overhead|overheads|penalty|sacrific\w*|"
    r"bound|bounds|bounded|cost of|slowdown|extra)\b",
    re.IGNORECASE,
)
DIRECTIONS = {
    **dict.fromkeys(
        ["faster", "quicker", "higher", "increase", "increases", "boost", "boosts", "improve"], "up"
    ),
    **dict.fromkeys(
        [
            "lower",
            "lowers",
            "cut",
            "cuts",
            "reduce",
            "reduces",
            "reducing",
            "reduction",
            "shrink",
            "save",
            "saves",
            "less",
        ],
        "down",
    ),
    **dict.fromkeys(["lose", "loses", "losing", "drop", "degrade"], "lose"),
}
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "did",
        "for",
        "from",
        "has",
        "have",
        "how",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "them",
        "these",
        "this",
        "those",
        "to",
        "was",
        "were",
        "what",
        "which",
        "who",
        "with",
        "any",
        "there",
        "show",
        "me",
        "papers",
        "paper",
        "work",
        "works",
        "method",
        "methods",
        "approach",
        "approaches",
        "system",
        "systems",
        "claim",
        "claims",
        "claimed",
        "claiming",
        "report",
        "reports",
        "reported",
        "reporting",
        "state",
        "states",
        "stated",
        "achieve",
        "achieves",
        "more",
        "less",
        "than",
        "least",
        "most",
        "over",
        "under",
        "above",
        "below",
        "up",
        "x",
        "times",
        "fold",
        "percent",
        "percentage",
        "points",
        "point",
        "their",
        "they",
        "than",
        "while",
        "keeping",
        "keep",
        "gain",
        "gains",
        "improvement",
        "improvements",
        "compared",
        "against",
        "relative",
        "versus",
        "vs",
        "prior",
        "baseline",
        "baselines",
        "existing",
        "alternatives",
        "one",
        "ones",
        "some",
        "get",
        "gets",
        "make",
        "makes",
        "help",
        "helps",
        "using",
        "use",
        "used",
        "via",
        "when",
        "where",
        "whose",
        "order",
        "magnitude",
        "like",
        "such",
        "other",
        # How people open a question ("anything on surgical video?", "can you tell me about
        # ..."): no paper's topic, and in a small store a word no paper has outweighs the rest.
        "anything",
        "something",
        "everything",
        "anyone",
        "anybody",
        "someone",
        "somebody",
        "i",
        "you",
        "we",
        "my",
        "please",
        "tell",
        "about",
        "regarding",
    ]
)


@dataclass(frozen=True)
class GainQuery:
    """The gain condition a question states; None fields mean any."""

    greater_than: float | None = None
    at_least: float | None = None
    less_than: float | None = None
    at_most: float | None = None
    unit: str | None = None
    kind: str | None = None  # "cost" for a bound on what a method gives up
    direction: str | None = None  # up / down / lose
    families: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()  # the question's metric words (agent/core/metrics.py)

    @property
    def has_number(self) -> bool:
        return any(
            v is not None for v in (self.greater_than, self.at_least, self.less_than, self.at_most)
        )

    @property
    def is_empty(self) -> bool:
        return not self.has_number and self.unit is None and self.kind is None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v not in (None, ())}


@dataclass(frozen=True)
class ParsedQuestion:
    keywords: list[str]
    families: list[str]
    gain: GainQuery | None
    directions: list[str] = field(default_factory=list)
    # The object of the question's change verb, "cut FLOPs by 40%": what the gain measures
    # (its last word is the head noun the gain's metric must name).
    measured: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "keywords": self.keywords,
            "families": self.families,
            "directions": self.directions,
            "measured": self.measured,
            "gain_filter": self.gain.to_json() if self.gain else None,
        }


_WHERE_RE = re.compile(r"\b(?:on|in|for|of|across|at|with|per|under)\b", re.I)
# "cut FLOPs by 40%", "reducing network link utilization by at least 90%": the words between a
# change verb and "by <number>" name the quantity the gain is of.
_GAIN_OBJECT_RE = re.compile(
    # (not "speed up training by 2x": what is sped up is a process, not a quantity)
    r"\b(?:cut|cuts|cutting|reduc\w*|lower\w*|improv\w*|increas\w*|boost\w*|rais\w*|"
    r"decreas\w*|shrink\w*)\s+"
    r"(?:the\s+|their\s+|its\s+)?(?P<what>(?:[\w-]+\s+){1,4}?)by\s+(?:[a-z]+\s+){0,3}?[~≈$]?\d",
    re.I,
)


def _number(raw: str) -> float:
    if raw.lower().startswith("order"):
        return 10.0
    return float(raw.replace(",", ""))


def _canonical(unit: str) -> str:
    return normalize_unit(unit.lower().replace("×", "x"))


def _unit_of(m: re.Match[str]) -> str | None:
    """The canonical unit of a matched value: a currency before it, or the unit after it."""
    if m.group("money"):
        return CURRENCY
    return _canonical(m.group("unit")) if m.group("unit") else None


# Amounts a user writes in words, as the grammar reads them: "by more than a third", "cut in
# half", "twice as fast", "doubles throughput", "ten-fold". Only where an amount goes (after
# "by", "than", a comparator; not "a third dataset", "half precision", "double descent").
_AMOUNT_BEFORE = r"(\b(?:by|in|than|least|most|over|under|nearly|almost|about|to)\s+)"
_AMOUNT_AFTER = r"(?=\s*(?:[?.,;:!)]|$)|\s+(?:of|the|as|less|more|fewer|lower|higher)\b)"
_WORD_AMOUNTS = [
    (re.compile(rf"{_AMOUNT_BEFORE}(?:a|one)[- ]third{_AMOUNT_AFTER}", re.I), r"\g<1>33.3%"),
    (re.compile(rf"{_AMOUNT_BEFORE}two[- ]thirds{_AMOUNT_AFTER}", re.I), r"\g<1>66.7%"),
    (re.compile(rf"{_AMOUNT_BEFORE}(?:a|one)[- ]quarter{_AMOUNT_AFTER}", re.I), r"\g<1>25%"),
    (re.compile(rf"{_AMOUNT_BEFORE}three[- ]quarters{_AMOUNT_AFTER}", re.I), r"\g<1>75%"),
    (re.compile(rf"{_AMOUNT_BEFORE}half{_AMOUNT_AFTER}", re.I), r"\g<1>50%"),
    (re.compile(r"\bhalv(?:e|es|ed|ing)\b", re.I), "cut by 50%"),
    (
        re.compile(r"\btwice\b|\bdoubl(?:es|ed|ing)\b|\bdouble(?=\s+(?:the|its|their)\b)", re.I),
        "2x",
    ),
    (
        re.compile(r"\bthrice\b|\btripl(?:es|ed|ing)\b|\btriple(?=\s+(?:the|its|their)\b)", re.I),
        "3x",
    ),
    (re.compile(r"\bten(?=[- ](?:times|fold)\b)", re.I), "10"),
    (re.compile(r"\bhundred(?=[- ](?:times|fold)\b)", re.I), "100"),
]


def parse_question(question: str) -> ParsedQuestion:
    """The gain filter, metric families, directions and topic words of a question."""
    text = question.replace("\u2265", "≥").replace("\u2264", "≤")
    for spelled, amount in _WORD_AMOUNTS:
        text = spelled.sub(amount, text)
    bounds: dict[str, Any] = {}
    rest = text
    for m in _RANGE_RE.finditer(text):
        unit = _unit_of(m)
        low_unit = m.group("low_unit")
        if low_unit and _canonical(low_unit) != unit:
            continue  # "from 5% to 2x" is no range
        if _number(m.group("low")) <= _number(m.group("high")):
            bounds |= {"at_least": _number(m.group("low")), "at_most": _number(m.group("high"))}
            bounds["unit"] = unit
            rest = rest.replace(m.group(0), " ")
            break
    for m in _GAIN_RE.finditer(rest):  # what a range left
        cmp, unit, post = m.group("cmp"), _unit_of(m), m.group("post")
        if not (cmp or unit or post or m.group("num").lower().startswith("order")):
            continue  # a bare number ("GPT-4", "2025") is no condition
        if unit == "s" and not cmp:
            continue  # "3 s" alone is too weak a signal ("5 s"-like plurals)
        op = POSTFIX[post.lower()] if post else (_CMP[cmp.lower()] if cmp else "at_least")
        if "unit" in bounds and unit and unit != bounds["unit"]:
            # "accuracy over 90% and latency under 5 ms" are two conditions on two gains;
            # one filter holds one unit, so the first condition stands and the second is topic.
            continue
        bounds[op] = _number(m.group("num"))
        if m.group("num").lower().startswith("order"):
            bounds["unit"] = "x"
        if unit:
            bounds["unit"] = unit
        rest = rest.replace(m.group(0), " ")
    if "unit" not in bounds and (unit_only := _UNIT_ONLY_RE.search(text)):
        bounds["unit"] = normalize_unit(unit_only.group(1).lower())
    words = re.findall(r"[\w][\w-]*", rest.lower())
    families: list[str] = []
    metrics: list[str] = []
    directions: list[str] = []
    keywords: list[str] = []
    for n, word in enumerate(words):
        family = FAMILY_TRIGGERS.get(word)
        # "communication cost", "latency overhead": the pair names the first word's metric,
        # so the head word does not widen the question to its whole family.
        head = n > 0 and FAMILY_TRIGGERS.get(words[n - 1]) not in (None, family)
        if family and not head and word not in metrics:
            metrics.append(word)
        if family and family not in families:
            families.append(family)
        direction = DIRECTIONS.get(word)
        if direction and direction not in directions:
            directions.append(direction)
        if (
            word not in STOPWORDS
            and not re.fullmatch(r"[\d.,]+x?", word)
            and word not in DIRECTIONS
            and word not in keywords
        ):
            keywords.append(word)
    kind = "cost" if bounds and COST_WORDS.search(text) else None
    if kind is None and "overhead" in families and ("unit" in bounds):
        kind = "cost"
    gain = None
    if bounds or kind:
        gain = GainQuery(
            **bounds,
            kind=kind,
            direction=directions[0] if directions else None,
            families=tuple(families),
            metrics=tuple(metrics),
        )
    measured_match = _GAIN_OBJECT_RE.search(text) if gain is not None else None
    measured: list[str] = []
    if measured_match:
        # "inference latency on GPUs": the quantity ends where the place it holds begins
        what = _WHERE_RE.split(measured_match["what"])[0]
        measured = [w for w in re.findall(r"[\w][\w-]*", what.lower()) if w not in STOPWORDS]
    return ParsedQuestion(
        keywords=keywords,
        families=families,
        gain=gain,
        directions=directions,
        measured=measured,
    )
