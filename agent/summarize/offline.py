"""The built-in offline engine: claimed gains by pattern rules and an extractive takeaway.

No LLM is called. Gains come from agent/summarize/offline_patterns.py (which numbers are claims;
a learned decision over the same candidates, agent/summarize/claim_model.py, is the measured
alternative to the rules' one), offline_labels.py (what each measures) and offline_baselines.py
(against what); the takeaway is a sentence of the abstract, trimmed to 30 words, that names the
method. Every quote is a slice of the abstract and every number of the takeaway is checked
against it, so the output is faithful by construction.
Results are stored with ENGINE_VERSION as their prompt version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from agent.core.markup import normalize, plain_text
from agent.core.methods import find_method_name, squash
from agent.core.models import Gain, PaperSummary
from agent.core.numbers import unsupported_numbers
from agent.core.sentences import sentence_spans
from agent.core.validate import MAX_TAKEAWAY_CHARS, MAX_TAKEAWAY_WORDS, gain_errors
from agent.summarize import offline_baselines as bas
from agent.summarize import offline_labels as lab
from agent.summarize import offline_patterns as pat
from agent.summarize.claim_model import ClaimModel

ENGINE = "offline"
# v3: metric and baseline read from the phrase around the number; v4: rules from real-dev2's errors;
# v5: label rules by phrase structure checked fold against fold (dev, dev2), RESULTS.md;
# v6: which numbers are claims, rules from real-dev3's errors and a trial on a real feed;
# v7: measurements, chosen settings and decades are not claims (a trial on astro-ph abstracts)
# v8: a bare acronym label is spelled out by the term the abstract defines it with
# v9: rules from real-dev4's errors (scored untuned first) and a second astro-ph trial
ENGINE_VERSION = "offline-v10"


def _merge_ranges(text: str, mentions: list[pat.Mention]) -> list[pat.Mention]:
    """'by 12.68% to 22.24%' and 'ranging from 6.2% to 22.5%' are one range record."""
    merged: list[pat.Mention] = []
    skip = False
    for here, nxt in zip(mentions, [*mentions[1:], None], strict=False):
        if skip:
            skip = False
            continue
        if (
            nxt is not None
            and here.value_high is None
            and here.unit is not None
            and here.unit == nxt.unit
            and nxt.value_high is None
            and re.fullmatch(r"\s+to\s+", text[here.end : nxt.start])
            and re.search(r"(?:\bby|rang\w*\s+from|between)\s+$", text[: here.start])
        ):
            merged.append(pat.Mention(here.start, nxt.end, here.value, nxt.value, here.unit))
            skip = True
        else:
            merged.append(here)
    return merged


# Bounded work: a number-dense abstract (a table pasted into the abstract) must not take minutes
# or fill a digest; past these caps the rest of the abstract is not read for claims.
MAX_CANDIDATES = 60  # numbers with a unit examined per abstract
MAX_GAINS = 24  # gains kept per abstract


@dataclass(frozen=True)
class Candidate:
    """A gain the rules read off one number, with the context they read it in: what the
    claim model (agent/summarize/claim_model.py) scores. Offsets are into `text`, the
    normalized view of the abstract."""

    gain: Gain
    text: str
    mention: pat.Mention
    sentence: tuple[int, int]
    clause: tuple[int, int]
    sentence_index: int
    sentence_count: int
    method: str | None
    metric_fell_back: bool  # the words next to the number named no quantity
    not_a_result: bool  # the strict rules' verdict: a problem, a setting, another model
    presents_result: bool  # the strict rules' verdict: the sentence states a result

    @property
    def accepted(self) -> bool:
        """Whether the strict rules keep this candidate."""
        return self.presents_result and not self.not_a_result


def extract_gains(abstract: str, method: str | None = None, *, strict: bool = True) -> list[Gain]:
    """Every claimed gain of the abstract, one record per stated number, in text order.

    The rules read the normalized view of the abstract (agent/core/markup.py: no LaTeX, no HTML,
    one space between words); each quote is the original text behind the span they found.
    With `strict` False the rules that judge whether a number is the paper's own result are
    skipped: every number with a unit that is not a set-up number comes back (the candidates
    an LLM confirms, agent/summarize/confirm.py).
    """
    return [c.gain for c in read_candidates(abstract, method, strict=strict)]


def read_candidates(
    abstract: str, method: str | None = None, *, strict: bool = True
) -> list[Candidate]:
    """The gains of `extract_gains` with their context; with `strict` False, every candidate
    with the strict rules' verdicts recorded instead of applied."""
    view = normalize(abstract)
    text = view.text
    mentions = pat.find_mentions(text)
    for mention in mentions:
        mention.unit = pat.bare_difference_unit(text, mention)
    mentions = _merge_ranges(text, [m for m in mentions if m.unit and not m.setup])
    mentions = mentions[:MAX_CANDIDATES]
    sentences = sentence_spans(text)
    own_start = pat.own_work_start(text, sentences, method)
    spans: list[tuple[int, int]] = []  # normalized quote span of each gain
    found: list[Candidate] = []
    previous_end = 0
    index = 0
    restated: pat.Mention | None = None  # the last refused number
    for mention in mentions:
        floor, previous_end = previous_end, mention.end
        while index + 1 < len(sentences) and sentences[index][1] <= mention.start:
            index += 1
        sentence = sentences[index] if sentences else (0, len(text))
        unit = mention.unit
        if unit is None or _in_link(text, mention.start):
            continue
        refused = pat.not_a_result(text, mention, sentence, method, own_start)
        if restated and re.fullmatch(r"\s+or\s+", text[restated.end : mention.start]):
            refused = True  # "at only 5% or 0.6GB of VRAM": the same setting, restated
        elif restated and pat.second_of_refused_pair(text, restated, mention, sentence):
            refused = True  # "~70% of cores appear stable ..., and ~85% when combining both"
        restated = mention if refused else None
        presents = pat.presents_result(text, sentence, method)
        if strict and (refused or not presents):
            continue
        clause = pat.clause_bounds(text, sentence, mention.start)
        qualifier, quote_start = pat.qualifier_of(text, mention, clause)
        previous = (
            (found[-1].gain.metric, *spans[-1])
            if found and found[-1].sentence == sentence and not found[-1].metric_fell_back
            else None
        )
        metric, metric_start, metric_end, fell_back = lab.metric_of(
            text, mention, sentence, clause, floor, quote_start, method, previous
        )
        start, end = min(quote_start, metric_start), max(mention.end, metric_end)
        while start < end and text[start] in " ,;(":
            start += 1
        while end > start and text[end - 1] in " ,;(":
            end -= 1
        spans.append((start, end))
        gain = Gain(
            metric=metric,
            value=mention.value,
            value_high=mention.value_high,
            unit=unit,
            kind=pat.kind_of(text, mention, clause),
            qualifier=qualifier,
            baseline=bas.plain_baseline(
                bas.baseline_of(text, mention, sentence, sentences[index - 1] if index else None)
            ),
            condition=bas.condition_of(text, max(mention.end, metric_end), clause),
            quote=view.quote(start, end),
        )
        found.append(
            Candidate(
                gain=gain,
                text=text,
                mention=mention,
                sentence=sentence,
                clause=clause,
                sentence_index=index,
                sentence_count=len(sentences),
                method=method,
                metric_fell_back=fell_back,
                not_a_result=refused,
                presents_result=presents,
            )
        )
        if len(found) >= MAX_GAINS:
            break
    return found


