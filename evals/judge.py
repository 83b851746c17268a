"""LLM-as-judge for takeaway quality: a rubric prompt, scores 1–5 with a one-line reason.

Only runs with an endpoint configured; offline evals say it was skipped. The judge's requests
go through the same call site (agent/llm.py) and are logged and costed like any other call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from agent.core.errors import LLMCallError
from agent.core.jsontext import extract_json
from agent.llm.client import LLM
from prompts import Prompt, load_prompt

BATCH_SIZE = 20


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    score: Literal[1, 2, 3, 4, 5]
    reason: str


class JudgeAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdicts: list[Verdict]


@dataclass(frozen=True)
class TakeawayToJudge:
    id: str
    title: str
    abstract: str
    takeaway: str


@dataclass
class JudgeResult:
    """Verdicts by paper id, and the papers the judge could not grade (with why)."""

    prompt: str
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def mean_score(self) -> float | None:
        scores = [v.score for v in self.verdicts.values()]
        return sum(scores) / len(scores) if scores else None

    def to_dict(self) -> dict[str, object]:
        return {
            "prompt": self.prompt,
            "mean_score": self.mean_score,
            "graded": len(self.verdicts),
            "errors": self.errors,
            "verdicts": {k: v.model_dump() for k, v in self.verdicts.items()},
        }


def judge_takeaways(
    llm: LLM, items: list[TakeawayToJudge], prompt: Prompt | None = None
) -> JudgeResult:
    """Grade every takeaway, BATCH_SIZE per request; a bad answer leaves its items ungraded."""
    prompt = prompt or load_prompt("judge")
    result = JudgeResult(prompt=prompt.ref)
    for start in range(0, len(items), BATCH_SIZE):
        batch = items[start : start + BATCH_SIZE]
        block = json.dumps(
            [
                {"id": i.id, "title": i.title, "abstract": i.abstract, "takeaway": i.takeaway}
                for i in batch
            ],
            ensure_ascii=False,
        ).replace("</", "<\\/")
        system, user = prompt.render(items=block)
        try:
            completion = llm.complete(
                [{"role": "system", "content": system}, {"role": "user", "content": user}],
                prompt=prompt,
                schema_model=JudgeAnswer,
                max_tokens=80 * len(batch) + 100,
                paper_ids=[],
            )
            answer = JudgeAnswer.model_validate(extract_json(completion.content))
        except (LLMCallError, ValueError, ValidationError) as exc:
            for item in batch:
                result.errors[item.id] = f"judge failed: {str(exc).splitlines()[0]}"
            continue
        wanted = {i.id for i in batch}
        for verdict in answer.verdicts:
            if verdict.id in wanted and verdict.id not in result.verdicts:
                result.verdicts[verdict.id] = verdict
        for item in batch:
            if item.id not in result.verdicts:
                result.errors[item.id] = "the judge gave no verdict for this id"
    return result
