"""The LLM answers a question through tool calls over the store, then its citations are checked.

A bounded loop: the model calls search_papers / filter_gains / read_paper (the hybrid retrieval
of agent/ask/retrieve.py, the one the offline answer uses) as it likes for at most `max_steps`
requests, then writes an answer citing paper ids. The answer is checked in code
(agent/ask/citations.py): an id that is not stored or was never returned by a tool is removed,
and numbers must be ones the cited papers state. A failing answer is sent back with what was
wrong (a re-ask, at most `max_reasks` times); what still fails afterwards is removed or flagged
on the answer. Every request goes through `LLM.complete_with_tools`, which logs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from agent.ask import retrieve
from agent.ask.citations import check_answer, cited_ids
from agent.ask.offline import NO_ANSWER, Answer, Evidence, evidence_of
from agent.llm.client import LLM
from prompts import load_prompt
from store.search import GainFilter, SearchHit, filter_gains, read_paper

MAX_STEPS = 6
MAX_REASKS = 2
ANSWER_TOKENS = 800
TOOL_RESULT_LIMIT = 10

_NUMBER = {"type": ["number", "null"]}
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_papers",
            "description": "Search (keywords and meaning) over stored papers' titles, abstracts "
            "and takeaways. Returns the best matches with their ids, takeaways and claimed gains.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "A few keywords."},
                    "limit": {"type": ["integer", "null"], "description": "At most 20."},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "filter_gains",
            "description": "Papers whose claimed gains pass numeric filters, optionally also "
            "matching keywords. unit is 'x' for factors, '%' for percent, else a literal unit.",
            "parameters": {
                "type": "object",
                "properties": {
                    "keywords": {"type": ["string", "null"]},
                    "metric_words": {
                        "type": ["array", "null"],
                        "items": {"type": "string"},
                        "description": "The gain's metric contains any of these, e.g. speed.",
                    },
                    "unit": {"type": ["string", "null"]},
                    "greater_than": _NUMBER,
                    "at_least": _NUMBER,
                    "less_than": _NUMBER,
                    "at_most": _NUMBER,
                    "kind": {"type": ["string", "null"], "enum": ["improvement", "cost", None]},
                },
                "required": [],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "read_paper",
            "description": "One stored paper by id: title, abstract, takeaway, claimed gains.",
            "parameters": {
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "required": ["id"],
            },
        },
    },
]


@dataclass
class Retrieval:
    """Every paper the tools showed the model, in the order first shown."""

    hits: dict[str, SearchHit] = field(default_factory=dict)

    def add(self, hits: list[SearchHit]) -> None:
        for hit in hits:
            self.hits.setdefault(hit.public_id, hit)


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "id": hit.public_id,
        "title": hit.title,
        "takeaway": hit.takeaway,
        "gains": [g.describe() for g in hit.gains],
    }


def run_tool(engine: Engine, name: str, raw_args: str, seen: Retrieval) -> dict[str, Any]:
    """Run one tool call; errors come back to the model as {"error": ...}, never raise."""
    try:
        args = json.loads(raw_args or "{}")
        if not isinstance(args, dict):
            raise ValueError("arguments must be a JSON object")
    except ValueError as exc:
        return {"error": f"arguments are not valid JSON: {exc}"}
    try:
        if name == "search_papers":
            limit = min(int(args.get("limit") or TOOL_RESULT_LIMIT), 20)
            hits = retrieve.search(engine, str(args.get("query") or ""), limit=limit)
        elif name == "filter_gains":
            hits = _filter(engine, args)
        elif name == "read_paper":
            return _read(engine, str(args.get("id") or ""), seen)
        else:
            return {"error": f"no tool named {name!r}"}
    except (TypeError, ValueError) as exc:
        return {"error": f"bad arguments for {name}: {exc}"}
    seen.add(hits)
    return {"papers": [_hit_json(h) for h in hits]} if hits else {"papers": [], "note": "none"}


def _filter(engine: Engine, args: dict[str, Any]) -> list[SearchHit]:
    def number(key: str) -> float | None:
        value = args.get(key)
        return None if value is None else float(value)

    flt = GainFilter(
        metric_words=tuple(str(w) for w in args.get("metric_words") or ()),
        unit=args.get("unit") or None,
        greater_than=number("greater_than"),
        at_least=number("at_least"),
        less_than=number("less_than"),
        at_most=number("at_most"),
        kind=args.get("kind") or None,
    )
    keywords = str(args.get("keywords") or "")
    if keywords.strip():
        return retrieve.search(engine, keywords, limit=TOOL_RESULT_LIMIT, flt=flt)
    by_paper: dict[str, list[Any]] = {}
    for g in filter_gains(engine, flt, limit=200):
        by_paper.setdefault(g.public_id, []).append(g)
    hits = []
    for pid, gains in list(by_paper.items())[: TOOL_RESULT_LIMIT * 2]:
        detail = read_paper(engine, pid)
        if detail is not None:
            hits.append(SearchHit(detail.paper_id, pid, detail.title, detail.takeaway, 0.0, gains))
    return hits


def _read(engine: Engine, ref: str, seen: Retrieval) -> dict[str, Any]:
    detail = read_paper(engine, ref)
    if detail is None:
        return {"error": f"no stored paper with id {ref!r}"}
    seen.add(
        [
            SearchHit(
                detail.paper_id, detail.public_id, detail.title, detail.takeaway, 0.0, detail.gains
            )
        ]
    )
    return {
        "id": detail.public_id,
        "title": detail.title,
        "abstract": detail.abstract,
        "takeaway": detail.takeaway,
        "gains": [g.describe() for g in detail.gains],
    }


def _evidence_text(engine: Engine, ids: list[str]) -> dict[str, str]:
    """What each paper states, for the number check: abstract, takeaway and gain values."""
    texts = {}
    for ref in ids:
        detail = read_paper(engine, ref)
        if detail is not None:
            gains = " ".join(f"{g.value:g} {g.value_high or ''} {g.quote}" for g in detail.gains)
            texts[ref] = f"{detail.title} {detail.abstract} {detail.takeaway or ''} {gains}"
    return texts


def answer_with_llm(
    engine: Engine,
    llm: LLM,
    question: str,
    *,
    max_steps: int = MAX_STEPS,
    max_reasks: int = MAX_REASKS,
) -> Answer:
    """Answer `question` with the model and the search tools; citations checked in code."""
    prompt = load_prompt("ask")
    system, user = prompt.render(question=question)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": user},
    ]
    seen = Retrieval()
    calls = reasks = 0
    final: str | None = None
    flagged: list[str] = []
    while True:
        # The last allowed request may not call tools, so the loop always ends with an answer.
        must_answer = calls >= max_steps - 1
        completion, tool_calls = llm.complete_with_tools(
            messages,
            prompt=prompt,
            tools=TOOLS,
            max_tokens=ANSWER_TOKENS,
            attempt=reasks + 1,
            tool_choice="none" if must_answer else "auto",
        )
        calls += 1
        if tool_calls and not must_answer:
            messages.append(_assistant_tool_message(completion.content, tool_calls))
            for call in tool_calls:
                result = run_tool(engine, call["name"], call["arguments"], seen)
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": call["id"],
                        "content": json.dumps(result, ensure_ascii=False),
                    }
                )
            continue
        text = completion.content.strip()
        check = check_answer(
            text,
            retrieved=set(seen.hits),
            exists=lambda ref: read_paper(engine, ref) is not None,
            evidence_text=_evidence_text(engine, [r for r in cited_ids(text) if r in seen.hits]),
        )
        if check.ok or reasks >= max_reasks or calls >= max_steps + max_reasks:
            final = check.text
            flagged = check.problems()
            valid = check.valid
            break
        reasks += 1
        messages.append({"role": "assistant", "content": text})
        messages.append(
            {
                "role": "user",
                "content": "Your answer broke the citation rules:\n- "
                + "\n- ".join(check.problems())
                + "\nWrite the answer again, following the rules.",
            }
        )
    no_answer = not valid
    evidence: list[Evidence] = evidence_of(list(seen.hits.values()))
    return Answer(
        question=question,
        text=NO_ANSWER if no_answer else final,
        mode="llm",
        citations=valid,
        evidence=evidence,
        retrieved=list(seen.hits),
        no_answer=no_answer,
        flagged=flagged,
        model=llm.model,
        llm_calls=calls,
    )


def _assistant_tool_message(content: str, calls: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": content or None,
        "tool_calls": [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for c in calls
        ],
    }
