"""Sentences of an abstract as character spans: one splitter for the engines and the evals."""

from __future__ import annotations

import re

# The words a sentence opens with when it turns against the one before ("However, it needs twice
# the memory."): the offline engine reads such a sentence as a problem, not a result, and a
# takeaway is never cut just before one.
CONTRAST_OPENERS = r"however|nonetheless|nevertheless|unfortunately|yet|but"
# Openers of a sentence that states the other side of a comparison ("In comparison, X yields").
COMPARISON_OPENERS = r"(?:in|by|for)\s+comparison|(?:in|by)\s+contrast"

_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "cf.", "Fig.", "approx.", "resp.", "etc.")
_END_RE = re.compile(r"[.!?](?=\s+[A-Z(\\`'\"$]|[A-Z][a-z])|[.!?]\s*$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; a period needs a capital after it ("overhead.In" too),
    and "e.g.", "et al.", "vs." do not end one. Linear in the length of `text`."""
    spans, start = [], 0
    for match in _END_RE.finditer(text):
        if text[max(0, match.end() - 8) : match.end()].endswith(_ABBREVIATIONS):
            continue
        spans.append((start, match.end()))
        start = match.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of `text`, whitespace collapsed."""
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]
