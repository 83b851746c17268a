"""What a claimed number is compared against: the baseline and condition labels of the offline
engine (agent/summarize/offline_labels.py reads the metric). The baseline is the other side of
the comparison the number is in; when the abstract writes none it stays empty rather than
guessed, and it is always a noun phrase, never a pronoun, a fragment or a preposition's object
alone."""

from __future__ import annotations

import re

from agent.core.sentences import COMPARISON_OPENERS
from agent.core.words import content_words
from agent.summarize.offline_patterns import NUM, OUTPERFORM, Mention, is_score_name
from agent.summarize.offline_phrases import (
    is_noun_phrase,
    list_items,
    respective_list,
)

# ---------------------------------------------------------------- the baseline

_BASELINE_RE = re.compile(
    r"\b(?i:compared (?:with|to)|(?<!rather )than(?!\s+(?:an?\s+)?[\d~])|versus|vs\.?|against|"
    r"relative (?:to|w\.r\.t\.)|out-?perform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|on par with|"
    # "exceeds X by 2%", "beats X": not "exceeds 90%", a level reached
    r"(?:exceed(?:s|ed|ing)?|beat(?:s|ing)?)(?!\s+(?:the\s+)?[\d~≈$])|"
    # "at matched compute" is a condition, not the other side
    r"comparable to|(?<!-)(?<!\bat )(?<!\bwith )(?<!\bunder )(?<!\bfor )match(?:es|ed|ing)|"
    r"rival(?:s|ed|ing)?|ahead of|superior (?:\w+\s+)?to|"
    r"improv(?:es|ed|ing)(?=\s+(?!over\b|upon\b|on\b)(?:the\s+|an?\s+)?(?:[\w\-]+\s+){0,3}"
    r"baselines?\b)|"
    r"(?<!\bon )(?<!\bof )(?<!\bfor )(?<!\bwith )(?<!\bin )(?<!\bto )(?<!\bby )"
    r"over(?!\s+(?:an?\s|the\s+(?:first|course|past)|\d|~|more|half|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|twenty|hundreds?|thousands?|millions?|billions?|dozens?)\b))\s+"
    r"(?:(?:or|and)\s+[a-z]+\s+)?"  # "matches or surpasses X"
    # "lower than that of X", "cheaper than with X": the other side is X
    r"(?i:(?:that|those)\s+(?:of|for)\s+|with\s+)?"
    r"((?:the\s+)?(?:[^,;.()—–]|\.(?=\d)){2,80}?)(?=\s+(?:on|in|when|while|across|for|by|with|at|"
    r"under|and|of(?!\s+the\s+art\b)|respectively|yet|but)\b|[,;()—–]|--|\.(?:\s|$)|$)"
)
# "the highest average throughput ... among all evaluated compressors"
_AMONG_RE = re.compile(
    r"\b(?i:achiev|attain|deliver|yield|obtain|reach|show|offer)\w*\s+(?:the\s+)?"
    r"(?i:highest|best|lowest|fastest|strongest|smallest|largest)\b[^.;]{0,100}?\bamong\s+"
    r"((?:the\s+)?[^,;.()]{2,60}?)(?=\s+(?:on|in|when|while|for|with|at|under|is|are|was|were)\b"
    r"|[,;()]|\.(?:\s|$)|$)"
)
# "compared to only 21% by the incumbent production system": the other side's owner.
_OTHER_SIDE_OWNER_RE = re.compile(
    r"\s+(?:by|of|for|from|with)\s+((?:the\s+)?[^,;.()\d]{2,60}?)(?=[,;()]|\.(?:\s|$)|$|\s+(?:on|in|"
    r"when|while|across|at|under|with|for|by)\b)"
)
# ", outperforming even the best 384-thread configuration" after "a 59.2x speedup over the
# single-threaded one" is a second claim: its object is not the number's baseline.
_NEXT_PREDICATE_RE = re.compile(
    r";|,?\s+(?:while|whereas)\s|,\s+(?:but|which)\s|,\s+and\s+(?=(?:\w+ly\s+)?\w+ing\b)"
    r"|,\s+(?:\w+ly\s+)?(?:out-?perform|surpass|beat|exceed|rival|match)\w*ing\b"
)
# ", achieving a 2x boost over Y": a participle clause with a number of its own.
_PARTICIPLE_CLAUSE_RE = re.compile(
    rf",\s+(?:\w+ly\s+)?(?!(?:includ|accord|depend|us)ing\b)\w+ing\b(?=[^,;]*?{NUM})"
)
# "Compared to X, we cut latency by 40%": a comparison framing the main clause.
_FRAMING_COMPARISON_RE = re.compile(
    r"\b(?:compared (?:to|with)|relative to|in comparison (?:to|with))\s", re.I
)
_QUANTITY_ONLY_RE = re.compile(
    r"(?:the\s+)?(?:[\w\-]+\s+)?(?:performance|accuracy|quality|speed|throughput)", re.I
)
# A sentence that goes on with the comparison of the one before it.
_CONTINUES_RE = re.compile(
    r"(?i:for (?:instance|example)|in addition|additionally|moreover|furthermore|similarly|"
    r"likewise|in particular|specifically)\b"
)