def _in_link(text: str, pos: int) -> bool:
    token_start = max(text.rfind(" ", 0, pos), 0)
    return bool(re.match(r"\s*(?:https?://|www\.)", text[token_start:pos]))


# ---------------------------------------------------------------- the method's name

# ---------------------------------------------------------------- the takeaway

_REPORT_RE = re.compile(
    r"^.*?\b(?:show|demonstrate|indicate|reveal|confirm|suggest|find|verify|validate|prove|"
    r"manifest)s?\s+that,?\s+",
    re.I,
)
_OPENER_RE = re.compile(
    r"^(?:in this (?:paper|work)|to (?:that|this) end|to address [\w\s]{0,30}|as a result|"
    r"specifically|for (?:example|instance)|moreover|furthermore|further|overall|notably|"
    r"in addition|additionally|finally|in particular|concretely|in summary|"
    r"(?:first|second|third|fourth|fifth|last)(?:ly)?)\s*,\s*",  # "Third, we develop FlashGRU"
    re.I,
)
_SUBJECT_RE = re.compile(
    r"^(?:it|this(?=\s+[a-z]+s\b)|"
    r"(?:our|this) (?:method|approach|framework|system|model|design|technique|solution)|"
    r"the proposed (?:method|approach|framework|system|model))\b",
    re.I,
)
_DANGLING_RE = re.compile(
    r"[\s,;:(\-]+(?:and|or|with|while|of|the|a|an|to|in|on|for|by|at|from|than|that|which|as|"
    r"compared|over|across|under|respectively|e\.g\.|i\.e\.)?$",
    re.I,
)
_ASIDE_RE = re.compile(r"\s*\((?:e\.g\.|i\.e\.|see|cf\.)[^()]*\)")
_MACRO_RE = re.compile(r"\\[A-Z][A-Za-z]*")
# Longer than any word of prose, model name or URL a takeaway keeps (the longest word of the
# hand-written takeaways has 33 characters).
_LONGEST_WORD = 60


