"""Validating an LLM's answer to a summarize request, paper by paper.

An answer is checked against the papers it was for: which summaries are valid, and every schema
and content error of the rest (so one re-ask can name them all). An `AnswerFormat` pairs a
prompt with the schema its answers follow and the check that turns them into summaries; the
re-ask loop (llm_engine.py), the Batch API path and the crash replay all go through it, so an
answer is judged by the same rules whichever way it came back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ValidationError

from agent.core.injection import injection_errors
from agent.core.jsontext import extract_json
from agent.core.models import BatchAnswer, Gain, PaperSummary, SummaryAnswer
from agent.core.validate import (
    MAX_TAKEAWAY_WORDS,
    batch_id_errors,
    gain_errors,
    normalize_summary,
    relevance_errors,
    summary_errors,
    whole_sentences_within,
    word_count,
)
from agent.summarize.batching import BatchItem, render_request
from prompts import Prompt


@dataclass
class AnswerCheck:
    """One answer checked against the papers it was for."""

    valid: dict[str, PaperSummary] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    # Gains quoted correctly, per paper, valid answer or not (to notice a re-ask dropping them).
    quoted: dict[str, list[Gain]] = field(default_factory=dict)


class AnswerFormat(Protocol):
    """A prompt, the schema its answers follow, and how an answer becomes checked summaries."""

    @property
    def prompt(self) -> Prompt: ...

    @property
    def schema_model(self) -> type[BaseModel]: ...

    @property
    def reask_note(self) -> str:
        """What a re-ask adds after the list of errors."""
        ...

    def render(self, items: Sequence[BatchItem], interests: str = "") -> tuple[str, str]: ...

    def paper_json(self, item: BatchItem) -> dict[str, object]:
        """How one paper is shown in the request (its tokens are its cost in a batch)."""
        ...

    def check(
        self,
        content: str,
        refs: list[str],
        abstracts: dict[str, str],
        *,
        rate_relevance: bool = True,
    ) -> AnswerCheck: ...


@dataclass(frozen=True)
class FullExtraction:
    """prompts/summarize/: the model writes every field of every gain, its quote included."""

    prompt: Prompt
    schema_model: type[BaseModel] = BatchAnswer
    reask_note: str = "Quotes must be copied character for character from that paper's abstract."

    def render(self, items: Sequence[BatchItem], interests: str = "") -> tuple[str, str]:
        return render_request(self.prompt, items, interests)

    def paper_json(self, item: BatchItem) -> dict[str, object]:
        return item.as_json()

    def check(
        self,
        content: str,
        refs: list[str],
        abstracts: dict[str, str],
        *,
        rate_relevance: bool = True,
    ) -> AnswerCheck:
        return check_answer(content, refs, abstracts, rate_relevance=rate_relevance)


def check_answer(
    content: str, refs: list[str], abstracts: dict[str, str], *, rate_relevance: bool = True
) -> AnswerCheck:
    """Validate an answer's summaries for `refs`: which are valid, and what is wrong with the rest.

    Every error is reported (all schema errors and the content errors of the parts that do
    follow the schema), so one re-ask can fix them all. With `rate_relevance` False (no reader
    profile was sent) any relevance in the answer is dropped unchecked.
    Used for every fresh answer and for answers replayed from the call log after a crash.
    """
    check = AnswerCheck()
    try:
        data = extract_json(content)
    except ValueError as exc:
        reason = f"the answer is not valid JSON: {exc}"
        check.errors = {ref: [reason] for ref in refs}
        check.general = [reason]
        return check
    entries = data.get("papers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        reason = 'the answer has no "papers" list'
        check.errors = {ref: [reason] for ref in refs}
        check.general = [reason]
        return check

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
        abstract = abstracts[ref]
        check.quoted[ref] = _quoted_gains(entry, abstract)
        try:
            summary = normalize_summary(SummaryAnswer.model_validate(entry))
            summary = summary.model_copy(
                update={"takeaway": whole_sentences_within(summary.takeaway)}
            )
        except ValidationError as exc:
            check.errors[ref] = schema_errors(exc) + _partial_content_errors(entry, abstract)
            continue
        errors = summary_errors(summary, abstract) + injection_errors(summary, abstract)
        if isinstance(summary, SummaryAnswer) and summary.relevance is not None:
            errors += relevance_errors(summary.relevance.reason)
        if errors:
            check.errors[ref] = errors
            continue
        check.valid[ref] = summary
        del check.errors[ref]
    return check


def schema_errors(exc: ValidationError) -> list[str]:
    """Every place the answer breaks the schema, one line each."""
    return [
        f"the answer does not follow the schema at {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
        for e in exc.errors()
    ]


def _valid_gains(entry: dict[str, object]) -> list[tuple[int, Gain]]:
    """The gains of a raw answer entry that follow the schema on their own, with their index."""
    gains = entry.get("gains")
    found = []
    for i, raw in enumerate(gains if isinstance(gains, list) else []):
        try:
            found.append((i, Gain.model_validate(raw)))
        except ValidationError:
            continue
    return found


def _quoted_gains(entry: dict[str, object], abstract: str) -> list[Gain]:
    """Gains a re-ask must not drop unsaid: quoted correctly and not from an injected sentence."""
    return [
        g
        for _i, g in _valid_gains(entry)
        if not gain_errors(g, abstract)
        and not injection_errors(
            PaperSummary(id="", takeaway="", has_claims=True, gains=[g]), abstract
        )
    ]


def _partial_content_errors(entry: dict[str, object], abstract: str) -> list[str]:
    """Content errors of an entry that fails the schema, so they are not left for a later
    re-ask: the takeaway's length, and each schema-valid gain's own errors."""
    errors = []
    takeaway = entry.get("takeaway")
    if isinstance(takeaway, str) and word_count(takeaway) > MAX_TAKEAWAY_WORDS:
        errors.append(
            f"the takeaway has {word_count(takeaway)} words; at most {MAX_TAKEAWAY_WORDS} are "
            "allowed"
        )
    for i, gain in _valid_gains(entry):
        errors += [f"gains.{i}: {e}" for e in gain_errors(gain, abstract)]
    return errors
