"""Confirm-candidates extraction: the rules find the numbers, the model judges and labels them.

A small model copies quotes badly and invents values; it reads a sentence well enough to say
whether a number is the paper's result and what was measured against what. So in this mode
the offline rules list every candidate number of an abstract (high recall: the result tests are
off, agent/summarize/offline.candidate_gains), each with the sentence it sits in; the model
answers per candidate `claim` true or false, a metric, a baseline and a kind, and writes the
takeaway. Value, unit, qualifier and quote come from the text, so every quote is verbatim by
construction; the labels it gives are checked like any gain's.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import ValidationError

from agent.core.injection import without_instructions
from agent.core.models import CandidateLabel, ConfirmAnswer, ConfirmBatchAnswer, Gain, SummaryAnswer
from agent.core.validate import gain_errors
from agent.summarize.answers import AnswerFormat, Draft, schema_errors
from agent.summarize.batching import BatchItem
from agent.summarize.offline import Candidate, candidate_gains
from prompts import Prompt

MAX_CONTEXT_CHARS = 300  # the sentence shown with a candidate, cut around the number past this


# One abstract's candidates are read when its tokens are counted, at every (re-)ask and when
# the answer is checked: the same pure result, computed once.
@lru_cache(maxsize=512)
def candidates(abstract: str) -> tuple[Candidate, ...]:
    """The numbered candidates of one abstract (number n is index n - 1), as shown to the
    model and as its verdicts are read back: call it with the abstract as it was sent (a cut
    one has fewer). Numbers in a sentence addressed to a model are not offered: the rules read
    the abstract without them, as the offline engine does (agent/core/injection.py)."""
    return tuple(
        c
        for c in candidate_gains(without_instructions(abstract))
        if not gain_errors(c.gain, abstract)
    )


def _context(candidate: Candidate) -> str:
    """The sentence the candidate was read in (its own, not the first one with the same
    words), cut to MAX_CONTEXT_CHARS around its number."""
    start, end = candidate.sentence
    sentence = candidate.text[start:end]
    if len(sentence) > MAX_CONTEXT_CHARS:
        at, to = candidate.mention.start - start, candidate.mention.end - start
        room = max((MAX_CONTEXT_CHARS - (to - at)) // 2, 0)
        left, right = max(at - room, 0), min(to + room, len(sentence))
        sentence = "…" * (left > 0) + sentence[left:right] + "…" * (right < len(sentence))
    return " ".join(sentence.split())


def paper_with_candidates(item: BatchItem) -> dict[str, object]:
    """One paper as the confirm prompt shows it: id, title, abstract and numbered candidates,
    each with its quote and the sentence it sits in."""
    return {
        **item.as_json(),
        "candidates": [
            {"n": n, "number": c.gain.quote, "sentence": _context(c)}
            for n, c in enumerate(candidates(item.abstract), start=1)
        ],
    }


def _gains(labels: list[CandidateLabel], found: list[Gain]) -> tuple[list[Gain], list[str]]:
    """The gains the labels confirm, and what is wrong with the labels."""
    errors = []
    seen: set[int] = set()
    gains = []
    for label in labels:
        if not 1 <= label.n <= len(found):
            # A verdict on a number that was never offered carries nothing to store (no value,
            # no quote): dropped, not a reason to fail the paper (small models pad the list).
            continue
        if label.n in seen:
            errors.append(f"candidate {label.n} was answered more than once")
            continue
        seen.add(label.n)
        if not label.claim:
            continue
        if label.kind is None:
            errors.append(f"candidate {label.n} is a claim: give its kind (improvement or cost)")
            continue
        base = found[label.n - 1]
        metric = (label.metric or "").strip() or base.metric
        gains.append(
            base.model_copy(
                update={"metric": metric, "baseline": label.baseline, "kind": label.kind}
            )
        )
    missing = [str(n) for n in range(1, len(found) + 1) if n not in seen]
    if missing:
        errors.append(f"no verdict for candidate(s) {', '.join(missing)}; answer every candidate")
    return gains, errors


def read_verdicts(entry: dict[str, object], item: BatchItem, abstract: str) -> Draft:
    """A confirm-candidates entry: the summary its verdicts make of the candidates of the
    abstract as it was shown (`item.abstract`), checked against the full `abstract`."""
    try:
        answer = ConfirmAnswer.model_validate(entry)
    except ValidationError as exc:
        return Draft(None, schema_errors(exc), [])
    found = [c.gain for c in candidates(item.abstract)]
    gains, errors = _gains(answer.candidates, found)
    summary = SummaryAnswer(
        id=answer.id,
        takeaway=answer.takeaway,
        has_claims=bool(gains),
        gains=gains,
        relevance=answer.relevance,
    )
    return Draft(summary, errors, [g for g in gains if not gain_errors(g, abstract)])


def confirm_candidates(prompt: Prompt) -> AnswerFormat:
    """prompts/confirm/: the model confirms and labels the rules' candidates."""
    return AnswerFormat(
        prompt,
        ConfirmBatchAnswer,
        "Give a verdict for every candidate n of each paper, once.",
        paper_with_candidates,
        read_verdicts,
    )
