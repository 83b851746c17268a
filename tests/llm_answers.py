"""Answers a well-behaved model would give, built from the papers in a request.

The test server uses these to answer summarize requests it was not scripted for, so whole runs
(119 papers, many batches) can go through the real LLM path.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fake_openai import Reply

_PAPERS_RE = re.compile(r"<papers>\s*(.*?)\s*</papers>", re.DOTALL)
_FACTOR_RE = re.compile(r"\b(\d+(?:\.\d+)?)\s?(x|×)(?![a-z])")


def papers_in(body: dict[str, Any]) -> list[dict[str, str]]:
    """The papers a summarize request asks about (from its first user message)."""
    for message in body["messages"]:
        if message["role"] == "user" and (m := _PAPERS_RE.search(message["content"])):
            papers: list[dict[str, str]] = json.loads(m.group(1))
            return papers
    raise AssertionError("no <papers> block in the request")


def good_summary(paper: dict[str, str]) -> dict[str, Any]:
    """A valid summary: a number-free takeaway and the first "N x" factor, quoted verbatim."""
    words = [w for w in paper["title"].split() if not any(c.isdigit() for c in w)][:8]
    gains = []
    if m := _FACTOR_RE.search(paper["abstract"]):
        gains.append(
            {
                # the validator wants a metric the abstract supports
                "metric": "speedup" if re.search(r"speed|fast", paper["abstract"]) else "gain",
                "value": float(m.group(1)),
                "value_high": None,
                "unit": "x",
                "kind": "improvement",
                "qualifier": None,
                "baseline": None,
                "condition": None,
                "quote": m.group(0),
            }
        )
    return {
        "id": paper["id"],
        "takeaway": "This paper presents " + " ".join(words) + ".",
        "has_claims": bool(gains),
        "gains": gains,
    }


def good_answer(body: dict[str, Any]) -> dict[str, Any]:
    return {"papers": [good_summary(p) for p in papers_in(body)]}


def answer_all(body: dict[str, Any]) -> Reply:
    """Handler for FakeOpenAIServer: a valid answer for every paper in the request."""
    return Reply.content(good_answer(body), prompt_tokens=1000, completion_tokens=100)
