"""Summarizing a batch of papers with an LLM: one request, validated answers, re-asks.

The shape follows instructor's retry/re-ask loop: tenacity retries only *invalid answers*,
sending the model its previous answer and *every* schema and content error of it, and asking
again only for the papers still unanswered. Papers answered validly are kept from every attempt.
No request is sent twice byte for byte: a re-ask identical to one already sent goes out at a
higher temperature, or not at all. A gain an earlier attempt quoted correctly and the accepted
answer drops is kept as a warning on the summary, not silently lost. A truncated answer
(`finish_reason: length`) is sent once more with twice the output budget (and at least what
`llm.output_tokens_per_paper` allows), then split in two once; what is still cut off fails with
a reason naming the setting to raise. The output budget (max_tokens) is sized from the answers
the run has had (agent/summarize/output_budget.py). Transport errors never reach tenacity: the
client (agent/llm/client.py) has already retried them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_none

from agent.config import LLMSettings
from agent.core.errors import AnswerInvalid, LLMCallError
from agent.core.jsontext import extract_json
from agent.core.models import Gain, PaperSummary, ShortTakeaway
from agent.core.validate import word_count
from agent.llm.client import LLM, Completion, Message
from agent.summarize.answers import AnswerCheck
from agent.summarize.batching import BatchItem
from agent.summarize.formats import answer_format
from agent.summarize.output_budget import OutputBudget
from prompts import Prompt, load_prompt
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
    # Gains quoted correctly by any attempt, per paper: what a later answer must not drop unsaid.
    quoted: dict[str, dict[str, Gain]] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)  # requests already sent (messages+temperature)
    budget_factor: int = 1  # output budget multiplier, raised once after a truncated answer


# Temperature added per repeat of an otherwise identical re-ask, and the ceiling.
TEMPERATURE_STEP = 0.3
MAX_TEMPERATURE = 1.0
# Output budget of a shorten request: one sentence of 25 words in a small JSON object.
SHORTEN_MAX_TOKENS = 120


class Repeated(Exception):
    """The next re-ask would repeat a request already sent at every temperature tried."""


class Truncated(Exception):
    """The answer hit max_tokens before it was complete."""


class LLMSummarizer:
    """Summarizes batches of papers through the configured endpoint."""

    engine = "llm"

    def __init__(
        self,
        llm: LLM,
        prompt: Prompt,
        settings: LLMSettings,
        interests: str = "",
        shorten: Prompt | None = None,
    ) -> None:
        self.llm = llm
        self.prompt = prompt
        self.shorten = shorten or load_prompt("shorten")
        self.format = answer_format(prompt)
        self.settings = settings
        self.interests = interests  # the reader's <reader_interests> block, or ""
        self.output_budget = OutputBudget(settings.output_tokens_per_paper)

    def render(self, items: Sequence[BatchItem]) -> tuple[str, str]:
        return self.format.render(items, self.interests)

    @property
    def made_by(self) -> MadeBy:
        return MadeBy(engine=self.engine, model=self.llm.model, prompt_version=self.prompt.ref)

    def summarize_batch(
        self,
        items: Sequence[BatchItem],
        abstracts: dict[str, str],
        *,
        may_split: bool = True,
        budget_factor: int = 1,
    ) -> list[PaperOutcome]:
        """Summarize `items`; `abstracts` maps each ref to its full abstract for validation."""
        system, user = self.render(items)
        state = _Attempt(
            pending={item.ref: item for item in items},
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            budget_factor=budget_factor,
        )
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.settings.max_reasks + 1),
                retry=retry_if_exception_type(AnswerInvalid),
                wait=wait_none(),
                reraise=True,
            ):
                with attempt:
                    self._attempt_once_more_if_cut(state, abstracts)
        except (AnswerInvalid, Repeated) as exc:
            repeated = " (a further re-ask would have repeated one already sent)" * isinstance(
                exc, Repeated
            )
            tries = state.number
            for ref, item in state.pending.items():
                reasons = "; ".join(state.errors.get(ref, ["invalid answer"]))
                state.done[ref] = PaperOutcome(
                    item,
                    error=f"invalid after {tries} attempt(s){repeated}: {reasons}",
                    call_id=state.last_call_id,
                )
        except Truncated:
            pending = list(state.pending.values())
            if len(pending) > 1 and may_split:
                # Split once (not down to single papers: a model that runs on forever does so
                # for one paper too, and every level of splitting is paid for).
                half = len(pending) // 2
                for part in (pending[:half], pending[half:]):
                    for outcome in self.summarize_batch(
                        part, abstracts, may_split=False, budget_factor=state.budget_factor
                    ):
                        state.done[outcome.item.ref] = outcome
            else:
                budget = self._max_tokens(len(pending), state.budget_factor)
                for item in pending:
                    state.done[item.ref] = PaperOutcome(
                        item,
                        error=f"the answer was cut off at max_tokens ({budget}) even with twice "
                        "the output budget and a smaller batch; raise llm.output_tokens_per_paper "
                        "or lower llm.max_papers_per_batch",
                        call_id=state.last_call_id,
                    )
        except LLMCallError as exc:
            for ref, item in state.pending.items():
                state.done[ref] = PaperOutcome(item, error=str(exc), call_id=state.last_call_id)
        return [state.done[item.ref] for item in items]

    def max_tokens(self, papers: int) -> int:
        """max_tokens for a first request about `papers` papers."""
        return self.output_budget.max_tokens(papers)

    def _max_tokens(self, papers: int, factor: int) -> int:
        if factor == 1:
            return self.max_tokens(papers)
        # After a cut-off answer: twice the budget, and never less than the setting allows.
        return max(factor * self.max_tokens(papers), self.output_budget.ceiling(papers))

    def _measure(self, papers: int, finish_reason: str | None, completion_tokens: int) -> None:
        # A cut-off answer says only that it needed more.
        if finish_reason != "length":
            self.output_budget.record(papers, completion_tokens)

    def _attempt_once_more_if_cut(self, state: _Attempt, abstracts: dict[str, str]) -> None:
        """One attempt; a truncated answer is sent again once with twice the output budget."""
        try:
            self._attempt(state, abstracts)
        except Truncated:
            if state.budget_factor > 1:
                raise
            state.budget_factor = 2
            self._attempt(state, abstracts)

    def _temperature(self, state: _Attempt) -> float | None:
        """The temperature for the next request: the configured one unless that exact request
        was sent already, then higher in steps; Repeated when even the ceiling was sent."""
        base = self.settings.temperature
        temperature = base
        body = json.dumps(state.messages, sort_keys=True)
        while f"{temperature:.2f}|{body}" in state.sent:
            if temperature >= MAX_TEMPERATURE:
                raise Repeated
            temperature = min(temperature + TEMPERATURE_STEP, MAX_TEMPERATURE)
        state.sent.add(f"{temperature:.2f}|{body}")
        return None if temperature == base else temperature

    def _attempt(self, state: _Attempt, abstracts: dict[str, str]) -> None:
        temperature = self._temperature(state)
        state.number += 1
        papers, factor = len(state.pending), state.budget_factor
        completion = self.llm.complete(
            state.messages,
            prompt=self.prompt,
            schema_model=self.format.schema_model,
            # Sized when the request goes: a wait for the rate limit may bring answers in.
            max_tokens=lambda: self._max_tokens(papers, factor),
            on_answer=lambda reason, tokens: self._measure(papers, reason, tokens),
            paper_ids=[item.paper_id for item in state.pending.values()],
            attempt=state.number,
            temperature=temperature,
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
        check = self.format.check(
            completion.content,
            list(state.pending.values()),
            abstracts,
            rate_relevance=bool(self.interests),
        )
        for ref, gains in check.quoted.items():
            for gain in gains:
                state.quoted.setdefault(ref, {}).setdefault(gain.quote, gain)
        for ref, summary in check.valid.items():
            self._accept(state, ref, summary, completion.call_id)
        for ref in check.overlong:
            if (short := self._shortened(state, check, ref, abstracts[ref])) is not None:
                self._accept(state, ref, *short)
                del check.errors[ref]
        state.errors = check.errors
        return check.general

    def _accept(
        self, state: _Attempt, ref: str, summary: PaperSummary, call_id: int | None
    ) -> None:
        """Paper `ref` is done with `summary`, flagged if it drops a gain quoted before."""
        kept = {gain.quote for gain in summary.gains}
        dropped = [q for q in state.quoted.get(ref, {}) if q not in kept]
        warning = None
        if dropped and state.number > 1:
            shown = "; ".join(repr(q) for q in dropped[:3])
            warning = (
                f"a re-ask dropped {len(dropped)} gain(s) an earlier answer quoted "
                f"correctly: {shown}; check them by hand"
            )
        state.done[ref] = PaperOutcome(
            state.pending.pop(ref), summary, call_id=call_id, warning=warning
        )

    def _shortened(
        self, state: _Attempt, check: AnswerCheck, ref: str, abstract: str
    ) -> tuple[PaperSummary, int | None] | None:
        """The overlong summary of `ref` with a takeaway the model shortened in a request of
        its own (one sentence in, one out), and that call's id; None when the shorter one still
        fails a rule or the request fails (the paper then goes to the usual re-ask)."""
        takeaway = check.overlong[ref].takeaway
        system, user = self.shorten.render(words=str(word_count(takeaway)), takeaway=takeaway)
        messages: list[Message] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        key = f"shorten|{json.dumps(messages, sort_keys=True)}"
        if key in state.sent:
            return None  # this sentence was sent to be shortened already: same answer again
        state.sent.add(key)
        try:
            completion = self.llm.complete(
                messages,
                prompt=self.shorten,
                schema_model=ShortTakeaway,
                max_tokens=SHORTEN_MAX_TOKENS,
                paper_ids=[state.pending[ref].paper_id],
                attempt=state.number,
            )
            answer = ShortTakeaway.model_validate(extract_json(completion.content))
        except (LLMCallError, ValueError, ValidationError):
            return None
        summary, errors = check.with_takeaway(ref, answer.takeaway, abstract)
        return None if errors else (summary, completion.call_id)

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
                + ". "
                + self.format.reask_note,
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
