"""Answering questions about the stored papers, citing them by id.

With an LLM endpoint, agent/ask_agent.py answers through tool calls over store/search.py and its
citations are checked in code (agent/citations.py). Without one, the offline answer here reads
the question for numeric filters ("more than 2x", "at least 30%") and kinds of result ("memory",
"speedup"), searches, and lists the matching papers with their takeaways and gains. Either way
an answer only ever names papers that retrieval returned from the store.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Engine

from agent.core.labels import NO_LLM
from agent.core.units import RATIO_UNIT_RE, normalize_unit
from store.search import (
    GainFilter,
    GainMatch,
    SearchHit,
    document_frequencies,
    filter_gains,
    public_ids,
    query_terms,
    read_paper,
    read_paper_by_id,
    search_papers,
    term_matches,
    words,
)

NO_ANSWER = "No stored paper answers this question."

# Kinds of result a question may ask about, and a pattern that marks a gain's metric (or its
# quote) as that kind. They rank papers; only stated numbers filter.
CONCEPTS: dict[str, str] = {
    "speed": r"speed|faster|throughput|accelerat|latency|runtime|\btime\b",
    "memory": r"memory|\bv?ram\b|footprint|cache|storage|compression",
    "accuracy": r"accura|\bf1\b|\bap\b|score|error",
    "throughput": r"throughput",
    "overhead": r"overhead|cost|loss|slowdown|more memory",
    "energy": r"energy|power",
    "latency": r"latency|\btime\b|runtime",
}
CONCEPT_TRIGGERS: dict[str, str] = {
    **dict.fromkeys(
        ("speedup", "speedups", "speed", "faster", "accelerate", "accelerates", "fast"), "speed"
    ),
    **dict.fromkeys(("memory", "vram", "ram", "footprint"), "memory"),
    **dict.fromkeys(("accuracy", "accurate", "f1"), "accuracy"),
    "throughput": "throughput",
    **dict.fromkeys(("overhead", "overheads", "cost", "costs"), "overhead"),
    **dict.fromkeys(("energy", "power"), "energy"),
    "latency": "latency",
}
# Words of a question that say nothing about which paper answers it.
QUESTION_WORDS = words(
    "which what how much many did does do papers paper claim claims claimed report reports "
    "reported show shows more less than least most over under above below at by up "
    "x times fold percent percentage points any there "
    # Direction verbs say which way a number moved, not what the paper is about.
    "reduce reduces reducing cut cuts lower lowers improve improves improving increase "
    "increases boost boosts save saves achieve achieves reach reaches keep keeps make makes "
    "get gets help helps"
)
_COMPARATORS = {
    "more than": "greater_than",
    "greater than": "greater_than",
    "higher than": "greater_than",
    "over": "greater_than",
    "above": "greater_than",
    "exceeding": "greater_than",
    ">": "greater_than",
    "at least": "at_least",
    "no less than": "at_least",
    ">=": "at_least",
    "≥": "at_least",
    "less than": "less_than",
    "fewer than": "less_than",
    "under": "less_than",
    "below": "less_than",
    "<": "less_than",
    "at most": "at_most",
    "no more than": "at_most",
    "<=": "at_most",
    "≤": "at_most",
}
_NUMERIC_RE = re.compile(
    r"(?P<cmp>"
    + "|".join(re.escape(c) for c in sorted(_COMPARATORS, key=len, reverse=True))
    + r")\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>"
    + RATIO_UNIT_RE
    + ")?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedQuestion:
    """What the offline reader took from a question."""

    keywords: list[str]  # topic words: a paper must match most of them
    concepts: list[str]  # kinds of result asked about (CONCEPTS keys)
    gain_filter: GainFilter | None  # from a stated number, the one hard filter

    @property
    def concept_pattern(self) -> re.Pattern[str] | None:
        if not self.concepts:
            return None
        return re.compile("|".join(CONCEPTS[c] for c in self.concepts), re.IGNORECASE)


def parse_question(question: str) -> ParsedQuestion:
    """Numeric filters, kinds of result and topic keywords of a question."""
    text = question.lower()
    numeric: dict[str, Any] = {}
    for match in _NUMERIC_RE.finditer(text):
        unit = match.group("unit")
        numeric[_COMPARATORS[match.group("cmp")]] = float(match.group("num"))
        if unit:
            numeric["unit"] = normalize_unit(unit)
    # "a 2x speedup" with no comparator still names a unit worth keeping apart from the topic.
    text = _NUMERIC_RE.sub(" ", text)
    concepts: list[str] = []
    keywords: list[str] = []
    for word in query_terms(text):
        concept = CONCEPT_TRIGGERS.get(word)
        if concept is not None:
            if concept not in concepts:
                concepts.append(concept)
        elif word not in QUESTION_WORDS and not re.fullmatch(r"\d+(\.\d+)?x?", word):
            keywords.append(word)
    flt = GainFilter(**numeric) if numeric else None
    if flt is not None and "overhead" in concepts and flt.unit is None:
        flt = GainFilter(**{**numeric, "unit": "%"})
    return ParsedQuestion(keywords=keywords, concepts=concepts, gain_filter=flt)


Mode = Literal["offline", "llm"]
RetrievalMode = Literal["bm25", "dense", "hybrid"]


@dataclass
class Evidence:
    """A paper retrieval returned, as the answer may cite it."""

    public_id: str
    title: str
    takeaway: str | None
    gains: list[str]
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.public_id,
            "title": self.title,
            "takeaway": self.takeaway,
            "gains": self.gains,
            "score": round(self.score, 4),
        }


@dataclass
class Answer:
    question: str
    text: str
    mode: Mode
    citations: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)  # ranked, for recall@k
    no_answer: bool = False
    flagged: list[str] = field(default_factory=list)  # checks that still failed at the end
    model: str | None = None
    llm_calls: int = 0
    parsed: dict[str, Any] | None = None
    more: int = 0  # matching papers not shown (beyond the limit)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "mode": self.mode,
            "model": self.model,
            "citations": self.citations,
            "no_answer": self.no_answer,
            "flagged": self.flagged,
            "retrieved": self.retrieved,
            "evidence": [e.to_json() for e in self.evidence],
            "llm_calls": self.llm_calls,
            "parsed": self.parsed,
            "more": self.more,
        }


def _concept_match(gain: GainMatch, pattern: re.Pattern[str]) -> bool:
    return pattern.search(f"{gain.metric} {gain.quote}") is not None


# A paper must match at least this share of the question's topic words, each weighted by how
# rare it is in the store (IDF): "MoE" in "MoE inference" counts for more than "inference".
MIN_COVERAGE = 0.5


def offline_search(engine: Engine, parsed: ParsedQuestion, *, limit: int = 10) -> list[SearchHit]:
    """Ranked papers for a parsed question: topic words decide, numbers filter, kinds rank."""
    pattern = parsed.concept_pattern
    flt = parsed.gain_filter
    if parsed.keywords:
        query = " ".join(parsed.keywords + parsed.concepts)
        freq = document_frequencies(engine, query_terms(query))
        hits = search_papers(engine, query, limit=max(50, limit), gains=flt, doc_freq=freq)
        matches = term_matches(engine, parsed.keywords, [h.paper_id for h in hits], freq)
        hits = [h for h in hits if matches.coverage(h.paper_id) >= MIN_COVERAGE]
    elif flt is not None:
        hits = _papers_with_gains(engine, flt)
    elif parsed.concepts:
        hits = search_papers(engine, " ".join(parsed.concepts), limit=max(50, limit))
    else:
        return []
    if not hits:
        return []
    top = max(h.score for h in hits) or 1.0
    # A paper whose claimed gain is of the asked kind ranks above one that only mentions it.
    ranked = sorted(
        hits,
        key=lambda h: (
            -(
                (h.score / top if top > 0 else 0.0)
                + (1.0 if pattern and any(_concept_match(g, pattern) for g in h.gains) else 0.0)
            )
        ),
    )
    top_hits = ranked[:limit]
    _fill_titles(engine, [h for h in top_hits if not h.title])
    return top_hits


# Gains read for a question with a number but no topic words; the largest values come first,
# so a cap this size only drops papers that could not rank in the first few anyway.
GAIN_SCAN_LIMIT = 1000


def _papers_with_gains(engine: Engine, flt: GainFilter) -> list[SearchHit]:
    """Papers with a gain passing `flt`, scored by their largest such value (titles not read)."""
    by_paper: dict[int, list[GainMatch]] = {}
    for g in filter_gains(engine, flt, limit=GAIN_SCAN_LIMIT, largest_first=True):
        by_paper.setdefault(g.paper_id, []).append(g)
    return [
        SearchHit(
            paper_id=gains[0].paper_id,
            public_id=gains[0].public_id,
            title="",
            takeaway=None,
            score=math.log1p(max(max(g.value, g.value_high or g.value) for g in gains)),
            gains=gains,
        )
        for gains in by_paper.values()
    ]


def _fill_titles(engine: Engine, hits: list[SearchHit]) -> None:
    for hit in hits:
        detail = read_paper(engine, hit.public_id)
        if detail is not None:
            hit.title, hit.takeaway = detail.title, detail.takeaway


def evidence_of(hits: list[SearchHit]) -> list[Evidence]:
    return [
        Evidence(
            public_id=h.public_id,
            title=h.title,
            takeaway=h.takeaway,
            gains=[g.describe() for g in h.gains],
            score=h.score,
        )
        for h in hits
    ]


def answer_offline(
    engine: Engine,
    question: str,
    *,
    limit: int = 5,
    mode: RetrievalMode = "hybrid",
    use_filter: bool = True,
) -> Answer:
    """The offline answer: only the papers that match, best first, with their gains.

    Papers are ranked by BM25 and dense similarity fused (agent/ask/retrieve.py), kept when
    they pass the question's gain condition (or, with none, when they are close enough to the
    best match), and the first `limit` are shown with "and N more" for the rest.
    """
    from agent.ask import questions, retrieve

    parsed = questions.parse_question(question)
    matched, ranking = retrieve.answer_set(
        engine, parsed, question, mode=mode, use_filter=use_filter
    )
    shown = matched[:limit]
    details = {r.paper_id: read_paper_by_id(engine, r.paper_id) for r in shown}
    evidence = []
    for r in shown:
        detail = details[r.paper_id]
        if detail is None:
            continue
        gains = r.gains or detail.gains
        evidence.append(
            Evidence(
                public_id=detail.public_id,
                title=detail.title,
                takeaway=detail.takeaway,
                gains=[g.describe() for g in gains],
                score=r.dense if mode != "bm25" else r.bm25,
            )
        )
    shown_ids = {r.paper_id for r in shown}
    rest = [r.paper_id for r in ranking if r.paper_id not in shown_ids][: max(0, 20 - len(shown))]
    answer = Answer(
        question=question,
        text="",
        mode="offline",
        evidence=evidence,
        retrieved=[e.public_id for e in evidence] + public_ids(engine, rest),
        citations=[e.public_id for e in evidence],
        no_answer=not evidence,
        parsed=parsed.to_json(),
        more=max(0, len(matched) - len(shown)),
    )
    answer.text = render_offline(answer)
    return answer


def _filter_json(flt: GainFilter | None) -> dict[str, Any] | None:
    if flt is None:
        return None
    return {k: v for k, v in vars(flt).items() if v not in (None, ())}


def render_offline(answer: Answer) -> str:
    if answer.no_answer:
        return f"Offline answer ({NO_LLM}): {NO_ANSWER}"
    found = len(answer.evidence) + answer.more
    noun = "paper matches" if found == 1 else "papers match"
    lines = [f"Offline answer ({NO_LLM}): {found} stored {noun}, best first."]
    for n, e in enumerate(answer.evidence, 1):
        lines.append(f"{n}. [{e.public_id}] {e.title}")
        if e.takeaway:
            lines.append(f"   {e.takeaway}")
        for gain in e.gains:
            lines.append(f"   - {gain}")
    if answer.more:
        lines.append(f"... and {answer.more} more (see them all with --all).")
    return "\n".join(lines)