# The next sentence states the other side: "In comparison, the standard Roofline and ECM models
# yield errors of 42%-256%".
_COMPARISON_NEXT_RE = re.compile(
    rf"[.\s]*(?i:{COMPARISON_OPENERS}),\s+((?:the\s+)?[^,;.]{{3,80}}?)\s+"
    r"(?:yield|produce|achieve|obtain|reach|give|show|ha(?:ve|s)|score|attain|report|incur|"
    r"suffer|exhibit|require|take)\w*\b"
)


_BY_IN_BRACKETS_RE = re.compile(
    rf"(?:\b(?:{OUTPERFORM}|exceed\w*|than|over|versus|vs\.?|and|or)|[,;])\s+"
    r"((?:the\s+)?[^\s,;()][^,;()]{0,60}?)\s*\(\s*by\s+[~≈]?$",
    re.I,
)


def baseline_of(
    text: str,
    mention: Mention,
    sentence: tuple[int, int],
    previous_sentence: tuple[int, int] | None = None,
) -> str | None:
    """What the number is compared against, as the abstract says it: "than vanilla reversible
    training", "compared to GLibcs allocator", "outperforms PyTorch by", "from 35.0 to".

    The item a "respectively" list pairs it with; the second object of "outperforms A by x and
    B by y"; the first comparison after it, up to the next coordinated predicate ("2x faster
    than X"); a superlative's "among X" around it; else the nearest comparison before it in the
    sentence ("Compared to X, we cut latency by 40%"), else one later in it; a sentence that
    goes on from the one before ("In addition, ...", "For instance, ...") takes that sentence's
    comparison. None when no comparison is written."""
    if start_value := _starting_value(text, mention, sentence):
        return start_value
    # "outperform X (by 15%) and Y (by 20%)": each gap follows the side it is over
    # (a noun phrase only: not "and saves energy (by 20%)", "BarNet on the hardest split (by")
    bracketed = _BY_IN_BRACKETS_RE.search(text, sentence[0], mention.start)
    if (
        bracketed
        and is_noun_phrase(bracketed.group(1))
        and _BASELINE_RE.search(text, sentence[0], mention.start)
        and (cleaned := plain_baseline(bracketed.group(1)))
    ):
        return cleaned
    if share := re.match(
        r"\s*of\s+(?:the\s+)?[\w\-]+(?:\s+[\w\-]+)?\s+of\s+((?:(?!\s\d)[^,;.()]){3,60}?)"
        r"(?=\s+(?:at|on|in|with|while|for|across|under|when|using)\b|[,;.()]|$)",
        text[mention.end : sentence[1]],
    ):
        return share.group(1).strip()  # "75% of the throughput of serving a single LoRA"
    if re.search(r"\bwithin\s+(?:about\s+|~)?$", text[sentence[0] : mention.start]) and (
        close := re.match(
            r"\s+of\s+([^,;.()]{3,60}?)(?=\s+(?:on|in|across|at|while)\b|[,;.()]|$)",
            text[mention.end : sentence[1]],
        )
    ):
        return close.group(1).strip()  # "accuracy within 0.5% of full fine-tuning"
    # Up to the next coordinated predicate: ", and closely matching X" is another claim's.
    segment = _NEXT_PREDICATE_RE.search(text, mention.end, sentence[1])
    if _FRAMING_COMPARISON_RE.search(text, sentence[0], mention.start):
        # the framing comparison is the main clause's; a later participle clause's
        # ", achieving 2x over Y" is its own number's
        segment = _PARTICIPLE_CLAUSE_RE.search(text, mention.end, sentence[1]) or segment
    after = _comparisons(text, mention.end, segment.start() if segment else sentence[1])
    around = [
        m.group(1)
        for m in _AMONG_RE.finditer(text, sentence[0], sentence[1])
        if m.start() < mention.start and m.start(1) > mention.end
    ]  # "the highest throughput (676 GB/s) among all evaluated compressors"
    before = _comparisons(text, sentence[0], mention.start)
    stop = text.find(";", mention.end, sentence[1])
    later = (
        _comparisons(text, segment.start(), stop if stop >= 0 else sentence[1]) if segment else []
    )
    respective = _respective_baseline(text, mention, sentence)
    coordinated = _coordinated_object(text, mention, sentence)
    for phrase in [respective, coordinated, *after[:1], *around, *before[::-1], *later[:1]]:
        if cleaned := plain_baseline(phrase):
            return cleaned
    if previous_sentence and _CONTINUES_RE.match(text, sentence[0]):
        for phrase in _comparisons(text, *previous_sentence)[::-1]:
            if cleaned := plain_baseline(phrase):
                return cleaned
    if contrast := _COMPARISON_NEXT_RE.match(text, sentence[1]):
        return plain_baseline(contrast.group(1))  # "... 1% to 24%. In comparison, X yields ..."
    return None


