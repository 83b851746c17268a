"""A learned decision for the offline engine: is this candidate number a claimed gain?

The rules (agent/summarize/offline.py) list every number with a unit that could be a gain and
refuse those ANNOTATION.md excludes (`open_candidates`). A logistic regression over cue features
of the text around each remaining number (comparatives, "by", "we", a setting's "at", the unit,
the sentence's place, the rules' own "presents a result" test) decides which to keep. Its
weights are a small data file, claim_model.json, written by evals/train_claim_model.py from the
dev part of the real corpus; scoring here is plain Python, so the runtime needs no learning
library. It is measured next to the rules and not the default: dev cross-validation did not show
it better (evals/data/real/RESULTS.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, model_validator

from agent.summarize import offline_patterns as pat
from agent.summarize.offline_phrases import names_quantity

if TYPE_CHECKING:
    from agent.summarize.offline import Candidate

MODEL_PATH = Path(__file__).with_name("claim_model.json")

_OWN_RE = re.compile(
    r"\b(?:we|our|ours|us|proposed|this (?:method|approach|framework|system|work|paper))\b", re.I
)
_COMPARE_RE = re.compile(
    r"\b(?:than|compared|relative to|versus|vs\.?|against|outperform\w*|surpass\w*|beat\w*|"
    r"exceed\w*|over (?:the |a |an )?(?:[\w\-]+ ){0,3}?(?:baselines?|state|prior|existing|"
    r"methods?|models?|approach\w*|systems?|sota))\b",
    re.I,
)
_CHANGE_RE = re.compile(
    r"\b(?:improv\w*|reduc\w*|increas\w*|decreas\w*|boost\w*|accelerat\w*|speed(?:s|ing)? up|"
    r"cut\w*|sav(?:e|es|ed|ing)|lower(?:s|ed|ing)|rais\w*|enhanc\w*|halv\w*|shrink\w*)\b",
    re.I,
)
_ACHIEVE_RE = re.compile(
    r"\b(?:achiev\w*|attain\w*|reach\w*|deliver\w*|yield\w*|obtain\w*|maintain\w*|"
    r"retain\w*|recover\w*|scor(?:e|es|ed|ing))\b",
    re.I,
)
_REPORT_RE = re.compile(
    r"\b(?:experiments?|results?|evaluations?|empirical\w*|benchmarks?)\b.{0,40}?"
    r"\b(?:show|demonstrat|indicat|reveal|confirm)\w*",
    re.I,
)
_BACKGROUND_RE = re.compile(
    r"\b(?:prior|previous\w*|existing|typical\w*|common\w*|conventional\w*|traditional\w*|"
    r"current\w*|has been|have been|reported|widely|often|usually|commonly)\b",
    re.I,
)
_COMPARATIVE_AFTER_RE = re.compile(
    r"\s*(?:[\w\-]+\s+)?(?:higher|lower|better|faster|slower|more|less|fewer|smaller|larger|"
    r"greater|bigger|shorter|longer|speed-?ups?|improvements?|reductions?|gains?|increases?|"
    r"decreases?|boosts?)\b",
    re.I,
)
_SETTING_BEFORE_RE = re.compile(r"\b(?:at|on|with|using|under|given|for)\s+(?:\S+\s+){0,2}$", re.I)
_SHARE_AFTER_RE = re.compile(r"\s+of\s+(?:the\s+|all\s+|their\s+|its\s+)?[a-z]", re.I)
_BY_BEFORE_RE = re.compile(r"\bby\s+(?:\S+\s+){0,2}$", re.I)
_OF_BEFORE_RE = re.compile(r"\b(?:of|is|was|are|were|reaches|reached|=|:)\s+(?:\S+\s+)?$", re.I)
_TO_BEFORE_RE = re.compile(r"\bto\s+(?:only\s+|just\s+)?$", re.I)
_ERROR_BAR_AFTER_RE = re.compile(r"\s?(?:±|\+/-|\+-)")
_HEDGE_RE = re.compile(r"\b(?:may|might|could|would|can)\b", re.I)

# Unit families as the features see them.
_ABSOLUTE_UNIT_RE = re.compile(
    r"^(?:[KMGT]i?B|ns|ps|µs|μs|ms|s|.*hours|[KMGT]i?B/s|req/s|tokens/s|QPS|mW|FPS)$"
)


def _near_before(c: Candidate, chars: int = 30) -> str:
    return c.text[max(c.clause[0], c.mention.start - chars) : c.mention.start]


def _sentence(c: Candidate) -> str:
    return c.text[c.sentence[0] : c.sentence[1]]


def _in_parentheses(c: Candidate) -> bool:
    before = c.text[c.sentence[0] : c.mention.start]
    return before.count("(") > before.count(")") or before.count("[") > before.count("]")


def _numbers_in_sentence(c: Candidate) -> int:
    return len(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", _sentence(c)))


# name → what it reads from a candidate; every value lies in [0, 1], so no scaler is needed.
FEATURES: dict[str, Callable[[Candidate], float]] = {
    "rules_result_sentence": lambda c: float(c.presents_result),
    "own_work_sentence": lambda c: float(bool(_OWN_RE.search(_sentence(c)))),
    "method_in_sentence": lambda c: float(bool(c.method and c.method in _sentence(c))),
    "method_named": lambda c: float(c.method is not None),
    "compare_sentence": lambda c: float(bool(_COMPARE_RE.search(_sentence(c)))),
    "compare_clause": lambda c: float(bool(_COMPARE_RE.search(c.text[c.clause[0] : c.clause[1]]))),
    "change_clause": lambda c: float(bool(_CHANGE_RE.search(c.text[c.clause[0] : c.clause[1]]))),
    "achieve_clause": lambda c: float(bool(_ACHIEVE_RE.search(c.text[c.clause[0] : c.clause[1]]))),
    "report_sentence": lambda c: float(bool(_REPORT_RE.search(_sentence(c)))),
    "background_sentence": lambda c: float(bool(_BACKGROUND_RE.search(_sentence(c)))),
    "hedge_sentence": lambda c: float(bool(_HEDGE_RE.search(_sentence(c)))),
    "respectively": lambda c: float("respectively" in _sentence(c).lower()),
    "comparative_after": lambda c: float(
        bool(_COMPARATIVE_AFTER_RE.match(c.text, c.mention.end, c.clause[1]))
    ),
    "by_before": lambda c: float(bool(_BY_BEFORE_RE.search(_near_before(c)))),
    "of_before": lambda c: float(bool(_OF_BEFORE_RE.search(_near_before(c)))),
    "to_before": lambda c: float(bool(_TO_BEFORE_RE.search(_near_before(c)))),
    "setting_before": lambda c: float(bool(_SETTING_BEFORE_RE.search(_near_before(c, 20)))),
    "share_after": lambda c: float(bool(_SHARE_AFTER_RE.match(c.text, c.mention.end))),
    "error_bar_after": lambda c: float(bool(_ERROR_BAR_AFTER_RE.match(c.text, c.mention.end))),
    "in_parentheses": lambda c: float(_in_parentheses(c)),
    "qualifier": lambda c: float(c.gain.qualifier is not None),
    "up_to": lambda c: float(c.gain.qualifier == "up to"),
    "range": lambda c: float(c.gain.value_high is not None),
    "unit_factor": lambda c: float(c.gain.unit == "x"),
    "unit_percent": lambda c: float(c.gain.unit == "%"),
    "unit_points": lambda c: float(c.gain.unit == "points"),
    "unit_score_name": lambda c: float(pat.is_score_name(c.gain.unit)),
    "unit_absolute": lambda c: float(bool(_ABSOLUTE_UNIT_RE.match(c.gain.unit))),
    "percent_level": lambda c: float(c.gain.unit == "%" and c.gain.value >= 50),
    "metric_fell_back": lambda c: float(c.metric_fell_back),
    "metric_names_quantity": lambda c: float(names_quantity(c.gain.metric)),
    "baseline_found": lambda c: float(c.gain.baseline is not None),
    "kind_cost": lambda c: float(c.gain.kind == "cost"),
    "first_sentence": lambda c: float(c.sentence_index == 0),
    "last_sentence": lambda c: float(c.sentence_index == c.sentence_count - 1),
    "sentence_position": lambda c: c.sentence_index / max(c.sentence_count - 1, 1),
    "numbers_in_sentence": lambda c: min(_numbers_in_sentence(c), 10) / 10,
}
# Read from all the candidates of one abstract.
PAPER_FEATURES: dict[str, Callable[[Sequence[Candidate]], float]] = {
    "paper_candidates": lambda cs: min(len(cs), 12) / 12,
    "paper_rules_result_share": lambda cs: sum(c.presents_result for c in cs) / max(len(cs), 1),
    "paper_own_work": lambda cs: float(any(_OWN_RE.search(c.text) for c in cs[:1])),
}
FEATURE_NAMES = [*FEATURES, *PAPER_FEATURES]


def feature_rows(candidates: Sequence[Candidate]) -> list[list[float]]:
    """The feature vector of each candidate of one abstract, in FEATURE_NAMES order."""
    paper = [f(candidates) for f in PAPER_FEATURES.values()]
    return [[f(c) for f in FEATURES.values()] + paper for c in candidates]


class ClaimModel(BaseModel):
    """A logistic regression: P(claim) = sigmoid(bias + weights · features); a candidate is
    kept when P reaches `threshold`. This is also the layout of claim_model.json."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    features: list[str]
    weights: list[float]
    bias: float
    threshold: float

    @model_validator(mode="after")
    def _same_features(self) -> ClaimModel:
        if self.features != FEATURE_NAMES or len(self.weights) != len(FEATURE_NAMES):
            raise ValueError(
                "the claim model was trained on other features; "
                "rebuild it with `python -m evals.train_claim_model --write`"
            )
        return self

    def probabilities(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """P(claim) of each feature row."""
        scores = [
            self.bias + sum(w * x for w, x in zip(self.weights, row, strict=True)) for row in rows
        ]
        return [1 / (1 + math.exp(-score)) for score in scores]

    def keep(self, candidates: Sequence[Candidate]) -> list[bool]:
        """Which candidates of one abstract the model takes for claimed gains."""
        rows = feature_rows(candidates)
        return [p >= self.threshold for p in self.probabilities(rows)]


@cache
def load_model(path: Path = MODEL_PATH) -> ClaimModel:
    """The shipped model (read once)."""
    return ClaimModel.model_validate_json(path.read_text(encoding="utf-8"))
