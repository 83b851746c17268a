"""What a claimed number measures and against what: the metric, baseline and condition labels
of the offline engine, read from the phrase structure around the number (agent/summarize/
offline_patterns.py decides which numbers are claims).

A label is a phrase of the abstract, never a stop word or a fragment, the method's name or only
names (those say where the number holds). The metric comes from the words that govern the
number, most specific first (`metric_of`); the baseline is the other side of the comparison the
number is in (`baseline_of`), and when the abstract writes none it stays empty rather than
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.core.words import content_words
from agent.summarize.offline_patterns import (
    ABSOLUTE_UNITS,
    NUM,
    NUMBER_RE,
    UNIT_RE,
    Mention,
    is_score_name,
)

# ---------------------------------------------------------------- the words of a phrase

# Words that end a metric noun phrase.
_STOP_RE = re.compile(
    r"than|compared|over|on|for|in|with|while|and|at|when|of|to|the|an?|by|across|without|under|"
    r"from|respectively|vs|versus|against|relative|its|their|our|this|that|which|as|is|are|was|"
    r"were|be|or|it|we|using|through|into|via|within|per|among|toward|towards|"
    r"(?:significant|substantial|considerable|remarkable|notable|dramatic|consistent)(?:ly)?",
    re.I,
)
# Verbs and change words: they end a noun phrase too ("memory savings" is about memory).
_VERB_RE = re.compile(
    r"^(?:reduc|improv|achiev|increas|boost|enhanc|lower|cut|sav|deliver|provid|outperform|show|"
    r"obtain|attain|yield|reach|maintain|recover|incur|accelerat|rais|decreas|surpass|"
    r"demonstrat|offer|exhibit|gain|bring|enabl|attend|exceed|slow)\w*$",
    re.I,
)
_WORD_RE = re.compile(r"[A-Za-z][\w\-/@&+]*")
_NEXT_WORD_RE = re.compile(r"\s*([A-Za-z][\w\-/@&+]*)")
_LAST_WORD_RE = re.compile(r"([A-Za-z][\w\-/@&+]*)\s*$")
# Words between a verb and its object that are neither ("reduces the", "improves further").
_DETERMINER_RE = re.compile(
    r"the|an?|its|their|our|this|these|those|both|all|\w+ly|further|also|even|still|"
    r"is|are|was|were|be|been|being|can|could|will|would|may|might",
    re.I,
)
# "equal error rate (EER)": an acronym right after a phrase belongs to it.
_ACRONYM_RE = re.compile(r"\s*\(([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*s?)\)")
_COMPARATIVE = r"(?:higher|lower|better|faster|more|less|fewer|smaller|larger|greater|bigger)"
_CHANGE = r"(?:increase|improvement|reduction|enhancement|gain|speedup|speed-up|decrease|boost)s?"
_TRAILING_CHANGE_RE = re.compile(rf"\s+{_CHANGE}$|\s+scores?$", re.I)

Span = tuple[str, int, int]  # a phrase and where it is written


def _noun_phrase(words: list[str]) -> str:
    phrase: list[str] = []
    for word in words:
        if _STOP_RE.fullmatch(word) or _VERB_RE.match(word):
            break
        phrase.append(word)
    return " ".join(phrase)


def _phrase_after(text: str, pos: int, end: int, limit: int = 4) -> Span | None:
    """The noun phrase that starts at `pos`: at most `limit` words, up to a stop word, a verb
    or punctuation, with the acronym it defines ("equal error rate (EER)"); a possessor is
    not the head ("the system's performance" → "performance")."""
    first, last, words = -1, -1, list[str]()
    while len(words) < limit and (match := _NEXT_WORD_RE.match(text, pos, end)):
        word = match.group(1)
        if _STOP_RE.fullmatch(word) or _VERB_RE.match(word):
            break
        if text.startswith("'s ", match.end()):  # "Fabric Data Warehouse's underestimates"
            first, words, pos = -1, [], match.end() + 2
            continue
        first = match.start(1) if first < 0 else first
        words.append(word)
        last = pos = match.end()
    if not words:
        return None
    if defined := _defined_term(text, first, end):
        return defined
    if acronym := _ACRONYM_RE.match(text, last, end):
        return f"{' '.join(words)} ({acronym.group(1)})", first, acronym.end()
    phrase = " ".join(words)
    joint = _NEXT_WORD_RE.match(text, last, end)
    joiner = joint.group(1).lower() if joint else ""
    measure = joint and joiner == "of" and words[-1].lower() in _MEASURE_NOUNS
    if joint and measure and (rest := _phrase_after(text, joint.end(), end, limit)):
        return f"{phrase} of {rest[0]}", first, rest[2]  # "the number of activated parameters"
    if joint and joiner in {"and", "or"} and not names_quantity(phrase):
        rest = _phrase_after(text, joint.end(), end, limit)
        if rest and names_quantity(rest[0]):
            return f"{phrase} {joiner} {rest[0]}", first, rest[2]  # "integer and FP performance"
    return phrase, first, last


# Nouns that count or measure what follows their "of".
_MEASURE_NOUNS = {"number", "amount", "fraction", "share", "proportion", "percentage", "count"}


def _phrase_before(text: str, pos: int, start: int, limit: int = 4) -> Span | None:
    """The noun phrase that ends at `pos` (read backwards, as `_phrase_after` reads on)."""
    words: list[str] = []
    first, last = pos, -1
    while len(words) < limit and (match := _LAST_WORD_RE.search(text, start, first)):
        word = match.group(1)
        head = not words and re.fullmatch(_CHANGE, word, re.I)  # "token reduction (29.8%"
        if not head and (_STOP_RE.fullmatch(word) or _VERB_RE.match(word)):
            break
        if match.start(1) > start and text[match.start(1) - 1] in "'’":
            break  # the "re" of "they're"
        words.insert(0, word)
        last = match.end(1) if last < 0 else last
        first = match.start(1)
        if first > start and not text[first - 1].isspace():
            break  # "(", ",", a quote mark: the phrase starts here
    return (" ".join(words), first, last) if words else None


def _defined_term(text: str, start: int, end: int) -> Span | None:
    """'time to first token (TTFT)': a term with stop words in it, when the acronym after it
    spells its initials."""
    match = re.compile(r"((?:[A-Za-z][\w\-]*\s+){1,5}[A-Za-z][\w\-]*)\s*\(([A-Z]{2,8})s?\)").match(
        text, start, end
    )
    if not match:
        return None
    initials = "".join(w[0] for w in re.split(r"[\s\-]+", match.group(1)) if w)
    if initials.lower() != match.group(2).lower():
        return None
    return f"{' '.join(match.group(1).split())} ({match.group(2)})", start, match.end()


# ---------------------------------------------------------------- the metric

# What a bare comparative measures ("24.7 times faster"); other comparatives name nothing alone.
_COMPARATIVE_QUANTITY = {
    "faster": "speed",
    "quicker": "speed",
    "slower": "speed",
    "smaller": "size",
    "cheaper": "cost",
    "ahead": "performance",  # "2.6x ahead of X": a lead
}
_SPEED_COMPARATIVES = {"faster", "quicker", "slower"}
_COMPARATIVE_AFTER_RE = re.compile(rf"\s*({_COMPARATIVE}|quicker|slower|cheaper|ahead)\b", re.I)
_MODIFIER_AFTER_RE = re.compile(
    r"\s*\(?(?:absolute|relative)\)?(?=\s)(?!\s+(?:to|w\.r\.t\.)\s)", re.I
)
_CHANGE_OF_RE = re.compile(
    r"\s*(?:(?:average|overall|mean|absolute|relative)\s+)?"
    rf"(?:{_CHANGE}|accelerations?|savings?)\s+(in|of|on)\s+(?:the\s+|terms\s+of\s+)?",
    re.I,
)
_SHARE_OF_RE = re.compile(r"\s+of\s+(?:the\s+|an?\s+|all\s+)?(?!\d)")
_SHARE_OWNER_BEFORE_RE = re.compile(r"\b(?:in|for|on)\s+$")
_IN_QUANTITY_RE = re.compile(r"\s+in\s+(?:the\s+|terms\s+of\s+)?")
# An acronym written as the number's unit: "34.66% JGA", "25% lower EER" is read above.
_ACRONYM_AFTER_RE = re.compile(
    r"\s+([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9@\-]*)(?=\s*(?:[,.;:)]|$)|\s+(?:on|in|and|over|than|"
    r"compared|vs\.?|with|for|at|across|respectively)\b)"
)


def metric_of(
    text: str,
    mention: Mention,
    sentence: tuple[int, int],
    clause: tuple[int, int],
    floor: int,
    limit: int,
    method: str | None,
    previous: Span | None = None,
) -> tuple[str, int, int, bool]:
    """What the number measures: a short noun phrase, the span of it to quote when it is next
    to the number (else the number's own span), and whether it only came from the unit.

    The readings, most specific first: the item a "respectively" list pairs it with; the words
    right after it ("3.6x lower perplexity", "24.7 times faster", "a 3.6x increase in
    generation speed", "90% of the system's performance", "34.66% JGA"); the label of the gain
    it is listed with (`previous`: the label and the end of that gain's quote, when it is in
    the same sentence); the change verb that governs it ("reduces the equal error rate (EER)
    by 25%", "the threshold increases ... up to 2.22%", "outperforms X by 7%": performance);
    the noun phrase "of", "by", "to" or "is" link to it ("average speedup of 2.20x"); the
    quantity noun of its clause. A reading that is a stop word, the method or only names is
    passed over. `floor` is where the previous number ends, `limit` where the quote begins."""
    if mention.unit and is_score_name(mention.unit):
        return mention.unit, mention.start, mention.end, False  # "Dice 0.8044", "AUC of 0.83"
    readings: tuple[Callable[[], Span | None], ...] = (
        lambda: _respective(text, mention, sentence),
        lambda: _after(text, mention, clause, limit),
        lambda: _listed_with(text, mention, clause, limit, previous),
        lambda: _copula_subject(text, mention, clause, limit),
        lambda: _governed(text, mention, clause, floor, limit, previous),
        lambda: _linked(text, mention, clause, floor, limit),
        lambda: _clause_quantity(text, mention, clause),
    )
    for read in readings:
        if (found := read()) and is_label(found[0], method):
            label, start, end = found
            if start < mention.start - 60 or end > mention.end + 60:
                start, end = mention.start, mention.end  # far away: the quote stays short
            return label, start, end, False
    return unit_metric(mention.unit), mention.start, mention.end, True


def is_label(phrase: str, method: str | None) -> bool:
    """Whether a phrase can name what a number measures: it has a content word and is not the
    method, its kind ('our method', 'kernel') or only names ('ViT', 'PostgreSQL')."""
    if not any(len(word) > 1 for word in content_words(phrase)):
        return False  # "improvement", "average", "absolute", "the", the "w" of "w.r.t."
    return not is_subject_label(phrase, method) and not (
        is_name_label(phrase) and not _ACRONYM_ONLY_RE.fullmatch(phrase)
    )


_ACRONYM_ONLY_RE = re.compile(r"[A-Z]{2,6}s?|[A-Za-z\s\-]+\([A-Z]{2,8}s?\)")
# Units that measure time, throughput or memory, and what a number in them is.
_TIME_UNIT_RE = re.compile(r"(?:ns|ps|µs|μs|ms|s|seconds?|(?:GPU )?hours?)$")
_RATE_UNIT_RE = re.compile(r"(?:[KMGT]i?B/s|req/s|tokens/s|QPS)$")


def unit_metric(unit: str | None) -> str:
    """The metric a unit implies when nothing names it: 3x a speedup, 12 ms a latency, 3 GB
    memory, 30 req/s a throughput; a score's name is its metric."""
    unit = unit or ""
    if unit in _FALLBACK_BY_UNIT:
        return _FALLBACK_BY_UNIT[unit]
    if _TIME_UNIT_RE.match(unit):
        return "latency"
    if _RATE_UNIT_RE.match(unit):
        return "throughput"
    if ABSOLUTE_UNITS.match(unit):
        return "memory"
    if unit in SCORE_UNITS or is_score_name(unit) or re.fullmatch(r"[A-Z][A-Za-z&]*[A-Z]", unit):
        return unit  # a score's name: "BLEU", "Dice", "SUC"
    return "score"


_FALLBACK_BY_UNIT = {"x": "speedup", "%": "improvement", "FPS": "speed"}
SCORE_UNITS = {"J&F", "AP", "mAP", "BLEU", "FID", "PSNR", "SSIM", "mIoU", "WER", "CER", "dB"}


def _respective(text: str, mention: Mention, sentence: tuple[int, int]) -> Span | None:
    label = respective_metric(text, mention, sentence)
    return (label, mention.start, mention.end) if label else None


def _after(text: str, mention: Mention, clause: tuple[int, int], limit: int) -> Span | None:
    """The metric written right after the number and its unit."""
    end = clause[1]
    pos = mention.end
    if modifier := _MODIFIER_AFTER_RE.match(text, pos, end):
        pos = modifier.end()  # "9.4% absolute improvements"
    if acronym := _ACRONYM_AFTER_RE.match(text, pos, end):
        return acronym.group(1), mention.start, acronym.end(1)
    if comparative := _COMPARATIVE_AFTER_RE.match(text, pos, end):
        word = comparative.group(1).lower()
        phrase = _phrase_after(text, comparative.end(), end)
        if phrase and word in _SPEED_COMPARATIVES and not names_quantity(phrase[0]):
            phrase = (f"{phrase[0]} speed", phrase[1], phrase[2])  # "faster inference"
        if phrase:
            return phrase[0], mention.start, phrase[2]
        if word in _COMPARATIVE_QUANTITY:
            return _COMPARATIVE_QUANTITY[word], mention.start, comparative.end()
        return None  # "2x lower than": the quantity is named elsewhere
    if change := _CHANGE_OF_RE.match(text, pos, end):
        phrase = _phrase_after(text, change.end(), end)
        if phrase and (change.group(1).lower() != "on" or names_quantity(phrase[0])):
            return phrase[0], mention.start, phrase[2]  # "a 3.6x increase in generation speed"
    if share := _SHARE_OF_RE.match(text, pos, end):
        return _share(text, mention, clause, limit, share.end())
    if within := _IN_QUANTITY_RE.match(text, pos, end):
        # "2x in throughput"; "+25.28 in Dynamic Degree" (a score difference names its score);
        # not "2x in most workloads", where it holds
        phrase = _phrase_after(text, within.end(), end)
        if phrase and mention.unit == "points" and not names_quantity(phrase[0]):
            return f"{phrase[0]} score", mention.start, phrase[2]  # "+2.47 points in CodeBLEU"
        return (
            (phrase[0], mention.start, phrase[2]) if phrase and names_quantity(phrase[0]) else None
        )
    if phrase := _phrase_after(text, pos, end):
        label = _TRAILING_CHANGE_RE.sub("", phrase[0]) or phrase[0]
        return label, mention.start, phrase[2]
    return None


def _share(
    text: str, mention: Mention, clause: tuple[int, int], limit: int, pos: int
) -> Span | None:
    """'restoring over 90% of the system's performance', 'corrects 17.5% of subexpression
    underestimates': the share is of that quantity. 'adherence to MI standards in 98% of
    utterances': a share of cases measures what holds in them, the phrase before 'in'."""
    phrase = _phrase_after(text, pos, clause[1])
    if phrase is None:
        return None
    quantity = names_quantity(phrase[0])
    owner = _SHARE_OWNER_BEFORE_RE.search(text, max(clause[0], limit - 12), limit)
    if owner and not quantity and mention.unit == "%":
        before = _phrase_before(text, owner.start(), clause[0])
        return (before[0], before[1], mention.end) if before else None
    if not quantity and (mention.unit not in {"%", "x"} or not phrase[0].endswith("s")):
        return None  # "2 MB of storage" is memory; "45% of dense inference" names no share
    return phrase[0], mention.start, phrase[2]


def _listed_with(
    text: str, mention: Mention, clause: tuple[int, int], limit: int, previous: Span | None
) -> Span | None:
    """A number listed with the gain before it measures the same: '14.8x on CPU time and
    997.7x on scanned bytes', '49.5% (31.7%)', '2.20x (up to 3.21x)', 'by 32.5% (1.5B) and
    25.7% (7B)'. Between them only a condition, a parenthesis or a conjunction."""
    if previous is None:
        return None
    label, start, end = previous
    between = _CONDITION_SIZE_RE.sub("()", text[end:limit])
    joins = list(_LIST_JOIN_RE.finditer(between))
    if start < clause[0] or len(between) > 60 or not joins or re.search(r"[\d;:]", between):
        return None
    # Before the last join at most one condition ("on CPU time"); after it nothing: a new noun
    # there ("and storage overheads (206 KiB") names the next number's own metric.
    head, tail = between[: joins[-1].start()], between[joins[-1].end() :]
    if tail.strip(" (") or (len(joins) > 1 and not re.fullmatch(r"[\s,()/]*", head)):
        return None
    if head.strip(" ()") and not re.match(r"\s*\)?\s*(?:on|in|for|at|under|across|with)\s", head):
        return None
    if any(_VERB_RE.match(w) or _LINK_WORD_RE.fullmatch(w) for w in _WORD_RE.findall(head)):
        return None
    return label, mention.start, mention.end


_LIST_JOIN_RE = re.compile(r"[,(/]|\b(?:and|or)\b")
_CONDITION_SIZE_RE = re.compile(rf"\(\s*{NUM}\s*[KMBT]\s*\)")
_LINK_WORD_RE = re.compile(
    r"by|of|to|than|over|is|are|was|were|from|vs|versus|compared|while|whereas|but", re.I
)

# Change verbs: their object (or, with none, their subject) is what changed.
_CHANGE_VERB_RE = re.compile(
    r"\b(?:reduc(?:e|es|ed|ing)|improv(?:e|es|ed|ing)|increas(?:e|es|ed|ing)|boost(?:s|ed|ing)?|"
    r"enhanc(?:e|es|ed|ing)|lower(?:s|ed|ing)|cut(?:s|ting)?|sav(?:e|es|ed|ing)|"
    r"accelerat(?:e|es|ed|ing)|rais(?:e|es|ed|ing)|decreas(?:e|es|ed|ing)|"
    r"drop(?:s|ped|ping)?|shrink(?:s|ing)?|halv(?:e|es|ed|ing)|restor(?:e|es|ed|ing)|"
    r"recover(?:s|ed|ing)?|correct(?:s|ed|ing)?|fix(?:es|ed|ing)?|captur(?:e|es|ed|ing)|"
    r"shorten(?:s|ed|ing)?|lift(?:s|ed|ing)?|slash(?:es|ed|ing)?|minimi[sz](?:e|es|ed|ing)|"
    r"out-?perform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|beat(?:s|ing)?|exceed(?:s|ed|ing)?)\b",
    re.I,
)
# Verbs whose object is the other side of a comparison: the number is a performance gap.
_OUTPERFORM_RE = re.compile(r"out-?perform\w*|surpass\w*|beat\w*|exceed\w*", re.I)


def _governed(
    text: str,
    mention: Mention,
    clause: tuple[int, int],
    floor: int,
    limit: int,
    previous: Span | None,
) -> Span | None:
    """The metric the change verb of the clause names: its object, else its subject; a
    participle with neither (", increasing to 2.4%") goes on about the gain before it."""
    verbs = list(_CHANGE_VERB_RE.finditer(text, clause[0], mention.start))
    if not verbs:
        return None
    verb = verbs[-1]
    direct = not text[verb.end() : limit].strip()  # "exceeds 0.42%" (a qualifier), "by 40%"
    if _OUTPERFORM_RE.fullmatch(verb.group(0)) and not direct:
        # "outperforms PyTorch by 6.13x": PyTorch is the baseline; the gap is in what the
        # clause names ("by 2.92x in compression ratio"), else in performance.
        named = _clause_quantity(text, mention, (verb.end(), clause[1]))
        named = named or _stated_quantity(text, clause[0], verb.start(), mention)
        return named or ("performance", mention.start, mention.end)
    if verb.start() < floor and not re.fullmatch(r"\s+to\s+", text[floor:limit]):
        return None  # it governs an earlier number (not the start of "from A to B")
    pos = verb.end()
    while (word := _NEXT_WORD_RE.match(text, pos, limit)) and _DETERMINER_RE.fullmatch(
        word.group(1)
    ):
        pos = word.end()
    if phrase := _phrase_after(text, pos, limit):
        return phrase
    subject_end = _AUXILIARY_BEFORE_RE.search(text, clause[0], verb.start())
    subject_at = subject_end.start() if subject_end else verb.start()
    if subject := _phrase_before(text, subject_at, clause[0]):
        return subject
    participle = verb.group(0).lower().endswith("ing") and text[:subject_at].rstrip().endswith(",")
    return (previous[0], mention.start, mention.end) if previous and participle else None


# "latency is further reduced": what stands between a subject and its verb.
_AUXILIARY_BEFORE_RE = re.compile(
    r"(?:\s+(?:is|are|was|were|be|been|being|has|have|can|could|will|\w+ly|further))*\s*$", re.I
)


def _copula_subject(
    text: str, mention: Mention, clause: tuple[int, int], limit: int
) -> Span | None:
    """'The performance overhead incurred by X to improve security is under 30%': a number
    after "is" is said of the clause's subject, when that names a quantity."""
    if not re.search(r"\b(?:is|are|was|were|remains?)\s+$", text[clause[0] : limit]):
        return None
    pos = clause[0]
    while (word := _NEXT_WORD_RE.match(text, pos, limit)) and _DETERMINER_RE.fullmatch(
        word.group(1)
    ):
        pos = word.end()
    subject = _phrase_after(text, pos, limit)
    return subject if subject and names_quantity(subject[0]) else None


_METRIC_BEFORE_RE = re.compile(
    r"(?:((?:[\w\-/@&+]+\s+){1,5}?)(?:of|by|to|is|are|was|were|reach\w*|exceed\w*|\()"
    r"\s*(?:\S+\s+){0,2}?[~≈+(]?)$"
)
_FACTOR_OF_BEFORE_RE = re.compile(r"\ban?\s+factor\s+of\s*(?:~|≈|about\s+)?$", re.I)
_PREPOSITION_BEFORE_RE = re.compile(r"\b(?:for|of|on|in|across|under)\s+$", re.I)


def _linked(
    text: str, mention: Mention, clause: tuple[int, int], floor: int, limit: int
) -> Span | None:
    """The noun phrase linked to the number: 'average speedup of 2.20x', 'training time by
    12.68%', 'the overhead for security is under 30%' (the head, 'overhead', not 'security')."""
    low = max(clause[0], floor)
    end = mention.start  # a qualifier may be the link: "exceeds 0.42%"
    if factor := _FACTOR_OF_BEFORE_RE.search(text, low, end):
        end = factor.start()  # "reducing resolution latency by a factor of 3.8"
    link = _METRIC_BEFORE_RE.search(text[low:end])
    if not link or not link.group(1):
        return None
    phrase = _phrase_before(text, low + link.end(1), low)
    # "the performance overhead for security is": the quantity is the head before "for"
    preposition = phrase and _PREPOSITION_BEFORE_RE.search(text, low, phrase[1])
    if phrase and preposition and not names_quantity(phrase[0]):
        head = _phrase_before(text, preposition.start(), low)
        if head and names_quantity(head[0]):
            phrase = (head[0], head[1], phrase[2])
    return (phrase[0], phrase[1], mention.end) if phrase else None


def _stated_quantity(text: str, start: int, end: int, mention: Mention) -> Span | None:
    """'achieves accuracies of 97.98% ..., outperforming the baselines by 24.62%': the gap is
    in the quantity the clause stated before the comparison."""
    heads = [
        m
        for m in _QUANTITY_RE.finditer(text, start, end)
        if not (
            (after := _NEXT_WORD_RE.match(text, m.end(), end))
            and not _STOP_RE.fullmatch(after.group(1))
        )
    ]  # a head noun: not "storage" in "two storage devices"
    if not heads or heads[-1].group(0).lower() in {"score", "scores"}:
        return None
    return heads[-1].group(0), mention.start, mention.end


def _clause_quantity(text: str, mention: Mention, clause: tuple[int, int]) -> Span | None:
    label = quantity_phrase(text, mention, clause)
    return (label, mention.start, mention.end) if label else None


# ---------------------------------------------------------------- the baseline

_BASELINE_RE = re.compile(
    r"\b(?i:compared (?:with|to)|(?<!rather )than(?!\s+(?:an?\s+)?[\d~])|versus|vs\.?|against|"
    r"relative (?:to|w\.r\.t\.)|out-?perform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|on par with|"
    r"comparable to|match(?:es|ed|ing)|rival(?:s|ed|ing)?|ahead of|superior (?:\w+\s+)?to|"
    r"over(?!\s+(?:an?\s|the\s+(?:first|course|past)|\d|~|more|half)))\s+"
    r"((?:the\s+)?(?:[^,;.()]|\.(?=\d)){2,80}?)(?=\s+(?:on|in|when|while|across|for|by|with|at|under|and|of|"
    r"respectively)\b|[,;()]|\.(?:\s|$)|$)"
)
# "the highest average throughput ... among all evaluated compressors"
_AMONG_RE = re.compile(
    r"\b(?i:highest|best|lowest|fastest|strongest|smallest|largest)\b[^.;]{0,100}?\bamong\s+"
    r"((?:the\s+)?[^,;.()]{2,60}?)(?=\s+(?:on|in|when|while|for|with|at|under)\b|[,;()]|\.(?:\s|$)|$)"
)
# "compared to only 21% by the incumbent production system": the other side's owner.
_OTHER_SIDE_OWNER_RE = re.compile(
    r"\s+(?:by|of|for|from|with)\s+((?:the\s+)?[^,;.()\d]{2,60}?)(?=[,;()]|\.(?:\s|$)|$|\s+(?:on|in|"
    r"when|while|across|at|under|with|for|by)\b)"
)
_NEXT_PREDICATE_RE = re.compile(
    r";|,\s+(?:while|whereas|but|which)\s|,\s+and\s+(?=(?:\w+ly\s+)?\w+ing\b)"
)
_QUANTITY_ONLY_RE = re.compile(
    r"(?:the\s+)?(?:[\w\-]+\s+)?(?:performance|accuracy|quality|speed|throughput)", re.I
)
# A sentence that goes on with the comparison of the one before it.
_CONTINUES_RE = re.compile(
    r"(?i:for (?:instance|example)|in addition|additionally|moreover|furthermore|similarly|"
    r"likewise|in particular|specifically)\b"
)


def baseline_of(
    text: str,
    mention: Mention,
    sentence: tuple[int, int],
    previous_sentence: tuple[int, int] | None = None,
) -> str | None:
    """What the number is compared against, as the abstract says it: "than vanilla reversible
    training", "compared to GLibcs allocator", "outperforms PyTorch by", "from 35.0 to".

    The item a "respectively" list pairs it with; the first comparison after it, up to the next
    coordinated predicate ("2x faster than X"); a superlative's "among X" around it; else the
    nearest comparison before it in the sentence ("Compared to X, we cut latency by 40%"); a
    sentence that goes on from the one before ("In addition, ...", "For instance, ...") takes
    that sentence's comparison. None when no comparison is written."""
    if start_value := _starting_value(text, mention, sentence):
        return start_value
    if share := re.match(
        r"\s*of\s+(?:the\s+)?[\w\-]+(?:\s+[\w\-]+)?\s+of\s+([^,;.()]{3,60})",
        text[mention.end : sentence[1]],
    ):
        return share.group(1).strip()  # "75% of the throughput of serving a single LoRA"
    # Up to the next coordinated predicate: ", and closely matching X" is another claim's.
    segment = _NEXT_PREDICATE_RE.search(text, mention.end, sentence[1])
    after = _comparisons(text, mention.end, segment.start() if segment else sentence[1])
    around = [
        m.group(1)
        for m in _AMONG_RE.finditer(text, sentence[0], sentence[1])
        if m.start() < mention.start and m.start(1) > mention.end
    ]  # "the highest throughput (676 GB/s) among all evaluated compressors"
    before = _comparisons(text, sentence[0], mention.start)
    respective = _respective_baseline(text, mention, sentence)
    coordinated = _coordinated_object(text, mention, sentence)
    for phrase in [respective, coordinated, *after[:1], *around, *before[::-1]]:
        if cleaned := plain_baseline(phrase):
            return cleaned
    if previous_sentence and _CONTINUES_RE.match(text, sentence[0]):
        for phrase in _comparisons(text, *previous_sentence)[::-1]:
            if cleaned := plain_baseline(phrase):
                return cleaned
    return None


_COORDINATED_BY_RE = re.compile(
    r"(?:,\s*|\s)and\s+((?:the\s+)?[^,;()\d]{2,60}?)\s+by\s+(?:up\s?to\s+|about\s+|~)?$"
)


def _coordinated_object(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'outperforms A by up to 10.95x and B by up to 2.92x': B is the second number's
    baseline, the second object of the comparison."""
    before = text[sentence[0] : mention.start]
    listed = _COORDINATED_BY_RE.search(before)
    if listed is None or not _OUTPERFORM_VERB_RE.search(before, 0, listed.start()):
        return None
    words = _WORD_RE.findall(listed.group(1))
    if any(_VERB_RE.match(w) or w.lower().endswith("ing") for w in words):
        return None  # "and reducing memory by": a second predicate, not a second object
    return listed.group(1)


_OUTPERFORM_VERB_RE = re.compile(r"\b(?:out-?perform|surpass|beat)\w*\s", re.I)


def _starting_value(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'from 0.67% to 0.81%' is compared with 0.67%; 'from 35.0 to 10.8 GPU hours' with
    35.0 GPU hours (the unit written once, after the end point)."""
    before = text[sentence[0] : mention.start]
    start = re.search(rf"from\s+({NUM}(?:\s?[^\s\d]\S*)?)\s+to\s+\S*$", before)
    if start is None or re.search(r"rang\w*\s+from", before[-40:]):
        return None
    value = start.group(1)
    if re.fullmatch(NUM, value) and mention.unit and not is_score_name(mention.unit):
        unit = text[mention.end - len(mention.unit) - 1 : mention.end].strip()
        value = (
            f"{value}{'' if unit in {'%', 'x'} else ' '}{unit}"
            if unit.endswith(mention.unit)
            else value
        )
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
            if owner is None:
                continue
            phrase = owner.group(1)
        found.append((match.start(), phrase))
    found += [(m.start(), m.group(1)) for m in _AMONG_RE.finditer(text, start, end)]
    return [phrase for _, phrase in sorted(found)]


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


# ---------------------------------------------------------------- "respectively" lists

_RESPECTIVELY_RE = re.compile(r",?\s*respectively\b", re.I)
_LIST_ITEM_SPLIT_RE = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")
_LIST_INTRO_RE = re.compile(r"\b(?:in|on|for|of)\s+(?:the\s+)?(?:terms\s+of\s+)?", re.I)


def _respective_list(
    text: str, mention: Mention, sentence: tuple[int, int]
) -> tuple[list[re.Match[str]], int, re.Match[str]] | None:
    """The numbers listed with the mention before "respectively" (joined by ",", "and",
    "/"), the mention's place among them, and the "respectively"."""
    resp = _RESPECTIVELY_RE.search(text, mention.end, sentence[1])
    if resp is None:
        return None
    numbers = list(NUMBER_RE.finditer(text, sentence[0], resp.start()))
    group: list[re.Match[str]] = []
    for match in numbers:
        if group and not re.fullmatch(
            r"\s?(?:[x×%]|times|percent)?\s*(?:,\s*|,?\s*and\s+|/)\s*(?:up to\s+)?[+~]?",
            text[group[-1].end() : match.start()],
            re.I,
        ):
            if any(g.start() <= mention.start < g.end() + 1 for g in group):
                break
            group = []
        group.append(match)
    if len(group) < 2 or not any(g.start() <= mention.start <= g.end() for g in group):
        return None
    position = next(i for i, g in enumerate(group) if g.start() <= mention.start <= g.end())
    return group, position, resp


def _respective_baseline(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'surpasses frameworks such as A, B and C, by 87%, 131% and 55%, respectively': the i-th
    number is compared with the i-th item of the list the comparison names before "by"."""
    listed = _respective_list(text, mention, sentence)
    if listed is None:
        return None
    group, position, _ = listed
    head = text[sentence[0] : group[0].start()]
    by = re.search(r",?\s*by\s+(?:up\s?to\s+|an? (?:average|improvement) of\s+)*$", head)
    cues = list(_RESPECTIVE_CUE_RE.finditer(head, 0, by.start())) if by else []
    if not cues:
        return None
    items_text = head[cues[-1].end() : by.start() if by else 0]
    if such := re.search(r"\b(?:such as|including|namely)\s+", items_text):
        items_text = items_text[such.end() :]
    items = [i.strip() for i in _LIST_ITEM_SPLIT_RE.split(items_text) if i.strip()]
    return items[position] if len(items) == len(group) else None


_RESPECTIVE_CUE_RE = re.compile(
    r"\b(?:out-?perform\w*|surpass\w*|beat\w*|over|than|compared (?:to|with)|against)\s+", re.I
)


def respective_metric(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'279x and 480x speedups in initialization and query time, respectively': the i-th
    number takes the i-th item of the list before "respectively" (with the noun the numbers
    share: "initialization speedup"). None when the sentence has no such pairing."""
    listed = _respective_list(text, mention, sentence)
    if listed is None:
        return None
    group, position, resp = listed
    tail = text[group[-1].end() : resp.start()]
    if unit := UNIT_RE.match(tail):
        tail = tail[unit.end() :]
    intro = None
    for found in _LIST_INTRO_RE.finditer(tail):
        intro = found  # the last "in"/"on"/"for" before "respectively"
    if intro is None:
        return None
    noun = _noun_phrase(_WORD_RE.findall(tail[: intro.start()]))
    items = [i.strip() for i in _LIST_ITEM_SPLIT_RE.split(tail[intro.end() :]) if i.strip()]
    if len(items) != len(group):
        return None
    item = " ".join(_WORD_RE.findall(items[position])[:4])
    if intro.group(0).lower().startswith(("for", "on")) and not names_quantity(item):
        return None  # "by 1.7%, 1.1% and 0.5% for ViT, DeiT and Swin": where each holds
    last = _WORD_RE.findall(items[-1])
    if len(item.split()) == 1 and len(last) >= 3 and names_quantity(" ".join(last[1:])):
        # "offline, online and total communication overhead": the head noun is shared
        item = f"{item} {' '.join(last[1:])}" if position < len(items) - 1 else " ".join(last)
    noun = _TRAILING_CHANGE_RE.sub("", noun) if noun else ""
    noun = re.sub(r"(?<=up)s$", "", noun) if noun and names_quantity(noun) else ""
    label = f"{item} {noun}".strip() if noun and noun.lower() not in item.lower() else item
    return label or None


# ---------------------------------------------------------------- plain labels

_FRAGMENT_START_RE = re.compile(r"^(?:only|just|this|that|these|those|it|which)\b", re.I)


def plain_baseline(baseline: str | None) -> str | None:
    """A baseline a reader can use, or None: plain words with a content word, not a number or
    a pronoun ("only 21%", "this result", "a" are not baselines)."""
    if baseline is None:
        return None
    cleaned = " ".join(baseline.split()).strip(" ,;:.")
    if not cleaned or _FRAGMENT_START_RE.match(cleaned):
        return None
    if len(cleaned) > 80:
        return None
    if re.match(r"\d", cleaned):
        # "from 35.0 GPU hours to": the starting value, with its unit, is the baseline
        if not re.match(rf"{NUM}\s?(?:%|[A-Za-z])", cleaned):
            return None
    elif not re.search(r"[A-Za-z]{2,}", cleaned):
        return None
    if re.fullmatch(r"(?:the\s+)?(?:performance|results?|models?|methods?)", cleaned, re.I):
        return None
    return cleaned


# ---------------------------------------------------------------- metric named elsewhere

# Nouns that name a measured quantity (the families of ANNOTATION.md and a few general ones).
_QUANTITY = (
    r"speed-?ups?|speed|throughput|latency|latencies|runtime|run-time|time|FPS|memory|footprint|"
    r"VRAM|KV[- ]cache|storage|accuracy|accuracies|error(?: rate)?s?|F1|BLEU|ROUGE(?:-\w+)?|"
    r"precision|recall|mAP|AP|WER|CER|perplexity|FID|PSNR|SSIM|mIoU|success rates?|win rates?|"
    r"cost|costs|price|energy|power|overheads?|bandwidth|traffic|communication|parameters|"
    r"compression(?: ratio)?|performance|efficiency|utili[sz]ation|usage|consumption|"
    r"Exact Match|EM|AUC|AUROC|correlation|scores?"
)
_QUANTITY_RE = re.compile(rf"(?<![\w-])(?:{_QUANTITY})(?![\w-])", re.I)
_SUBJECT_WORDS = re.compile(
    r"(?:method|approach|framework|system|model|kernel|scheme|technique|design|algorithm|"
    r"it|ours|work|paper)s?",
    re.I,
)


def names_quantity(phrase: str) -> bool:
    """Whether a metric phrase names a measured quantity ('top-1 accuracy', 'memory')."""
    return bool(_QUANTITY_RE.search(phrase))


def quantity_phrase(text: str, mention: Mention, clause: tuple[int, int]) -> str | None:
    """The quantity the clause says the number measures when it is not written next to it:
    "improves the top-1 accuracy of ViT on ImageNet by up to 1.7%" gives "top-1 accuracy".
    The nearest quantity noun before the number in the clause, else the nearest after; with
    the modifiers right before it ("end-to-end", "top-1", "query")."""
    before = list(_QUANTITY_RE.finditer(text, clause[0], mention.start))
    after = list(_QUANTITY_RE.finditer(text, mention.end, clause[1]))
    found = before[-1] if before else (after[0] if after else None)
    if found is None or found.group(0).lower() in {"score", "scores"}:
        return None
    words = _WORD_RE.findall(text[max(clause[0], found.start() - 40) : found.start()])
    modifiers: list[str] = []
    for word in reversed(words[-2:]):
        if (
            len(word) < 2
            or _STOP_RE.fullmatch(word)
            or _VERB_RE.match(word)
            or _SUBJECT_WORDS.fullmatch(word)
        ):
            break
        modifiers.insert(0, word)
    return " ".join([*modifiers, found.group(0)])


def is_name_label(phrase: str) -> bool:
    """A label made only of names ('ViT', 'NYUD-v2 dataset', 'DRAM', 'PostgreSQL'): where the
    number holds, not what it measures."""
    words = [w for w in phrase.split() if not re.fullmatch(r"(?i:dataset|benchmark)s?", w)]
    return (
        bool(words)
        and all(re.search(r"[A-Z].*[A-Z]|\d|[A-Z][a-z]+[A-Z]", w) for w in words)
        and not names_quantity(phrase)
    )


def is_subject_label(phrase: str, method: str | None) -> bool:
    """A label that names the method or its kind ('kernel', 'our method', 'ViT'), not what
    was measured."""
    words = phrase.split()
    if method and method.lower() in phrase.lower():
        return True
    return all(_SUBJECT_WORDS.fullmatch(w) or _STOP_RE.fullmatch(w) for w in words)
