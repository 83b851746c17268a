"""Checks every summary must pass before it is stored, whichever engine made it.

A failure is a list of plain-language errors; the LLM engine sends them back to the model as a
re-ask, so they are written to be read by a model as well as by a person.
"""

from __future__ import annotations

import re

from agent.core.claim_check import field_errors
from agent.core.models import Gain, PaperSummary
from agent.core.numbers import quote_contains_value, unsupported_numbers
from agent.core.sentences import CONTRAST_OPENERS, sentences
from agent.core.units import normalize_unit
from agent.core.words import content_words

MAX_TAKEAWAY_WORDS = 30
# 30 words of prose take about 250 characters (the longest of ~1,100 hand-written takeaways:
# 239). A "word" of thousands of characters (a run of junk, a base64 blob) passes the word
# count, and would fill the digest.
MAX_TAKEAWAY_CHARS = 400

_LINK_RE = re.compile(r"https?://|www\.|\]\(", re.IGNORECASE)


def word_count(text: str) -> int:
    return len(text.split())


# A period the sentence splitter may take for a sentence end that is an abbreviation ("U.S.",
# "Dr.", "Inc."): a takeaway is never cut there.
_ENDS_IN_ABBREVIATION_RE = re.compile(r"(?:^|[\s(])(?:(?:[A-Za-z]\.){2,}|[A-Z][a-z]{0,3}\.)$")


# A sentence that qualifies the one before it ("However, it needs twice the memory."): a cut
# before it would keep the claim and drop its limit.
_QUALIFIES_RE = re.compile(
    rf"\W*(?:{CONTRAST_OPENERS}|although|though|still|in contrast|on the other hand|"
    r"at the cost|this comes at|the price|only\b|except)\b",
    re.IGNORECASE,
)


def whole_sentences_within(text: str, limit: int = MAX_TAKEAWAY_WORDS) -> str:
    """A model's takeaway of several sentences, over `limit` words, cut to the whole sentences
    at its start that fit (a model asked for one sentence that writes a paragraph usually
    opens with the sentence it was asked for). Never cut inside a sentence, nor before a
    sentence that qualifies what precedes it ("However, ..."): such a text comes back
    unchanged, to fail validation with its length."""
    if word_count(text) <= limit:
        return text
    kept: list[str] = []
    cut = ""
    for sentence in sentences(text):
        if word_count(" ".join([*kept, sentence])) > limit:
            if _QUALIFIES_RE.match(sentence):
                return text  # cutting would drop the caveat and change what the rest says
            break
        kept.append(sentence)
        if not _ENDS_IN_ABBREVIATION_RE.search(sentence):
            cut = " ".join(kept)
    return cut or text


def normalize_summary(summary: PaperSummary) -> PaperSummary:
    """Same content in canonical form: units normalized, text trimmed, has_claims consistent."""
    gains = [
        g.model_copy(
            update={
                "unit": normalize_unit(g.unit),
                "metric": g.metric.strip(),
                "baseline": (g.baseline or "").strip() or None,
                "condition": (g.condition or "").strip() or None,
            }
        )
        for g in summary.gains
    ]
    return summary.model_copy(
        update={
            "id": summary.id.strip(),
            "takeaway": " ".join(summary.takeaway.split()),
            "gains": gains,
            "has_claims": bool(gains),
        }
    )


def gain_errors(gain: Gain, abstract: str) -> list[str]:
    """What is wrong with one gain against its abstract (empty when it is valid)."""
    errors = []
    if not gain.quote or gain.quote not in abstract:
        errors.append(f"quote {gain.quote!r} does not occur verbatim in the abstract")
    elif not quote_contains_value(gain.quote, gain.value):
        errors.append(f"quote {gain.quote!r} does not contain the value {gain.value:g}")
    if gain.value_high is not None:
        if gain.value_high < gain.value:
            errors.append(f"value_high {gain.value_high:g} is below value {gain.value:g}")
        elif gain.quote in abstract and not quote_contains_value(gain.quote, gain.value_high):
            errors.append(f"quote {gain.quote!r} does not contain value_high {gain.value_high:g}")
    if not gain.metric.strip():
        errors.append(f"gain {gain.quote!r} has an empty metric")
    if not gain.unit.strip():
        errors.append(f"gain {gain.quote!r} has an empty unit")
    if not errors:
        errors.extend(field_errors(gain, abstract, normalize_unit(gain.unit)))
    return errors


