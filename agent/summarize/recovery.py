"""Answers that were paid for but never stored: find them in the call log and use them.

`agent/llm.py` commits every call, with the raw answer, the moment it returns; the summaries
are stored a little later, when the whole batch is done. A process killed in between leaves
answered calls whose results are not in the store. Rather than ask (and pay) again, a later run
re-validates those answers against the current abstracts and stores the valid ones.

Only calls of runs that did not finish (a killed run stays "running", an interrupted one is
"error") and that no stored summary points to are looked at; the paper must be claimed by the
worker first (store/work_queue.py), so a live worker's in-flight answer is never taken from it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import Engine

from agent.summarize.answers import AnswerFormat
from agent.summarize.batching import BatchItem
from agent.summarize.llm_engine import PaperOutcome
from store.papers import public_id
from store.runs import unstored_calls
from store.summaries import MadeBy
from store.tables import Paper

_PAPERS_RE = re.compile(r"<papers>\s*(.*?)\s*</papers>", re.DOTALL)


@dataclass(frozen=True)
class LoggedAnswer:
    call_id: int
    content: str
    sent: dict[str, dict[str, object]]  # ref -> the paper as it was shown (abstract included)


def _sent_papers(request: str | None) -> dict[str, dict[str, object]]:
    """ref -> the paper's entry in the papers block of a logged request's messages."""
    try:
        messages = json.loads(request or "[]")
    except ValueError:
        return {}
    for message in messages:
        if message.get("role") != "user":
            continue
        if match := _PAPERS_RE.search(str(message.get("content", ""))):
            try:
                papers = json.loads(match.group(1))
            except ValueError:
                return {}
            return {str(p.get("id")): p for p in papers if isinstance(p, dict)}
    return {}


def unstored_answers(
    store: Engine, made_by: MadeBy, *, exclude_run: int | None
) -> dict[int, list[LoggedAnswer]]:
    """paper id -> answers logged for it (newest first) that nothing was stored from."""
    found: dict[int, list[LoggedAnswer]] = {}
    for call in unstored_calls(
        store, made_by.model, made_by.prompt_version, exclude_run=exclude_run
    ):
        if call.finish_reason == "length" or call.id is None:
            continue
        answer = LoggedAnswer(call.id, call.response or "", _sent_papers(call.request))
        for paper_id in call.paper_ids:
            found.setdefault(int(paper_id), []).append(answer)
    return found


def replay(paper: Paper, answers: list[LoggedAnswer], fmt: AnswerFormat) -> PaperOutcome | None:
    """A valid summary of `paper` from an answer already paid for (in format `fmt`, the one of
    the prompt the answers were logged under), if one holds up."""
    assert paper.id is not None
    for answer in answers:
        for ref in (public_id(paper), paper.key):
            shown = answer.sent.get(ref)
            sent = str(shown.get("abstract", "")) if shown is not None else None
            # The answer must be about this abstract: the one sent, or its cut-down beginning.
            if sent is None or not (sent == paper.abstract or paper.abstract.startswith(sent)):
                continue
            item = BatchItem(paper.id, ref, paper.title, sent, 0, sent != paper.abstract)
            # ... and about the paper as the format shows it now: a confirm answer's verdicts
            # name candidates by number, and the rules that number them may have changed.
            if not _same_showing(fmt.paper_json(item), shown):
                continue
            check = fmt.check(answer.content, [item], {ref: paper.abstract})
            if ref in check.valid:
                return PaperOutcome(item, check.valid[ref], call_id=answer.call_id)
    return None


def _same_showing(now: dict[str, object], logged: dict[str, object] | None) -> bool:
    """Whether a paper shown as `now` reads as it was logged, compared as JSON (the way the
    model read it); the title aside, as the answer is judged against the abstract only."""
    if logged is None:
        return False
    now = json.loads(json.dumps(now))
    return {k: v for k, v in now.items() if k != "title"} == {
        k: v for k, v in logged.items() if k != "title"
    }
