"""How relevant a paper is to the reader's profile, with the reasons, computed offline.

The score is a plain sum a reader can check by hand: a keyword (or topic keyword) in the title
adds 2, in the abstract or takeaway 1; a followed author adds 3, a followed category 2; an LLM's
0-3 rating (asked in the summarize call when an endpoint is configured) adds its score; a
negative keyword takes 10 away. Every point comes with a reason ("matches: KV cache",
"follows: cs.LG"), shown next to the paper in the digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from agent.config import ProfileSettings

TITLE_POINTS = 2.0
TEXT_POINTS = 1.0
AUTHOR_POINTS = 3.0
CATEGORY_POINTS = 2.0
NEGATIVE_POINTS = -10.0
LLM_POINTS = 1.0  # per point of the LLM's 0-3 rating


@dataclass(frozen=True)
class Relevance:
    """A paper's score against the profile, why, and which profile topics it matched."""

    score: float = 0.0
    reasons: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    def passes(self, threshold: float) -> bool:
        return self.score >= threshold


@lru_cache(maxsize=512)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A keyword as a whole-word, case-blind pattern where spaces and hyphens are alike and a
    plural matches: "KV cache" finds "KV-cache" and "kv caches", but not "KV cached"."""
    words = [re.escape(w) for w in re.split(r"[\s\-]+", keyword.strip()) if w]
    body = r"[\s\-]+".join(words)
    return re.compile(rf"(?<!\w){body}(?:s|es)?(?!\w)", re.IGNORECASE)


def mentions(text: str, keyword: str) -> bool:
    return bool(keyword.strip()) and keyword_pattern(keyword).search(text) is not None


def _norm_name(name: str) -> str:
    return " ".join(name.casefold().replace(".", " ").split())


def _follows_category(followed: str, categories: Iterable[str]) -> str | None:
    """The paper's category a followed one covers: "cs" covers "cs.LG"; None when none does."""
    want = followed.strip().casefold()
    for category in categories:
        have = category.casefold()
        if want and (have == want or have.startswith(want + ".")):
            return category
    return None


def score_paper(
    profile: ProfileSettings,
    *,
    title: str,
    abstract: str,
    takeaway: str = "",
    authors: Iterable[str] = (),
    categories: Iterable[str] = (),
    llm_rating: tuple[int, str] | None = None,
) -> Relevance:
    """Score one paper against the profile; each point carries its reason. `llm_rating` is the
    LLM's 0-3 rating and reason from the summarize call, when it was asked: it adds its score."""
    text = f"{abstract}\n{takeaway}"
    score = 0.0
    reasons: list[str] = []
    topics: list[str] = []

    def keyword_points(keyword: str) -> float:
        if mentions(title, keyword):
            return TITLE_POINTS
        return TEXT_POINTS if mentions(text, keyword) else 0.0

    seen: set[str] = set()
    for keyword in profile.keywords:
        if keyword.casefold() not in seen and (points := keyword_points(keyword)):
            seen.add(keyword.casefold())
            score += points
            reasons.append(f"matches: {keyword}" + (" (title)" if points == TITLE_POINTS else ""))
    for topic, keywords in profile.topics.items():
        for keyword in keywords:
            if (points := keyword_points(keyword)) == 0.0:
                continue
            if topic not in topics:
                topics.append(topic)
            if keyword.casefold() not in seen:
                seen.add(keyword.casefold())
                score += points
                where = " (title)" if points == TITLE_POINTS else ""
                reasons.append(f"matches: {keyword}{where} [{topic}]")
    names = {_norm_name(a): a for a in authors}
    for author in profile.authors:
        if _norm_name(author) in names:
            score += AUTHOR_POINTS
            reasons.append(f"follows: {names[_norm_name(author)]}")
    categories = list(categories)
    for followed in profile.categories:
        if (category := _follows_category(followed, categories)) is not None:
            score += CATEGORY_POINTS
            reasons.append(f"follows: {category}")
    if llm_rating is not None:
        score += llm_rating[0] * LLM_POINTS
        reasons.append(f"LLM rates {llm_rating[0]}/3: {llm_rating[1]}")
    for keyword in profile.negative_keywords:
        if mentions(f"{title}\n{text}", keyword):
            score += NEGATIVE_POINTS
            reasons.append(f"excluded: {keyword}")
    return Relevance(score=score, reasons=tuple(reasons), topics=tuple(topics))
