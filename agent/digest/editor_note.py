"""The editor's note at the top of a digest: what stands out today, in three to five sentences.

With an endpoint configured the LLM writes it from the stored summaries (prompts/editor); every
sentence must cite paper ids, and is checked here before anyone reads it: ids not in the digest
are removed and flagged, a sentence left citing nothing is dropped, and so is a sentence with a
number that is in none of its cited papers' abstracts or gains, or with markup tags in its text.
Offline, or when nothing survives the checks, a plain statistical opening is written instead
(counts, biggest gains).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.core.claim_check import is_headline_claim
from agent.core.errors import LLMCallError
from agent.core.jsontext import extract_json
from agent.core.numbers import numbers_in, same_number
from agent.core.units import format_value, gain_strength
from prompts import Prompt, load_prompt

if TYPE_CHECKING:
    from agent.digest.select import DigestItem
    from agent.llm.client import LLM

MAX_SENTENCES = 5
# A tag in a sentence ("by <papers>2607.20492</papers>"): the prompt's own structure copied into
# the prose, which a small model does; the sentence is dropped, not shown to the reader.
_TAG_RE = re.compile(r"</?[A-Za-z][\w-]*>")
PAPERS_FOR_NOTE = 30  # the top of the ranking is what "stands out"; keeps the request small
STATISTICS = "statistics"


class NoteSentence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="One sentence, plain text, no paper ids in it.")
    paper_ids: list[str] = Field(description="Ids of the papers this sentence is about.")


class EditorAnswer(BaseModel):
    """What the editor prompt must return."""

    model_config = ConfigDict(extra="forbid")

    sentences: list[NoteSentence] = Field(description="Three to five sentences.")


@dataclass
class Note:
    """The note as shown: sentences with their cited ids, who wrote it, and what the checks did."""

    sentences: list[NoteSentence]
    made_by: str
    flags: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        return " ".join(
            s.text + (f" [{', '.join(s.paper_ids)}]" if s.paper_ids else "") for s in self.sentences
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "made_by": self.made_by,
            "flags": self.flags,
            "sentences": [s.model_dump() for s in self.sentences],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Note:
        return cls(
            sentences=[NoteSentence.model_validate(s) for s in data.get("sentences", [])],
            made_by=str(data.get("made_by", "")),
            flags=[str(f) for f in data.get("flags", [])],
        )


def _supported_numbers(item: DigestItem) -> list[float]:
    found = numbers_in(item.paper.abstract)
    for g in item.gains:
        found.append(g.value)
        if g.value_high is not None:
            found.append(g.value_high)
    return found


def check_note(answer: EditorAnswer, items: list[DigestItem], made_by: str) -> Note:
    """Keep only sentences that cite papers of this digest and whose numbers those papers state."""
    by_id = {it.public_id: it for it in items}
    note = Note(sentences=[], made_by=made_by)
    for n, sentence in enumerate(answer.sentences, 1):
        unknown = [pid for pid in sentence.paper_ids if pid not in by_id]
        cited = list(dict.fromkeys(pid for pid in sentence.paper_ids if pid in by_id))
        if unknown:
            note.flags.append(f"sentence {n}: removed unknown paper id(s) {', '.join(unknown)}")
        if not cited:
            note.flags.append(f"sentence {n}: dropped, it cites no paper of this digest")
            continue
        text = sentence.text.strip()
        if _TAG_RE.search(text):
            note.flags.append(f"sentence {n}: dropped, it has markup tags in its text")
            continue
        # Ids written into the text ("seed-011", "2401.01234") are not claims about numbers.
        bare = text
        for pid in sorted(by_id, key=len, reverse=True):
            bare = bare.replace(pid, " ")
        supported = [x for pid in cited for x in _supported_numbers(by_id[pid])]
        stray = [x for x in numbers_in(bare) if not any(same_number(x, s) for s in supported)]
        if stray:
            listed = ", ".join(f"{x:g}" for x in stray)
            note.flags.append(
                f"sentence {n}: dropped, number(s) {listed} not in the cited papers "
                f"{', '.join(cited)}"
            )
            continue
        if len(note.sentences) < MAX_SENTENCES:
            note.sentences.append(NoteSentence(text=text, paper_ids=cited))
    return note


def _paper_block(items: list[DigestItem]) -> str:
    papers = [
        {
            "id": it.public_id,
            "section": it.section,
            "title": it.paper.title,
            "takeaway": it.summary.takeaway or "",
            "gains": [
                {
                    "metric": g.metric,
                    "value": g.value,
                    "value_high": g.value_high,
                    "unit": g.unit,
                    "qualifier": g.qualifier,
                    "baseline": g.baseline,
                }
                for g in it.gains
            ],
        }
        for it in items[:PAPERS_FOR_NOTE]
    ]
    # "</" escaped so a title cannot close the <papers> block the prompt wraps data in.
    return json.dumps(papers, ensure_ascii=False).replace("</", "<\\/")


def llm_note(llm: LLM, items: list[DigestItem], prompt: Prompt | None = None) -> Note:
    """The LLM's note, checked; the statistical one (flagged why) when nothing usable came back."""
    prompt = prompt or load_prompt("editor")
    system, user = prompt.render(papers=_paper_block(items))
    made_by = f"{llm.model} ({prompt.ref})"
    try:
        completion = llm.complete(
            [{"role": "system", "content": system}, {"role": "user", "content": user}],
            prompt=prompt,
            schema_model=EditorAnswer,
            max_tokens=600,
            paper_ids=[it.paper.id for it in items[:PAPERS_FOR_NOTE] if it.paper.id is not None],
        )
        answer = EditorAnswer.model_validate(extract_json(completion.content))
    except (LLMCallError, ValueError, ValidationError) as exc:
        fallback = statistical_note(items)
        fallback.flags.append(f"LLM note failed: {str(exc).splitlines()[0]}")
        return fallback
    note = check_note(answer, items, made_by)
    if not note.sentences:
        fallback = statistical_note(items)
        fallback.flags = [*note.flags, "no LLM sentence passed the checks"]
        return fallback
    return note


