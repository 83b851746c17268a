"""Summarizing a batch of papers with an LLM: one request, validated answers, re-asks.

The shape follows instructor's retry/re-ask loop: tenacity retries only *invalid answers*,
sending the model its previous answer and the validation errors, and asking again only for the
papers still unanswered. Papers answered validly are kept from every attempt. A truncated answer
(`finish_reason: length`) is not re-asked as is: the batch is split in two and each half sent
on its own. Transport errors never reach tenacity: the SDK has already retried them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_none

from agent.config import LLMSettings
from agent.core.errors import AnswerInvalid, LLMCallError
from agent.core.injection import injection_errors
from agent.core.jsontext import extract_json
from agent.core.models import BatchAnswer, PaperSummary, SummaryAnswer
from agent.core.validate import batch_id_errors, normalize_summary, relevance_errors, summary_errors
from agent.llm.client import LLM, Completion, Message
from agent.summarize.batching import BatchItem, render_request
from prompts import Prompt
from store.summaries import MadeBy


@dataclass
class PaperOutcome:
    """A validated summary for one paper, or why there is none."""

    item: BatchItem
    summary: PaperSummary | None = None
    error: str | None = None
    call_id: int | None = None
    warning: str | None = None  # stored anyway, with a caveat (e.g. the abstract was cut)


@dataclass
class _Attempt:
    """State shared across the attempts of one batch."""

    pending: dict[str, BatchItem]
    messages: list[Message]
    done: dict[str, PaperOutcome] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    number: int = 0
    last_call_id: int | None = None


class Truncated(Exception):
    """The answer hit max_tokens before it was complete."""


class LLMSummarizer:
    """Summarizes batches of papers through the configured endpoint."""

    engine = "llm"

    def __init__(
        self, llm: LLM, prompt: Prompt, settings: LLMSettings, interests: str = ""
    ) -> None:
        self.llm = llm
        self.prompt = prompt
        self.settings = settings
        self.interests = interests  # the reader's <reader_interests> block, or ""

    def render(self, items: Sequence[BatchItem]) -> tuple[str, str]:
        return render_request(self.prompt, items, self.interests)

    @property
    def made_by(self) -> MadeBy:
        return MadeBy(engine=self.engine, model=self.llm.model, prompt_version=self.prompt.ref)

    def summarize_batch(
        self, items: Sequence[BatchItem], abstracts: dict[str, str]
    ) -> list[PaperOutcome]:
        """Summarize `items`; `abstracts` maps each ref to its full abstract for validation."""
        system, user = self.render(items)
        state = _Attempt(
            pending={item.ref: item for item in items},
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        )
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.settings.max_reasks + 1),
                retry=retry_if_exception_type(AnswerInvalid),
                wait=wait_none(),
                reraise=True,
            ):
                with attempt:
                    self._attempt(state, abstracts)
        except AnswerInvalid:
            tries = state.number
            for ref, item in state.pending.items():
                reasons = "; ".join(state.errors.get(ref, ["invalid answer"]))
                state.done[ref] = PaperOutcome(
                    item,
                    error=f"invalid after {tries} attempt(s): {reasons}",
                    call_id=state.last_call_id,
                )
        except Truncated:
            pending = list(state.pending.values())
            if len(pending) == 1:
                state.done[pending[0].ref] = PaperOutcome(
                    pending[0],
                    error="answer truncated at max_tokens even for this paper alone",
                    call_id=state.last_call_id,
                )
            else:
                half = len(pending) // 2
                for part in (pending[:half], pending[half:]):
                    for outcome in self.summarize_batch(part, abstracts):
                        state.done[outcome.item.ref] = outcome
        except LLMCallError as exc:
            for ref, item in state.pending.items():
                state.done[ref] = PaperOutcome(item, error=str(exc), call_id=state.last_call_id)
        return [state.done[item.ref] for item in items]

    def _attempt(self, state: _Attempt, abstracts: dict[str, str]) -> None:
        state.number += 1
        completion = self.llm.complete(
            state.messages,
            prompt=self.prompt,
            schema_model=BatchAnswer,
            max_tokens=self.settings.output_tokens_per_paper * len(state.pending) + 200,
            paper_ids=[item.paper_id for item in state.pending.values()],
            attempt=state.number,
        )
        state.last_call_id = completion.call_id
        if completion.finish_reason == "length":
            raise Truncated
        general = self._accept_valid(state, completion, abstracts)
        if state.pending:
            self._ask_again(state, completion, general)
            raise AnswerInvalid(general + [e for errs in state.errors.values() for e in errs])

    def _accept_valid(
        self, state: _Attempt, completion: Completion, abstracts: dict[str, str]
    ) -> list[str]:
        """Move every validly answered paper to `done`; return errors not tied to one paper."""
        check = check_answer(completion.content, list(state.pending), abstracts)
        for ref, summary in check.valid.items():
            state.done[ref] = PaperOutcome(state.pending[ref], summary, call_id=completion.call_id)
            state.pending.pop(ref)
        state.errors = check.errors
        return check.general

    def _ask_again(self, state: _Attempt, completion: Completion, general: list[str]) -> None:
        """The next attempt's messages: only the papers still unanswered, the model's own answer
        for them, and what was wrong with it. Papers already answered validly are not sent
        again, so a re-ask costs tokens for the few papers it is about, not the whole batch."""
        lines = [f"- {e}" for e in general]
        lines += [f"- id {ref}: {e}" for ref, errs in state.errors.items() for e in errs]
        system, user = self.render(list(state.pending.values()))
        state.messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
            {"role": "assistant", "content": _answer_for(completion.content, state.pending)},
            {
                "role": "user",
                "content": "Your answer broke these rules:\n" + "\n".join(lines) + "\n\n"
                "Answer again, in the same JSON format, only for these ids: "
                + ", ".join(state.pending)
                + ". Quotes must be copied character for character from that paper's abstract.",
            },
        ]


def _answer_for(content: str, refs: dict[str, BatchItem]) -> str:
    """The part of an answer about `refs` (the whole answer when it cannot be parsed)."""
    try:
        data = extract_json(content)
    except ValueError:
        return content
    entries = data.get("papers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return content
    kept = [e for e in entries if not isinstance(e, dict) or str(e.get("id", "")) in refs]
    return json.dumps({"papers": kept}, ensure_ascii=False)


@dataclass
class AnswerCheck:
    """One answer checked against the papers it was for."""

    valid: dict[str, PaperSummary] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def check_answer(content: str, refs: list[str], abstracts: dict[str, str]) -> AnswerCheck:
    """Validate an answer's summaries for `refs`: which are valid, and what is wrong with the rest.

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
        try:
            summary = normalize_summary(SummaryAnswer.model_validate(entry))
        except ValidationError as exc:
            check.errors[ref] = [_schema_error(exc)]
            continue
        abstract = abstracts[ref]
        errors = summary_errors(summary, abstract) + injection_errors(summary, abstract)
        if isinstance(summary, SummaryAnswer) and summary.relevance is not None:
            errors += relevance_errors(summary.relevance.reason)
        if errors:
            check.errors[ref] = errors
            continue
        check.valid[ref] = summary
        del check.errors[ref]
    return check


def _schema_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"the answer does not follow the schema at {where}: {first['msg']}"
