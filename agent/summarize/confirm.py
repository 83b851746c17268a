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

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from agent.core.injection import injection_errors
from agent.core.jsontext import extract_json
from agent.core.models import (
    CandidateLabel,
    ConfirmAnswer,
    ConfirmBatchAnswer,
    Gain,
    PaperSummary,
)
from agent.core.sentences import sentence_spans
from agent.core.validate import (
    batch_id_errors,
    gain_errors,
    normalize_summary,
    relevance_errors,
    summary_errors,
)
from agent.summarize.answers import AnswerCheck, schema_errors
from agent.summarize.batching import BatchItem, compact_json
from agent.summarize.offline import candidate_gains
from prompts import Prompt

MAX_CONTEXT_CHARS = 300  # the sentence shown with a candidate, cut around the quote past this


def candidates(abstract: str) -> list[Gain]:
    """The numbered candidates of one abstract (number n is index n - 1)."""
    return candidate_gains(abstract)


def _context(abstract: str, quote: str) -> str:
    """The sentence of the abstract holding `quote`, cut to MAX_CONTEXT_CHARS around it."""
    at = abstract.find(quote)
    for start, end in sentence_spans(abstract):
        if start <= at < end:
            sentence = abstract[start:end]
            break
    else:
        sentence = quote
    if len(sentence) <= MAX_CONTEXT_CHARS:
        return " ".join(sentence.split())
    pos = sentence.find(quote)
    room = max((MAX_CONTEXT_CHARS - len(quote)) // 2, 0)
    left, right = max(pos - room, 0), pos + len(quote) + room
    return " ".join(
        ("…" * (left > 0) + sentence[left:right] + "…" * (right < len(sentence))).split()
    )


def paper_with_candidates(item: BatchItem) -> dict[str, object]:
    """One paper as the confirm prompt shows it: id, title, abstract and numbered candidates,
    each with its quote and the sentence it sits in."""
    return {
        **item.as_json(),
        "candidates": [
            {"n": n, "number": g.quote, "sentence": _context(item.abstract, g.quote)}
            for n, g in enumerate(candidates(item.abstract), start=1)
        ],
    }


def render_items(items: Sequence[BatchItem]) -> str:
    """The papers block (`</` escaped, as in batching.render_papers, so that no abstract can
    close the block)."""
    lines = ",\n".join(compact_json(paper_with_candidates(item)) for item in items)
    return f"[\n{lines}\n]".replace("</", "<\\/")


def _gains(
    labels: list[CandidateLabel], found: list[Gain], abstract: str
) -> tuple[list[Gain], list[str]]:
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


def check_confirm_answer(
    content: str,
    refs: list[str],
    abstracts: dict[str, str],
    *,
    rate_relevance: bool = True,
) -> AnswerCheck:
    """Validate a confirm-candidates answer for `refs`; the same summary checks as any answer."""
    check = AnswerCheck()
    try:
        data = extract_json(content)
    except ValueError as exc:
        reason = f"the answer is not valid JSON: {exc}"
        return AnswerCheck(errors={ref: [reason] for ref in refs}, general=[reason])
    entries = data.get("papers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        reason = 'the answer has no "papers" list'
        return AnswerCheck(errors={ref: [reason] for ref in refs}, general=[reason])
    answered = [str(e.get("id", "")) for e in entries if isinstance(e, dict)]
    check.general = [e for e in batch_id_errors(answered, refs) if "no answer" not in e]
    repeated = {ref for ref in answered if answered.count(ref) > 1}
    check.errors = {ref: ["no answer was given for this id"] for ref in refs}
    for entry in entries:
        ref = str(entry.get("id", "")) if isinstance(entry, dict) else ""
        if ref not in check.errors:
            continue
        if ref in repeated:
            check.errors[ref] = ["this id was answered more than once"]
            continue
        assert isinstance(entry, dict)
        if not rate_relevance:
            entry = {k: v for k, v in entry.items() if k != "relevance"}
        try:
            answer = ConfirmAnswer.model_validate(entry)
        except ValidationError as exc:
            check.errors[ref] = schema_errors(exc)
            continue
        abstract = abstracts[ref]
        gains, errors = _gains(answer.candidates, candidates(abstract), abstract)
        summary = normalize_summary(
            PaperSummary(
                id=answer.id, takeaway=answer.takeaway, has_claims=bool(gains), gains=gains
            )
        )
        errors += summary_errors(summary, abstract) + injection_errors(summary, abstract)
        if answer.relevance is not None:
            errors += relevance_errors(answer.relevance.reason)
        check.quoted[ref] = [g for g in summary.gains if not gain_errors(g, abstract)]
        if errors:
            check.errors[ref] = errors
            continue
        check.valid[ref] = summary
        del check.errors[ref]
    return check


@dataclass(frozen=True)
class ConfirmCandidates:
    """prompts/confirm/: the model confirms and labels the rules' candidates."""

    prompt: Prompt
    schema_model: type[BaseModel] = ConfirmBatchAnswer
    reask_note: str = "Give a verdict for every candidate n of each paper, once."

    def render(self, items: Sequence[BatchItem], interests: str = "") -> tuple[str, str]:
        extra = {"interests": interests} if "interests" in self.prompt.optional else {}
        return self.prompt.render(papers=render_items(items), **extra)

    def paper_json(self, item: BatchItem) -> dict[str, object]:
        return paper_with_candidates(item)

    def check(
        self,
        content: str,
        refs: list[str],
        abstracts: dict[str, str],
        *,
        rate_relevance: bool = True,
    ) -> AnswerCheck:
        return check_confirm_answer(content, refs, abstracts, rate_relevance=rate_relevance)
