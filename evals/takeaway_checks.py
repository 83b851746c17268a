"""Takeaway checks a reader would make: background instead of result, a cut mid-phrase, markup.

- `is_first_sentence`: the takeaway is (mostly) the abstract's first sentence. It only counts
  against an engine when a later sentence states the result (`result_after_first`), which is
  where issue 11 found 51% of real-feed takeaways: the background line, not what the paper did.
- `ends_mid_phrase`: the takeaway stops on a word that needs a continuation ("... and.",
  "... of the.", "... compared to.") or with a bracket left open.
- `markup_residue`: LaTeX or HTML a reader should never see ("9\\%", "$\\sim$", "48times",
  "&amp;", "<b>", "0.13sim2.41").
"""

from __future__ import annotations

import re

from agent.core.markup import DOLLAR_SIGN_RE
from agent.core.models import PaperSummary
from agent.core.sentences import sentence_spans
from agent.core.words import content_words

# The share of the takeaway's content words the first sentence must hold to count as "it".
FIRST_SENTENCE_OVERLAP = 0.6

_DANGLING_END_RE = re.compile(
    r"(?:\b(?:and|or|but|with|while|whereas|of|the|a|an|to|in|on|for|by|at|from|than|that|"
    r"which|as|compared|versus|vs|over|across|under|between|into|its|their|our|such|e\.g|i\.e)"
    r"|[,;:(\-])\W*$",
    re.I,
)
_RESIDUE_RE = re.compile(
    rf"\\[A-Za-z]+|\\[%$&_{{}}#]|(?!{DOLLAR_SIGN_RE})\$|[{{}}]|\^|_\{{"
    r"|&(?:[a-z]+|#\d+|#x[0-9a-f]+);|</?[a-z][^>]*>"
    r"|\bsim\b|\d\s?sim\s?\d|\dtimes\b|\btimes\d",
    re.I,
)


def _best_sentence(takeaway: str, abstract: str) -> tuple[int, float]:
    """The index of the abstract sentence holding most of the takeaway's content words, and
    the share it holds."""
    words = content_words(takeaway)
    if not words:
        return -1, 0.0
    best, share = -1, 0.0
    for i, (start, end) in enumerate(sentence_spans(abstract)):
        here = len(words & content_words(abstract[start:end])) / len(words)
        if here > share:
            best, share = i, here
    return best, share


def is_first_sentence(takeaway: str, abstract: str) -> bool:
    """True when the first sentence is the one the takeaway is made of."""
    index, share = _best_sentence(takeaway, abstract)
    return index == 0 and share >= FIRST_SENTENCE_OVERLAP


def result_after_first(gold: PaperSummary, abstract: str) -> bool:
    """True when a gold gain is quoted from a sentence after the first one."""
    spans = sentence_spans(abstract)
    if len(spans) < 2 or not gold.has_claims:
        return False
    first_end = spans[0][1]
    return any(abstract.find(g.quote, first_end) >= 0 for g in gold.gains if g.quote)


def ends_mid_phrase(takeaway: str) -> bool:
    """True when the takeaway stops where its phrase needs more words, or leaves '(' open."""
    text = takeaway.strip().rstrip(".!?").rstrip()
    if not text:
        return False
    return bool(_DANGLING_END_RE.search(text)) or text.count("(") > text.count(")")


def markup_residue(text: str) -> list[str]:
    """The pieces of LaTeX or HTML left in `text` (empty when it reads as plain text)."""
    return [m.group(0) for m in _RESIDUE_RE.finditer(text)]