def _trim(sentence: str, limit: int = MAX_TAKEAWAY_WORDS) -> str:
    """At most `limit` words (and MAX_TAKEAWAY_CHARS characters), cut at a clause boundary
    when one is near, ending with '.'."""
    words = sentence.split()
    while len(words) > 1 and len(" ".join(words[:limit])) >= MAX_TAKEAWAY_CHARS:
        limit = min(limit, len(words)) - 1  # 30 long words ("cross-modal ...") run over
    if len(words) > limit:
        cut = " ".join(words[:limit])
        # a clause or a phrase of its own starts there: "... designs with less than 20% extra"
        boundary = max(
            cut.rfind(", "), cut.rfind("; "), cut.rfind(" ("), cut.rfind(" with "),
            cut.rfind(" while "), cut.rfind(" whereas "),
        )  # fmt: skip
        if boundary > len(cut) // 2:
            cut = cut[:boundary]
        sentence = cut
    sentence = sentence.rstrip(" .")
    while (trimmed := _DANGLING_RE.sub("", sentence)) != sentence:
        sentence = trimmed
    if sentence.count("(") > sentence.count(")"):
        sentence = sentence[: sentence.rfind("(")].rstrip(" ,")
    return sentence + "."


def _sentences(abstract: str) -> list[tuple[int, str]]:
    spans = sentence_spans(abstract)
    return [
        (s, " ".join(re.sub(r"https?://\S+|www\.\S+", "", abstract[s:e]).split())) for s, e in spans
    ]


def _pick_sentence(abstract: str, name: str | None, gains: list[Gain]) -> str:
    """The sentence of the headline gain, else the one introducing the method, else the first
    naming it, else the first sentence."""
    sentences = _sentences(abstract)
    if gains and (first := abstract.find(gains[0].quote)) >= 0:
        return next(s for start, s in reversed(sentences) if start <= first)
    intro = r"\b(?:we|this paper|this work)\s+(?:propose|present|introduce|develop)"
    named = re.escape(name) if name else r"(?!)"  # a pattern that never matches

    def rank(sentence: str) -> int:
        introduces = bool(re.search(intro, sentence, re.I))
        if introduces and re.search(named, sentence):
            return 0
        if re.match(named, sentence):
            return 1
        return 2 if introduces else 3 if re.search(named, sentence) else 4

    ranked = sorted(enumerate(s for _, s in sentences), key=lambda item: (rank(item[1]), item[0]))
    return ranked[0][1] if ranked else ""


_SETTING_LEAD_RE = re.compile(
    r"^(?:On|In|Across|For|With|Under|Using|Through|When)\b[^.;]{10,200}?,\s+which\b[^.;]{3,160}?,\s+"
)


def _compress(sentence: str, name: str | None) -> str:
    """Drop the report frame and asides, and make the method the subject when possible."""
    body = _MACRO_RE.sub(name or "", sentence) if name else _MACRO_RE.sub("", sentence)
    body = _ASIDE_RE.sub("", body)
    body = _OPENER_RE.sub("", _REPORT_RE.sub("", body, count=1), count=1)
    # "Through extensive experiments on X, our method achieves ..." keeps what follows the comma.
    subject = r"(?:we|our|it|the proposed)\b" + (f"|{re.escape(name)}" if name else "")
    if lead := re.match(rf"^[^,]{{10,120}},\s+(?=(?i:{subject}))", body):
        body = body[lead.end() :]
    elif (lead := _SETTING_LEAD_RE.match(body)) and re.match(
        rf"(?i:{subject})", body[lead.end() :]
    ):
        # "On 9 of 11 benchmarks, which are 5-10x longer than ..., FooNet outperforms ...": a
        # setting with a relative clause of its own before the main clause
        body = body[lead.end() :]
    if name and squash(name) not in squash(body):
        if _SUBJECT_RE.match(body):
            body = _SUBJECT_RE.sub(name, body, count=1)
        else:
            body = f"{name}: {body}"
    return body[:1].upper() + body[1:]


