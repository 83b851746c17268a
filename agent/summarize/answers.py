"""Validating an LLM's answer to a summarize request, paper by paper.

An answer is checked against the papers it was for: which summaries are valid, and every schema
and content error of the rest (so one re-ask can name them all). An `AnswerFormat` pairs a
prompt with the schema its answers follow and the check that turns them into summaries; the
re-ask loop (llm_engine.py), the Batch API path and the crash replay all go through it, so an
answer is judged by the same rules whichever way it came back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    swapped_takeaway_errors,
    takeaway_length_error,
    whole_sentences_within,
    word_count,
)
from agent.core.words import content_words
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
    # Summaries whose one fault is a takeaway over the word limit: a shorter takeaway is all
    # they need (llm_engine.py asks for just that), re-checked with `with_takeaway`.
    overlong: dict[str, PaperSummary] = field(default_factory=dict)
    # Content words of each paper of the request (the swapped-takeaway check compares them).
    words: dict[str, set[str]] = field(default_factory=dict)

    def with_takeaway(
        self, ref: str, takeaway: str, abstract: str
    ) -> tuple[PaperSummary, list[str]]:
        """An overlong summary with `takeaway` in its place, and every error it still has."""
        takeaway = whole_sentences_within(" ".join(takeaway.split()))
        summary = self.overlong[ref].model_copy(update={"takeaway": takeaway})
        return summary, _content_errors(summary, ref, abstract, self.words)


@dataclass(frozen=True)
class Draft:
    """One paper's entry of an answer read in a format's own terms: the summary it amounts to
    (None when it breaks the schema), the errors found so far, and the gains quoted correctly."""

    summary: SummaryAnswer | None
    errors: list[str]
    quoted: list[Gain]


class ReadEntry(Protocol):
    """How a format reads one paper's entry (`item` as it was shown, `abstract` in full)."""

    def __call__(self, entry: dict[str, object], item: BatchItem, abstract: str) -> Draft: ...


def check_entries(
    content: str,
    items: Sequence[BatchItem],
    abstracts: dict[str, str],
    read_entry: ReadEntry,
    *,
    rate_relevance: bool = True,
) -> AnswerCheck:
    """Validate an answer's summaries for `items`: which are valid, and what is wrong with the
    rest. `read_entry` turns one paper's entry into a summary (the part a format decides); every
    other rule is here, the same for every format: the JSON and its "papers" list, each id
    answered once, the takeaway cut to its opening whole sentences, the summary, injection and
    relevance checks.

    Every error is reported (all schema errors and the content errors of the parts that do
    follow the schema), so one re-ask can fix them all. With `rate_relevance` False (no reader
    profile was sent) any relevance in the answer is dropped unchecked.
    Used for every fresh answer and for answers replayed from the call log after a crash.
    """
    refs = [item.ref for item in items]
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

    shown = {item.ref: item for item in items}
    check.words = {item.ref: content_words(f"{item.title} {abstracts[item.ref]}") for item in items}
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
        draft = read_entry(entry, shown[ref], abstract)
        check.quoted[ref] = draft.quoted
        if draft.summary is None:
            check.errors[ref] = draft.errors
            continue
        summary = normalize_summary(draft.summary)
        summary = summary.model_copy(update={"takeaway": whole_sentences_within(summary.takeaway)})
        errors = draft.errors + _content_errors(summary, ref, abstract, check.words)
        if errors:
            check.errors[ref] = errors
            # Over the word limit: an empty takeaway has nothing to shorten, and one within
            # the words but over the characters (a junk "word") is not helped by fewer words.
            if word_count(summary.takeaway) > MAX_TAKEAWAY_WORDS and errors == [
                takeaway_length_error(summary.takeaway)
            ]:
                check.overlong[ref] = summary
            continue
        check.valid[ref] = summary
        del check.errors[ref]
    return check


def _content_errors(
    summary: PaperSummary, ref: str, abstract: str, words: dict[str, set[str]]
) -> list[str]:
    """Every content rule a normalized summary of paper `ref` breaks; `words` holds the
    content words of each paper of its request."""
    errors = summary_errors(summary, abstract)
    errors += injection_errors(summary, abstract)
    errors += swapped_takeaway_errors(summary.takeaway, ref, words)
    if isinstance(summary, SummaryAnswer) and summary.relevance is not None:
        errors += relevance_errors(summary.relevance.reason)
    return errors


@dataclass(frozen=True)
class AnswerFormat:
    """A prompt, the schema its answers follow, how a paper is shown in a request and how one
    answered entry is read: the re-ask loop, the Batch API and the crash replay check answers
    through it, so an answer is judged by the same rules whichever way it came back."""

    prompt: Prompt
    schema_model: type[BaseModel]
    reask_note: str  # what a re-ask adds after the list of errors
    show: Callable[[BatchItem], dict[str, object]]  # one paper as the request shows it
    read: ReadEntry

    def render(self, items: Sequence[BatchItem], interests: str = "") -> tuple[str, str]:
        return render_request(self.prompt, items, interests, self.show)

    def paper_json(self, item: BatchItem) -> dict[str, object]:
        """How one paper is shown in the request (its tokens are its cost in a batch)."""
        return self.show(item)

    def check(
        self,
        content: str,
        items: Sequence[BatchItem],
        abstracts: dict[str, str],
        *,
        rate_relevance: bool = True,
    ) -> AnswerCheck:
        """`content` checked for `items` (each as it was shown to the model, its abstract
        perhaps cut) against `abstracts`, each ref's full abstract."""
        return check_entries(content, items, abstracts, self.read, rate_relevance=rate_relevance)


def full_extraction(prompt: Prompt) -> AnswerFormat:
    """prompts/summarize/: the model writes every field of every gain, its quote included."""
    return AnswerFormat(
        prompt,
        BatchAnswer,
        "Quotes must be copied character for character from that paper's abstract.",
        BatchItem.as_json,
        read_summary,
    )


def read_summary(entry: dict[str, object], item: BatchItem, abstract: str) -> Draft:
    """A full-extraction entry: the summary itself, as the model wrote it."""
    quoted = _quoted_gains(entry, abstract)
    try:
        return Draft(SummaryAnswer.model_validate(entry), [], quoted)
    except ValidationError as exc:
        return Draft(None, schema_errors(exc) + _partial_content_errors(entry, abstract), quoted)


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
    if isinstance(takeaway, str) and (
        length := takeaway_length_error(whole_sentences_within(" ".join(takeaway.split())))
    ):
        errors.append(length)
    for i, gain in _valid_gains(entry):
        errors += [f"gains.{i}: {e}" for e in gain_errors(gain, abstract)]
    return errors