def takeaway_length_error(takeaway: str) -> str | None:
    """The takeaway's length fault, if it has one (the one rule of its length)."""
    words = word_count(takeaway)
    if words == 0:
        return "the takeaway is empty"
    if words > MAX_TAKEAWAY_WORDS:
        return f"the takeaway has {words} words; at most {MAX_TAKEAWAY_WORDS} are allowed"
    if len(takeaway) > MAX_TAKEAWAY_CHARS:
        return (
            f"the takeaway has {len(takeaway):,} characters; at most {MAX_TAKEAWAY_CHARS} "
            "are allowed"
        )
    return None


def summary_errors(summary: PaperSummary, abstract: str) -> list[str]:
    """Every rule a (normalized) summary breaks against its abstract (empty when valid)."""
    errors = []
    if length := takeaway_length_error(summary.takeaway):
        errors.append(length)
    if stray := unsupported_numbers(summary.takeaway, abstract):
        shown = ", ".join(f"{n:g}" for n in stray)
        errors.append(f"the takeaway contains numbers not in the abstract: {shown}")
    if _LINK_RE.search(summary.takeaway):
        errors.append("the takeaway contains a link; takeaways are plain text")
    for gain in summary.gains:
        errors.extend(gain_errors(gain, abstract))
    return errors


# Words any takeaway may use about any paper ("this paper presents a new method"): they tell
# nothing of which paper it describes.
_BOILERPLATE = content_words("paper work method approach study present propose introduce new novel")


def swapped_takeaway_errors(takeaway: str, own: str, batch: dict[str, set[str]]) -> list[str]:
    """A takeaway that describes another paper of the same request: of its words that only one
    paper of the batch has (each paper's title and abstract as `batch`'s content-word sets),
    none is its own paper's (`own`) and at least two are one other paper's. A model that
    shifts its answers by one id passes every per-paper check otherwise."""
    words = content_words(takeaway) - _BOILERPLATE
    owners: dict[str, set[str]] = {}
    for word in words:
        having = [ref for ref, paper_words in batch.items() if word in paper_words]
        if len(having) == 1:
            owners.setdefault(having[0], set()).add(word)
    if owners.get(own) or not owners:
        return []
    other, shared = max(owners.items(), key=lambda kv: len(kv[1]))
    if len(shared) < 2:
        return []
    return [
        f"the takeaway describes paper {other} ({', '.join(sorted(shared))}), not this one; "
        "write this paper's own takeaway"
    ]


def relevance_errors(reason: str) -> list[str]:
    """A relevance reason is a few plain words: no link, no essay."""
    errors = []
    if _LINK_RE.search(reason):
        errors.append("the relevance reason contains a link; it must be plain text")
    if word_count(reason) > 20:
        errors.append(f"the relevance reason has {word_count(reason)} words; at most 20")
    return errors


def batch_id_errors(answered: list[str], expected: list[str]) -> list[str]:
    """Ids answered more than once, not asked about, or missing."""
    errors = []
    seen: set[str] = set()
    for pid in answered:
        if pid in seen:
            errors.append(f"id {pid} was answered more than once")
        elif pid not in expected:
            errors.append(f"id {pid} is not one of the papers given")
        seen.add(pid)
    missing = [pid for pid in expected if pid not in seen]
    if missing:
        errors.append(f"no answer for id(s): {', '.join(missing)}")
    return errors