def readable(text: str) -> str:
    """Plain text a reader keeps: markup read through ("9\\%" → "9%", "$\\sim$" → "~"),
    a factor glued to "times" spaced ("48times" → "48 times"), "sim" between numbers as "~"."""
    text = plain_text(text)
    text = re.sub(r"(\d)times\b", r"\1 times", text)
    text = re.sub(r"(\d)\s?sim\s?(\d)", r"\1~\2", text)
    text = re.sub(r"[\^_]", "", text)
    return text


def extractive_takeaway(title: str, abstract: str, gains: list[Gain] | None = None) -> str:
    """One sentence of at most 30 words from the abstract that names the method and, when the
    abstract claims gains, states the headline one. Numbers not in the abstract are dropped."""
    name = find_method_name(title, abstract)
    gains = extract_gains(abstract, name) if gains is None else gains
    sentence = _without_junk(_pick_sentence(abstract, name, gains)) or title
    takeaway = _trim(_compress(readable(sentence), readable(name) if name else None))
    if unsupported_numbers(takeaway, abstract):
        kept = [w for w in takeaway.split() if not unsupported_numbers(w, abstract)]
        takeaway = _trim(" ".join(kept))
    return takeaway


def _without_junk(text: str) -> str:
    """`text` without words longer than any of prose (a run of junk, a blob); "" when no
    word with a letter is left."""
    kept = [w for w in text.split() if len(w) <= _LONGEST_WORD]
    return " ".join(kept) if any(c.isalpha() for w in kept for c in w) else ""


def _checked(gain: Gain, abstract: str) -> Gain:
    """A metric label the abstract's words do not support becomes the plain "improvement"
    (the number stays, the reader is not told a quantity the paper did not name)."""
    errors = gain_errors(gain, abstract)
    if errors and all(e.startswith("metric ") for e in errors):
        return gain.model_copy(update={"metric": "improvement"})
    return gain


def candidate_gains(abstract: str) -> list[Candidate]:
    """High-recall candidates: every number with a unit the rules would read as a gain if the
    sentence presented it as a result, each a valid gain (verbatim quote, supported labels),
    with the sentence it was read in. They depend on the abstract alone, so an answer can be
    re-checked from the abstract."""
    found = [
        replace(c, gain=_checked(c.gain, abstract)) for c in read_candidates(abstract, strict=False)
    ]
    return [c for c in found if not gain_errors(c.gain, abstract)]


def rule_gains(abstract: str, method: str | None) -> list[Gain]:
    """The gains the strict rules keep, each a valid gain: a gain the field checks refuse is
    left out, not sent on to fail the paper (when unsure, the reader sees fewer claims rather
    than a wrong one)."""
    gains = [_checked(g, abstract) for g in extract_gains(abstract, method)]
    return [g for g in gains if not gain_errors(g, abstract)]


def open_candidates(abstract: str, method: str | None) -> list[Candidate]:
    """The candidates the claim model decides on: every one the rules do not refuse. A
    refusal (a problem statement, a setting, another model's size, the starting point of a
    change) follows ANNOTATION.md's exclusions and stands; the model replaces the weaker
    test that the sentence presents a result, and can veto what the rules would keep."""
    return [c for c in read_candidates(abstract, method, strict=False) if not c.not_a_result]


def claimed_gains(abstract: str, method: str | None, model: ClaimModel) -> list[Gain]:
    """The open candidates `model` takes for claimed gains, each a valid gain (verbatim quote,
    supported labels)."""
    candidates = open_candidates(abstract, method)
    kept = model.keep(candidates) if candidates else []
    gains = [_checked(c.gain, abstract) for c, keep in zip(candidates, kept, strict=True) if keep]
    return [g for g in gains if not gain_errors(g, abstract)]


def summarize_offline(
    paper_id: str, title: str, abstract: str, *, model: ClaimModel | None = None
) -> PaperSummary:
    """Gains and takeaway of one paper; `has_claims` is true exactly when gains were found.

    The strict rules decide which numbers are claims. With `model` (agent/summarize/
    claim_model.py, `load_model()` for the shipped one) the learned decision does instead; it
    is measured next to the rules (evals/train_claim_model.py, bench/bench_extraction.py) but
    is not the default, as dev cross-validation did not show it better (RESULTS.md)."""
    name = find_method_name(title, abstract)
    gains = rule_gains(abstract, name) if model is None else claimed_gains(abstract, name, model)
    return PaperSummary(
        id=paper_id,
        takeaway=extractive_takeaway(title, abstract, gains),
        has_claims=bool(gains),
        gains=gains,
    )