def _headline_strength(item: DigestItem) -> float:
    """The strength of the item's biggest claim that names a metric and a baseline (0 if none)."""
    return max((gain_strength(g) for g in item.gains if is_headline_claim(g)), default=0.0)


def _gain_phrase(item: DigestItem) -> str | None:
    """ "2.5x speedup over vLLM (Title)" for the item's biggest claim with a named metric and
    baseline; a claim without them ("4x" of a dimension, "30% improvement") never headlines."""
    named = [g for g in item.gains if is_headline_claim(g)]
    best = max(named, key=gain_strength, default=None)
    if best is None or gain_strength(best) <= 1.0:
        return None
    hedge = f"{best.qualifier} " if best.qualifier else ""
    return f"{hedge}{format_value(best)} {best.metric} over {best.baseline} ({item.paper.title})"


def statistical_note(items: list[DigestItem]) -> Note:
    """A plain opening computed from the digest itself: counts and the biggest claimed gains."""
    note = Note(sentences=[], made_by=STATISTICS)
    if not items:
        note.sentences.append(NoteSentence(text="No new papers in this digest.", paper_ids=[]))
        return note
    per_section = Counter(it.section for it in items)  # in reading order: best section first
    parts = ", ".join(f"{name} {n}" for name, n in per_section.items())
    note.sentences.append(
        NoteSentence(
            text=f"{len(items)} papers in {len(per_section)} section(s): {parts}.", paper_ids=[]
        )
    )
    with_claims = [it for it in items if it.gains]
    unbased = sum(1 for it in with_claims if any(not g.baseline for g in it.gains))
    note.sentences.append(
        NoteSentence(
            text=f"{len(with_claims)} state a quantitative gain; {unbased} of them name no "
            "baseline for at least one claim.",
            paper_ids=[],
        )
    )
    ranked = sorted(with_claims, key=lambda it: -_headline_strength(it))
    top = [(it, phrase) for it in ranked if (phrase := _gain_phrase(it))][:3]
    if top:
        note.sentences.append(
            NoteSentence(
                text="Biggest claimed gains: " + "; ".join(p for _, p in top) + ".",
                paper_ids=[it.public_id for it, _ in top],
            )
        )
    drafts = sum(1 for it in items if it.unreviewed)
    if drafts:
        note.sentences.append(
            NoteSentence(text=f"{drafts} summaries are not reviewed yet.", paper_ids=[])
        )
    return note
