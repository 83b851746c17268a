"""Answering questions about the stored papers, citing them by id.

With an LLM endpoint, agent/ask/agent.py answers through tool calls over the same retrieval and
its citations are checked in code (agent/ask/citations.py). Without one, the offline answer here
reads the question (agent/ask/questions.py: gain conditions, metric families, topic words),
ranks papers (agent/ask/retrieve.py: BM25 and dense similarity fused, then the gain filter and
a relevance cut) and lists only the papers that match, with their takeaways and gains. Either
way an answer only ever names papers that retrieval returned from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Engine

from agent.ask import questions, retrieve
from agent.core.labels import NO_LLM
from store.search import SearchHit, public_ids, read_papers

NO_ANSWER = "No stored paper answers this question."


Mode = Literal["offline", "llm"]


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
    mode: retrieve.Mode = "hybrid",
    use_filter: bool = True,
) -> Answer:
    """The offline answer: only the papers that match, best first, with their gains.

    Papers are ranked by BM25 and dense similarity fused (agent/ask/retrieve.py), kept when
    they pass the question's gain condition (or, with none, when they are close enough to the
    best match), and the first `limit` are shown with "and N more" for the rest.
    """
    parsed = questions.parse_question(question)
    matched, ranking = retrieve.answer_set(
        engine, parsed, question, mode=mode, use_filter=use_filter
    )
    shown = matched[:limit]
    details = read_papers(engine, [r.paper_id for r in shown])
    evidence = []
    for r in shown:
        detail = details.get(r.paper_id)
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