_COORDINATED_BY_RE = re.compile(
    rf"{NUM}\s?(?:[^\s,;]*|\w+)\)?\s*,?\s+and\s+((?:the\s+)?[^,;()\d]{{2,60}}?)"
    r"(?:\s+by\s+(?:up\s?to\s+|about\s+|~)?|\s+\(\s*[+~]?)$"
)


def _coordinated_object(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'outperforms A by up to 10.95x and B by up to 2.92x': B is the second number's
    baseline, the second object of the comparison."""
    before = text[sentence[0] : mention.start]
    listed = _COORDINATED_BY_RE.search(before)
    if listed is None or not _OUTPERFORM_VERB_RE.search(before, 0, listed.start()):
        return None
    if not is_noun_phrase(listed.group(1)):
        return None  # "and reducing memory by", "and on a demo in ... by": not a second object
    return listed.group(1)


_OUTPERFORM_VERB_RE = re.compile(rf"\b{OUTPERFORM}\s", re.I)


_STARTING_VALUE_RE = re.compile(
    r"from\s+(?:(?:almost|nearly|about|around|approximately|roughly|only|just)\s+)?"
    rf"({NUM}(?:\s?[^\s\d]\S*)?)(?:\s+(?:in|for|with|under)\s+(?P<owner>[^,;.\d]{{1,40}}?))?"
    r"\s+to\s+(?:(?:about|more than|over|nearly|almost|less than)\s+)?\S*$"
)


def _starting_value(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'from 0.67% to 0.81%' is compared with 0.67%; 'from 35.0 to 10.8 GPU hours' with
    35.0 GPU hours (the unit written once, after the end point)."""
    before = text[sentence[0] : mention.start]
    start = _STARTING_VALUE_RE.search(before)
    if start is None or re.search(r"rang\w*\s+from", before[-40:]):
        return None
    if start.group("owner"):
        return start.group("owner")  # "from almost 0% in RAG to more than 50%": RAG's value
    value, unit = start.group(1), mention.unit
    if re.fullmatch(NUM, value) and unit and not is_score_name(unit):
        value += unit if unit in {"%", "x"} else f" {unit}"
    return value


def _comparisons(text: str, start: int, end: int) -> list[str]:
    """The other side of each comparison written in text[start:end], in text order."""
    found: list[tuple[int, str]] = []
    for match in _BASELINE_RE.finditer(text, start, end):
        phrase = match.group(1).strip()
        numeric = re.match(rf"(?:(?:only|just)\s+)?[~+]?{NUM}", phrase)
        if numeric or _QUANTITY_ONLY_RE.fullmatch(phrase):
            # "compared to only 21% by X", "matching the performance of X": X is the other side
            owner = _OTHER_SIDE_OWNER_RE.match(text, match.end(1), end)
            if owner is None and numeric and re.fullmatch(rf"{NUM}\s?%", phrase):
                found.append((match.start(), phrase))  # "(vs. 49.60%)": the other side's value
                continue
            if owner is None:
                continue
            phrase = owner.group(1)
        found.append((match.start(), phrase))
    found += [(m.start(), m.group(1)) for m in _AMONG_RE.finditer(text, start, end)]
    return [phrase for _, phrase in sorted(found)]


def _respective_baseline(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'surpasses frameworks such as A, B and C, by 87%, 131% and 55%, respectively': the i-th
    number is compared with the i-th item of the list the comparison names before "by"; or
    after the numbers ('by 2.1x, 1.7x and 1.4x over A, B and C, respectively')."""
    listed = respective_list(text, mention, sentence)
    if listed is None:
        return None
    group, position, resp = listed
    head = text[sentence[0] : group[0].start()]
    by = re.search(r",?\s*by\s+(?:up\s?to\s+|an? (?:average|improvement) of\s+)*$", head)
    cues = list(_RESPECTIVE_CUE_RE.finditer(head, 0, by.start())) if by else []
    tail = text[group[-1].end() : resp.start()]
    tail_cue = _RESPECTIVE_CUE_RE.search(tail)
    if tail_cue and not re.search(r"[,;]", tail[: tail_cue.start()]):
        items_text = tail[tail_cue.end() :]  # the list right after the numbers' unit
    elif cues:
        items_text = head[cues[-1].end() : by.start() if by else 0]
    else:
        return None
    if such := re.search(r"\b(?:such as|including|namely)\s+", items_text):
        items_text = items_text[such.end() :]
    items = list_items(items_text)
    if len(items) != len(group) or not all(is_noun_phrase(i) for i in items):
        return None  # "outperforms X, with F1 scores improving by 3% and 5%": one baseline
    return items[position]


_RESPECTIVE_CUE_RE = re.compile(
    rf"\b(?:{OUTPERFORM}|over|than|compared (?:to|with)|against)\s+", re.I
)


# ---------------------------------------------------------------- plain labels

# Not a noun phrase: a pronoun, "only 21%", or a prepositional phrase ("in the inner regions").
_FRAGMENT_START_RE = re.compile(
    r"^(?:only|just|this|that|these|those|it|which|in|on|at|for|with|by|from|of|to|into)\b", re.I
)


def plain_baseline(baseline: str | None) -> str | None:
    """A baseline a reader can use, or None: plain words with a content word, not a number or
    a pronoun ("only 21%", "this result", "a" are not baselines)."""
    if baseline is None:
        return None
    cleaned = " ".join(baseline.split()).strip(" ,;:.")
    cleaned = re.sub(r"'s\s+[~≈]?\d\S*(?:\s\S+)?$", "", cleaned)  # "batch mode's 11.40 s"
    cleaned = re.sub(r"(?<=\w)['’]s$", "", cleaned)  # "preferred over BarNet's": BarNet
    if not cleaned or _FRAGMENT_START_RE.match(cleaned):
        return None
    if len(cleaned) > 80:
        return None
    if re.match(r"\d", cleaned):
        # "from 35.0 GPU hours to": the starting value, with its unit, is the baseline
        if not re.match(rf"{NUM}\s?(?:%|[A-Za-z])", cleaned):
            return None
    elif not re.search(r"[A-Za-z]{2,}", cleaned) or not content_words(cleaned):
        return None  # "up to", "the other": only function words name nothing
    if re.fullmatch(r"(?:the\s+)?(?:performance|results?|models?|methods?)", cleaned, re.I):
        return None
    return cleaned


# ---------------------------------------------------------------- the condition

_CONDITION_RE = re.compile(
    r"\s+(?:on|for|at|under)\s+((?:the\s+)?[A-Z0-9][\w\-+]*(?:\.\d+)?(?:\s+[A-Z0-9][\w\-+]*){0,3}"
    r"(?:\s+(?:task|dataset|benchmark|model|stage)s?)?)"
)


def condition_of(text: str, end: int, clause: tuple[int, int]) -> str | None:
    """Where the number holds, when it is named right after it: "on ImageNet", "on NVIDIA
    B200", or a parenthesized size "(7B)"."""
    if size := re.match(rf"\s*\(({NUM}[KMBT])\)", text[end : clause[1]]):
        return size.group(1)
    window = text[end : min(clause[1], end + 60)]
    match = _CONDITION_RE.match(window) or _CONDITION_RE.search(window)
    return match.group(1).rstrip(".") if match else None
