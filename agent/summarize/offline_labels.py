"""What a claimed number measures: the metric label of the offline engine, read from the phrase
structure around the number (agent/summarize/offline_patterns.py decides which numbers are
claims, offline_baselines.py what each is compared against).

A label is a phrase of the abstract, never a stop word or a fragment, the method's name or only
names (those say where the number holds). `metric_of` tries the readings most specific first.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.core.words import content_words
from agent.summarize.offline_patterns import (
    ABSOLUTE_UNITS,
    HEDGE_AFTER_RE,
    NUM,
    NUMBER_RE,
    OUTPERFORM,
    RATE_UNITS,
    UNIT_RE,
    Mention,
    is_score_name,
    unit_at,
)
from agent.summarize.offline_phrases import (
    ACRONYM_RE,
    CHANGE,
    COMPARATIVE,
    DETERMINER_RE,
    NEXT_WORD_RE,
    QUANTITY_RE,
    STOP_RE,
    TRAILING_CHANGE_RE,
    VERB_RE,
    WORD_RE,
    Span,
    is_name_label,
    is_subject_label,
    list_items,
    names_quantity,
    noun_phrase,
    phrase_after,
    phrase_before,
    quantity_phrase,
    respective_list,
    spells,
)

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
_POINTS_WORD_RE = re.compile(r"\s+(?:percentage\s+)?(?:points?|pts|pp)\b", re.I)
_QUALITY_OF_ADJECTIVE = {
    "accurate": "accuracy",
    "efficient": "efficiency",
    "robust": "robustness",
    "precise": "precision",
    "reliable": "reliability",
    "stable": "stability",
    "energy-efficient": "energy efficiency",
    "memory-efficient": "memory efficiency",
}
_COMPARATIVE_AFTER_RE = re.compile(rf"\s*({COMPARATIVE}|quicker|slower|cheaper|ahead)\b", re.I)
# "by 4-15x in text consistency and 3-7x in 3D model quality": each in-phrase is its number's
_PARALLEL_IN_RE = re.compile(rf"[^;]{{0,30}}?\band\s+(?:by\s+)?[+~]?{NUM}[^;\s]*\s+in\s")
_LISTED_NUMBER_RE = re.compile(rf"(?:\s*,\s*|\s+and\s+|\s*/\s*)(?:up to\s+)?[+~]?{NUM}\s?(%|x|×)")
_MODIFIER_AFTER_RE = re.compile(
    r"\s*\(?(?:absolute|relative)\)?(?=\s)(?!\s+(?:to|w\.r\.t\.)\s)", re.I
)
_CHANGE_OF_RE = re.compile(
    r"\s*(?:(?:average|overall|mean|absolute|relative)\s+)?"
    rf"(?:{CHANGE}|accelerations?|savings?)\s+(in|of|on)\s+(?:the\s+|terms\s+of\s+)?",
    re.I,
)
_SHARE_OF_RE = re.compile(r"\s+of\s+(?:the\s+|an?\s+|all\s+)?(?!\d)")
_SHARE_OWNER_BEFORE_RE = re.compile(r"\b(?:in|for|on)\s+$")
_IN_QUANTITY_RE = re.compile(r"\s+(in|on)\s+(?:the\s+|terms\s+of\s+)?")
# An acronym written as the number's unit: "34.66% JGA", "25% lower EER" is read above.
_ACRONYM_AFTER_RE = re.compile(
    r"\s+([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9@\-]*)(?=\s*(?:[,.;:)]|$)|\s+(?:on|in|and|over|than|"
    r"compared|vs\.?|with|for|at|across|respectively)\b)"
)


# "an increase in Safety Recall@K from almost 0% in RAG to more than 50%": B is Safety Recall@K.
_CHANGE_FROM_TO_RE = re.compile(
    rf"\b{CHANGE}\s+(?:in|of)\s+(?:the\s+)?(?P<x>[^,;()]{{1,40}}?)\s+from\s+[^,;]{{0,60}}?"
    r"\bto\s+(?:about\s+|~|more than\s+|over\s+|nearly\s+|almost\s+|less than\s+)?$",
    re.I,
)


def _changed_from_to(text: str, mention: Mention, clause: tuple[int, int]) -> Span | None:
    """The quantity a "change in X from A to B" names, for B; in "from 5x compression at
    0.99 similarity to 34x at 0.95", B measures what A's words name (the same unit)."""
    found = _CHANGE_FROM_TO_RE.search(text, clause[0], mention.start)
    if found:
        return found.group("x"), found.start("x"), found.end("x")
    start = _FROM_VALUE_RE.search(text, clause[0], mention.start)
    if start is None or not re.search(
        r"\bto\s+(?:about\s+|~)?$", text[start.end() : mention.start]
    ):
        return None
    unit = unit_at(text, start.end())
    if unit is None or unit[0] != mention.unit:
        return None
    phrase = phrase_after(text, unit[1], mention.start)
    return (phrase[0], mention.start, mention.end) if phrase else None


_FROM_VALUE_RE = re.compile(rf"\bfrom\s+(?:about\s+|~)?{NUM}")


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
    quantity noun of its clause, else of its sentence. A reading that is a stop word, the
    method or only names is passed over. `floor` is where the previous number ends, `limit`
    where the quote begins."""
    if mention.unit and is_score_name(mention.unit):
        return mention.unit, mention.start, mention.end, False  # "Dice 0.8044", "AUC of 0.83"
    if _HOW_OFTEN_RE.match(text, mention.end):
        # "preferred 68% of the time": how often, not a time; the quantity is left unnamed
        return unit_metric(mention.unit), mention.start, mention.end, True
    readings: tuple[Callable[[], Span | None], ...] = (
        lambda: _respective(text, mention, sentence),
        lambda: _labelled_before(text, mention, clause),
        lambda: _changed_from_to(text, mention, clause),
        lambda: _after(text, mention, clause, limit),
        lambda: _listed_with(text, mention, clause, limit, previous),
        lambda: _linked(text, mention, clause, floor, limit, only_of=True),
        lambda: _copula_subject(text, mention, clause, limit),
        lambda: _governed(text, mention, clause, floor, limit, previous),
        lambda: _linked(text, mention, clause, floor, limit),
        lambda: _clause_quantity(text, mention, clause),
        lambda: _sentence_quantity(text, mention, sentence),
    )
    for index, read in enumerate(readings):
        # an acronym is a metric's name when written with the number ("34.66% JGA"); elsewhere
        # it is as likely a model's ("accelerates MLLMs by 19x")
        if (found := read()) and is_label(found[0], method, acronym=index == 1):
            label, start, end = found
            label = _spelled_out(label, text)
            if rate := _PER_TIME_RE.match(text, end, sentence[1]):
                # "1.9x more requests per second": a count per unit of time is a throughput
                label, end = f"{label} per {rate.group(1)} throughput", rate.end()
            if start < mention.start - 60 or end > mention.end + 60:
                start, end = mention.start, mention.end  # far away: the quote stays short
            return label, start, end, False
    if mention.unit in {"%", "points"} and (where := _benchmark_after(text, mention, clause)):
        # "reaches 85.1% on GSM8K": nothing names the quantity, but it is a result on GSM8K
        return f"{_ON_BENCHMARK}{where}", mention.start, mention.end, True
    return unit_metric(mention.unit), mention.start, mention.end, True


# "(accuracy: 82%, AUC: 0.86)", "MRE = 1.25 mm": a label written right before its value.
_LABEL_BEFORE_RE = re.compile(
    r"(?:^|[\s(,;])(?P<label>[A-Za-z][\w\-]*(?:\s+[A-Za-z][\w\-]*){0,2})\s*[:=]\s*[~≈]?$"
)


def _labelled_before(text: str, mention: Mention, clause: tuple[int, int]) -> Span | None:
    """The label a "name: value" or "name = value" pair gives the number."""
    match = _LABEL_BEFORE_RE.search(text, max(clause[0], mention.start - 40), mention.start)
    if match is None:
        return None
    words = list(re.finditer(r"\S+", match.group("label")))
    # "1.25 mm and speedup: 3x", "improves recall: 12%": the words after the last stop word
    # or verb
    while words and any(STOP_RE.fullmatch(w[0]) or VERB_RE.match(w[0]) for w in words):
        words.pop(0)
    label = " ".join(w[0] for w in words)
    if not words or label.lower() in {"results", "result", "n", "p"}:
        return None  # "Results: 82%" heads a section; "n = 120" counts; "p = 0.01" tests
    return label, match.start("label") + words[0].start(), mention.end


def _spelled_out(label: str, text: str) -> str:
    """A bare acronym with the term the abstract defines it by ("ASP" → "attack success
    probability (ASP)"), so a reader, and a question in words, know what it measures."""
    if not _ACRONYM_ONLY_RE.fullmatch(label):
        return label
    for found in re.finditer(rf"\({re.escape(label)}\)", text):
        # the defining words before "(ASP)": as many as the acronym has letters
        words = re.findall(r"[A-Za-z][\w\-]*", text[max(0, found.start() - 120) : found.start()])
        term = words[-len(label) :] if len(words) >= len(label) else []
        if term and spells(" ".join(term), label):
            return f"{' '.join(term)} ({label})"
    return label


_ON_BENCHMARK = "performance on "  # the label of a result named only by where it holds
_ON_RE = re.compile(r"\s+on\s+(?:the\s+|an?\s+)?")
_FREE_NUMBER_RE = re.compile(r"(?<![\w.,])\d")  # a number, not the "8" of "GSM8K"


def _benchmark_after(text: str, mention: Mention, clause: tuple[int, int]) -> str | None:
    """The benchmark or task a bare share is a result on: the first "on X" after it in the
    clause, before any other number ("+9.5% over A on B", "gains of 4% on long-horizon tasks");
    in a "respectively" list ("+3.2 and +4.1 points on A and B, respectively"), its own item."""
    if resp := re.match(r"(?:[^.;]|\.(?=\d))*?\brespectively\b", text[mention.end :]):
        listed = respective_list(text, mention, (clause[0], mention.end + resp.end()))
        if listed is not None:
            return _respective_item(text, *listed, intro="on")
    following = _FREE_NUMBER_RE.search(text, mention.end, clause[1])
    end = following.start() if following else clause[1]
    for found in _ON_RE.finditer(text, mention.end, end):
        phrase = phrase_after(text, found.end(), end)
        if phrase and content_words(phrase[0]) and not re.match(r"average\b", phrase[0], re.I):
            return phrase[0]
    return None


# "correct 85% of the time": how often, not a time; but "40% of the time required by X" and
# "35% of the time of X" are a time.
_HOW_OFTEN_RE = re.compile(r"\s+of\s+the\s+time\b(?!\s+(?:of|by|\w+(?:ed|en|ent))\b)", re.I)
_PER_TIME_RE = re.compile(r"\s+per\s+(second|sec|minute|hour|day)\b", re.I)


def is_label(phrase: str, method: str | None, *, acronym: bool = False) -> bool:
    """Whether a phrase can name what a number measures: it has a content word and is not the
    method, its kind ('our method', 'kernel') or only names ('ViT', 'PostgreSQL'); with
    `acronym`, an acronym ('JGA', 'TPR01') or a defined term ('equal error rate (EER)') is."""
    if not any(len(word) > 1 for word in content_words(phrase) - _GAP_WORDS):
        return False  # "improvement", "average", "absolute", "margin", the "w" of "w.r.t."
    if _BASELINE_HEAD_RE.search(phrase):
        return False  # "the previous SOTA (TaylorSeer)": what is compared against, not a metric
    if _DEFINED_LABEL_RE.fullmatch(phrase):
        return not is_subject_label(phrase, method)
    named = is_name_label(phrase) and not _MEASURE_ACRONYM_RE.fullmatch(phrase)
    return not is_subject_label(phrase, method) and not (
        named and not (acronym and _ACRONYM_ONLY_RE.fullmatch(phrase))
    )


# A phrase whose head is the other side of a comparison ("the previous SOTA (TaylorSeer)",
# "strong baselines"); "SOTA top-1 accuracy" is headed by its metric.
_BASELINE_HEAD_RE = re.compile(
    r"\b(?:SOTA|baselines?|state[- ]of[- ]the[- ]art)(?:\s*\([^()]*\))?\s*$", re.I
)
# Words for the size of a change that name no quantity: "a relative margin of 10.6%".
# "0.54 s median": a statistic's name names no quantity either.
_GAP_WORDS = frozenset(
    {"margin", "gap", "difference", "lead", "gain", "boost", "uplift", "median", "mean"}
)
_DEFINED_LABEL_RE = re.compile(r"[A-Za-z][\w\-]*(?:\s+[\w\-]+)*\s+\([A-Z][A-Za-z0-9]{1,7}s?\)")


# An acronym (two capitals at least: "JGA", "TPR01", "HD95", not "A100") is a metric's name.
_ACRONYM_ONLY_RE = re.compile(r"(?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Z0-9@\-]{1,7}s?")
# A singular acronym names a measure ("reduces RMSE by 4.7%", "CA-SDRi", its "i" for
# improvement); a plural one counts things ("accelerates MLLMs by 19x"), save the compute
# counts FLOPs and MACs.
_MEASURE_ACRONYM_RE = re.compile(r"(?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Z0-9@\-]{1,7}i?|FLOPs|MACs")
# Units that measure time, throughput or memory, and what a number in them is.
_TIME_UNIT_RE = re.compile(r"(?:ns|ps|µs|μs|ms|s|seconds?|(?:GPU )?hours?)$")
_RATE_UNIT_RE = re.compile(rf"(?:{RATE_UNITS})$")


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
    if hedge := HEDGE_AFTER_RE.match(text, pos, end):
        pos = hedge.end()  # "30% or higher improvement in error"
    if modifier := _MODIFIER_AFTER_RE.match(text, pos, end):
        pos = modifier.end()  # "9.4% absolute improvements"
    if acronym := _ACRONYM_AFTER_RE.match(text, pos, end) or ACRONYM_RE.match(text, pos, end):
        return acronym.group(1), mention.start, acronym.end()  # "34.66% JGA", "22.3% (AUROC)"
    if comparative := _COMPARATIVE_AFTER_RE.match(text, pos, end):
        word = comparative.group(1).lower()
        phrase = phrase_after(text, comparative.end(), end)
        if phrase and word in _SPEED_COMPARATIVES and not names_quantity(phrase[0]):
            phrase = (f"{phrase[0]} speed", phrase[1], phrase[2])  # "faster inference"
        elif phrase and phrase[0].lower() in _QUALITY_OF_ADJECTIVE:
            # "2.2% more accurate": the quantity the adjective is a degree of
            phrase = (_QUALITY_OF_ADJECTIVE[phrase[0].lower()], phrase[1], phrase[2])
        if phrase:
            return phrase[0], mention.start, phrase[2]
        if word in _COMPARATIVE_QUANTITY:
            return _COMPARATIVE_QUANTITY[word], mention.start, comparative.end()
        return None  # "2x lower than": the quantity is named elsewhere
    if change := _CHANGE_OF_RE.match(text, pos, end):
        phrase = phrase_after(text, change.end(), end)
        if phrase and (change.group(1).lower() != "on" or names_quantity(phrase[0])):
            return phrase[0], mention.start, phrase[2]  # "a 3.6x increase in generation speed"
    if share := _SHARE_OF_RE.match(text, pos, end):
        return _share(text, mention, clause, limit, share.end())
    if within := _IN_QUANTITY_RE.match(text, pos, end):
        # "2x in throughput"; "+25.28 in Dynamic Degree" (a score difference names its score);
        # not "2x in most workloads", where it holds
        if within.group(1) == "on" and re.search(r"\bby\s+$", text[clause[0] : limit]):
            return None  # "lowering Q-error by 14.8x on CPU time": where it was measured
        phrase = phrase_after(text, within.end(), end)
        scored = mention.unit == "points" and within.group(1) == "in"
        # "35.28% improvement in Acctask and 23.27% in Accintent": the list names each one
        parallel = (
            re.search(rf"\b{CHANGE}\s+in\s+\S", text[clause[0] : limit], re.I)
            or (phrase and _PARALLEL_IN_RE.match(text, phrase[2], end))
            # "an improvement of 12% in user engagement" is "a 12% improvement in ..."
            or re.search(rf"\b{CHANGE}\s+of\s+(?:up to\s+|about\s+|~)?$", text[:limit], re.I)
        )
        if phrase and scored and not names_quantity(phrase[0]):
            return f"{phrase[0]} score", mention.start, phrase[2]  # "+2.47 points in CodeBLEU"
        if phrase and parallel and within.group(1) == "in":
            return phrase[0], mention.start, phrase[2]
        return (
            (phrase[0], mention.start, phrase[2]) if phrase and _names_measure(phrase[0]) else None
        )
    if phrase := phrase_after(text, pos, end):
        label = phrase[0]
        if mention.unit == "points":
            # "13.87 accuracy points", "2.1 F1 points above BERT": the score is the quantity,
            # "points" its unit (but "30% sampling points" are points sampled)
            label = _POINTS_WORD_RE.split(label, maxsplit=1)[0] or label
        label = TRAILING_CHANGE_RE.sub("", label) or label
        return label, mention.start, phrase[2]
    if (listed := _LISTED_NUMBER_RE.match(text, pos, end)) and text[mention.start : pos].endswith(
        listed.group(1)
    ):
        shared = phrase_after(text, listed.end(), end)  # "82.8% and 81.3% accuracy"
        return (shared[0], mention.start, mention.end) if shared else None
    return None


def _share(
    text: str, mention: Mention, clause: tuple[int, int], limit: int, pos: int
) -> Span | None:
    """'restoring over 90% of the system's performance', 'corrects 17.5% of subexpression
    underestimates': the share is of that quantity. 'adherence to MI standards in 98% of
    utterances': a share of cases measures what holds in them, the phrase before 'in'."""
    phrase = phrase_after(text, pos, clause[1])
    if phrase is None:
        return None
    quantity = names_quantity(phrase[0])
    owner = _SHARE_OWNER_BEFORE_RE.search(text, max(clause[0], limit - 12), limit)
    if owner and not quantity and mention.unit == "%":
        before = phrase_before(text, owner.start(), clause[0])
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
    if label.startswith(_ON_BENCHMARK):
        # "by 3.2% on GSM8K and 5.1% on MATH": the quantity is shared, not where it holds
        where = _benchmark_after(text, mention, clause)
        label = f"{_ON_BENCHMARK}{where}" if where else "performance"
    if re.fullmatch(r"\s*,\s*which\s+(?:is|are|was|were)\s+", text[end:limit]):
        return label, mention.start, mention.end  # "72% accuracy, which is 21 points higher"
    if re.fullmatch(rf"\s*,\s*(?:an?\s+)?(?:\w+\s+)?{CHANGE}\s+of\s+", text[end:limit], re.I):
        return label, mention.start, mention.end  # "97.3% F1, an improvement of 2.6% over X"
    comparative = _COMPARATIVE_AFTER_RE.match(text, mention.end, clause[1])
    if comparative and re.search(
        rf"^(?:\s*{comparative.group(1)})?\s+than\s[^;]{{1,80}}?(?:,\s*|\s)and\s+$", text[end:limit]
    ):
        return label, mention.start, mention.end  # "4.3x lower than A and 5.1x lower than B"
    between = re.sub(r"\([^()]{0,30}\)", "()", text[end:limit])  # "(1.5B)", "(30.5 to 15.3%)"
    between = re.sub(r"\s+by\s*$", " ", between)  # "by 50% on A and by 42% on B"
    joins = list(_LIST_JOIN_RE.finditer(between))
    standalone = re.search(r"(?<![\w.+\-])\d|[;:]", between)  # not the "1" of "T+1"
    if start < clause[0] or len(between) > 60 or not joins or standalone:
        return None
    # Before the last join at most one condition ("on CPU time"); after it nothing: a new noun
    # there ("and storage overheads (206 KiB") names the next number's own metric.
    head, tail = between[: joins[-1].start()], between[joins[-1].end() :]
    if tail.strip(" (") or (len(joins) > 1 and not re.fullmatch(r"[\s,()/]*", head)):
        return None
    if head.strip(" ()") and not re.match(r"\s*\)?\s*(?:on|in|for|at|under|across|with)\s", head):
        return None
    if any(VERB_RE.match(w) or _LINK_WORD_RE.fullmatch(w) for w in WORD_RE.findall(head)):
        return None
    return label, mention.start, mention.end


_LIST_JOIN_RE = re.compile(r"[,(/]|\b(?:and|or)\b")
_LINK_WORD_RE = re.compile(
    r"by|of|to|than|over|is|are|was|were|from|vs|versus|compared|while|whereas|but", re.I
)

# Change verbs: their object (or, with none, their subject) is what changed.
_CHANGE_VERB_RE = re.compile(
    r"\b(?:reduc(?:e|es|ed|ing)|improv(?:e|es|ed|ing)|increas(?:e|es|ed|ing)|boost(?:s|ed|ing)?|"
    r"enhanc(?:e|es|ed|ing)|lower(?:s|ed|ing)|cut(?:s|ting)?|sav(?:e|es|ed|ing)|"
    r"accelerat(?:e|es|ed|ing)|(?:speed(?:s|ing)?|sped)\s+up|rais(?:e|es|ed|ing)|"
    r"decreas(?:e|es|ed|ing)|"
    r"drop(?:s|ped|ping)?|shrink(?:s|ing)?|halv(?:e|es|ed|ing)|restor(?:e|es|ed|ing)|"
    r"recover(?:s|ed|ing)?|correct(?:s|ed|ing)?|fix(?:es|ed|ing)?|captur(?:e|es|ed|ing)|"
    r"shorten(?:s|ed|ing)?|lift(?:s|ed|ing)?|slash(?:es|ed|ing)?|minimi[sz](?:e|es|ed|ing)|"
    r"out-?perform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|beat(?:s|ing)?|exceed(?:s|ed|ing)?)\b",
    re.I,
)
# ", achieving higher performance than X": a new predicate, with its own quantities.
_NEXT_PARTICIPLE_RE = re.compile(r",\s+(?:\w+ly\s+)?\w+ing\b|;|\s+while\s")
_BASELINE_OBJECT_RE = re.compile(
    r"\s+(?:over\s+|upon\s+)?(?:the\s+|an?\s+)?(?:[\w\-]+\s+){0,3}?(?:baselines?|SOTA|"
    r"state[- ]of[- ]the[- ]art(?:\s+(?:methods?|models?|systems?))?)"
    r"(?=\s+(?:by|on|in|across|at|with)\b|\s*[,(])",  # the head: not "SOTA top-1 accuracy"
    re.I,
)
# Verbs whose object is the other side of a comparison: the number is a performance gap.
_OUTPERFORM_RE = re.compile(rf"{OUTPERFORM}|exceed\w*", re.I)


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
    if _NEXT_PARTICIPLE_RE.search(text, verb.end(), limit):
        return None  # "outperforms X, achieving a mAP50 of 81.1%": the number is the participle's
    direct = not text[verb.end() : limit].strip()  # "exceeds 0.42%" (a qualifier), "by 40%"
    compared = _BASELINE_OBJECT_RE.match(text, verb.end(), limit)  # "improves the baseline by"
    if (_OUTPERFORM_RE.fullmatch(verb.group(0)) or compared) and not direct:
        # "outperforms PyTorch by 6.13x": PyTorch is the baseline (so its words are not read);
        # the gap is in what the clause names after the number ("by 2.92x in compression
        # ratio") or in the comparison ("outperforms X on ROI PSNR by"), else in performance.
        rest = _NEXT_PARTICIPLE_RE.search(text, mention.end, clause[1])
        reach = (mention.end, rest.start() if rest else clause[1])
        named = _clause_quantity(text, mention, reach, past_numbers=True)
        named = named or _in_terms_of(text, verb.end(), limit, mention)
        if mention.unit in {"%", "x"}:  # a dB or ms gap is in what its unit measures
            named = named or _stated_quantity(text, clause[0], verb.start(), mention)
        if named:
            return named
        where = _benchmark_after(text, mention, clause)  # "by 3.2% on GSM8K"
        label = f"{_ON_BENCHMARK}{where}" if where else "performance"
        return label, mention.start, mention.end
    if verb.start() < floor and not re.fullmatch(r"\s+to\s+", text[floor:limit]):
        return None  # it governs an earlier number (not the start of "from A to B")
    pos = verb.end()
    while (word := NEXT_WORD_RE.match(text, pos, limit)) and DETERMINER_RE.fullmatch(word.group(1)):
        pos = word.end()
    speeds_up = re.match(r"accelerat|spe", verb.group(0), re.I)
    if (phrase := phrase_after(text, pos, limit)) and not is_name_label(phrase[0]):
        if speeds_up and not names_quantity(phrase[0]):
            return f"{phrase[0]} speedup", phrase[1], phrase[2]  # "accelerates decoding by 2x"
        return phrase
    if speeds_up:
        return "speedup", mention.start, mention.end  # "accelerates ViTs and MLLMs by 19x"
    if phrase:
        return phrase
    subject_end = _AUXILIARY_BEFORE_RE.search(text, clause[0], verb.start())
    subject_at = subject_end.start() if subject_end else verb.start()
    if subject := phrase_before(text, subject_at, clause[0]):
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
    # "a qubit overhead that is 4.3 times lower": the subject of a relative clause
    if relative := re.search(
        r"\s+(?:that|which)\s+(?:is|are|was|were)\s+$", text[clause[0] : limit]
    ):
        antecedent = phrase_before(text, clause[0] + relative.start(), clause[0])
        if antecedent and names_quantity(antecedent[0]):
            return antecedent
    pos = clause[0]
    while (word := NEXT_WORD_RE.match(text, pos, limit)) and DETERMINER_RE.fullmatch(word.group(1)):
        pos = word.end()
    subject = phrase_after(text, pos, limit)
    return subject if subject and names_quantity(subject[0]) else None


_METRIC_BEFORE_RE = re.compile(
    r"(?:((?:[\w\-/@&+]+\s+){1,5}?)(?:(?:of|by|to|from|is|are|was|were|reach\w*|exceed\w*)\b|\()"
    r"\s*(?:\S+\s+){0,2}?[~≈+(]?)$"
)
_FACTOR_OF_BEFORE_RE = re.compile(r"\ban?\s+factor\s+of\s*(?:~|≈|about\s+)?$", re.I)
_PREPOSITION_BEFORE_RE = re.compile(r"\b(?:for|of|on|in|across|under|among)\s+$", re.I)
_MEASURE_HEAD_RE = re.compile(r"\b(?:rate|ratio|score|level|count|number)s?$", re.I)


def _linked(
    text: str,
    mention: Mention,
    clause: tuple[int, int],
    floor: int,
    limit: int,
    *,
    only_of: bool = False,
) -> Span | None:
    """The noun phrase linked to the number: 'average speedup of 2.20x', 'training time by
    12.68%', 'the overhead for security is under 30%' (the head, 'overhead', not 'security').
    With `only_of`, only a phrase linked by "of" ("a mAP50 of 81.1%")."""
    low = max(clause[0], floor)
    end = mention.start  # a qualifier may be the link: "exceeds 0.42%"
    if factor := _FACTOR_OF_BEFORE_RE.search(text, low, end):
        end = factor.start()  # "reducing resolution latency by a factor of 3.8"
    link = _METRIC_BEFORE_RE.search(text[low:end])
    if not link or not link.group(1):
        return None
    if only_of and not re.fullmatch(r"\s*of\s*(?:\S+\s+){0,2}?\S*", text[low + link.end(1) : end]):
        return None  # "average speedup of 2.20x" says it before any verb of the clause does
    phrase = phrase_before(text, low + link.end(1), low)
    if phrase and re.match(r"\s*from\b", text[phrase[2] : end]) and not _names_measure(phrase[0]):
        return None  # "ranging from", "the L-224 variant from 52 to 119 FPS": no quantity
    named_score = phrase and re.fullmatch(r"\s*of\s*\S*", text[phrase[2] : mention.start])
    acronym = phrase and re.search(r"\(([A-Z][A-Za-z0-9]{1,7})\)\s*$", text[low : phrase[1]])
    if phrase and acronym and re.fullmatch(r"scores?", phrase[0], re.I):
        return f"{acronym.group(1)} score", low + acronym.start(), mention.end  # "(IoU) score of"
    if phrase and named_score and re.fullmatch(r"[A-Z][A-Za-z]{1,7}[A-Z]\w*", phrase[0]):
        return f"{phrase[0]} score", phrase[1], mention.end  # "an AuROC of 67.34%"
    # "the performance overhead for security is": the quantity is the head before "for"
    preposition = phrase and _PREPOSITION_BEFORE_RE.search(text, low, phrase[1])
    if phrase and preposition and not names_quantity(phrase[0]):
        head = phrase_before(text, preposition.start(), low)
        if head and (names_quantity(head[0]) or _MEASURE_HEAD_RE.search(head[0])):
            phrase = (head[0], head[1], phrase[2])
    if phrase and (acronym := ACRONYM_RE.match(text, phrase[2])) and ")" not in phrase[0]:
        phrase = (f"{phrase[0]} ({acronym.group(1)})", phrase[1], phrase[2])  # "errors (MAPE)"
    return (phrase[0], phrase[1], mention.end) if phrase else None


def _names_measure(phrase: str) -> bool:
    """A quantity noun or a score's name ('MAPE values', 'latency')."""
    return names_quantity(phrase) or any(is_score_name(w) for w in phrase.split())


_IN_TERMS_RE = re.compile(r"\b(?:in terms of|in|on)\s+(?:the\s+)?")


def _in_terms_of(text: str, start: int, end: int, mention: Mention) -> Span | None:
    """'outperforms X in accuracy by 5%': the quantity the comparison is in."""
    for found in _IN_TERMS_RE.finditer(text, start, end):
        phrase = phrase_after(text, found.end(), end)
        if phrase and names_quantity(phrase[0]):
            return phrase[0], mention.start, mention.end  # "outperforms X on ROI PSNR by"
    return None


def _stated_quantity(text: str, start: int, end: int, mention: Mention) -> Span | None:
    """'achieves accuracies of 97.98% ..., outperforming the baselines by 24.62%': the gap is
    in the quantity the clause stated before the comparison."""
    heads = [
        m
        for m in QUANTITY_RE.finditer(text, start, end)
        if not (
            (after := NEXT_WORD_RE.match(text, m.end(), end))
            and not STOP_RE.fullmatch(after.group(1))
        )
    ]  # a head noun: not "storage" in "two storage devices"
    if not heads or heads[-1].group(0).lower() in {"score", "scores"}:
        return None
    return heads[-1].group(0), mention.start, mention.end


def _sentence_quantity(text: str, mention: Mention, sentence: tuple[int, int]) -> Span | None:
    """'achieves comparable accuracy across all benchmarks, with up to 11.4% gains': a bare
    share or factor measures the quantity the sentence named before it (a time or a size
    measures what its unit does)."""
    if mention.unit not in {"%", "x", "points"}:
        return None
    label = quantity_phrase(text, mention, (sentence[0], mention.start))
    return (label, mention.start, mention.end) if label else None


def _clause_quantity(
    text: str, mention: Mention, clause: tuple[int, int], *, past_numbers: bool = False
) -> Span | None:
    label = quantity_phrase(text, mention, clause, past_numbers=past_numbers)
    return (label, mention.start, mention.end) if label else None


# ---------------------------------------------------------------- "respectively" lists

_LIST_INTRO_RE = re.compile(r"\b(?:in|on|for|of)\s+(?:the\s+)?(?:terms\s+of\s+)?", re.I)


def respective_metric(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'279x and 480x speedups in initialization and query time, respectively': the i-th
    number takes the i-th item of the list before "respectively" (with the noun the numbers
    share: "initialization speedup"). None when the sentence has no such pairing."""
    listed = respective_list(text, mention, sentence)
    if listed is None:
        return None
    group, position, resp = listed
    tail = text[group[-1].end() : resp.start()]
    if unit := UNIT_RE.match(tail):
        tail = tail[unit.end() :]
    intro = _last_intro(tail)
    if intro is None:
        return _respective_object(text, sentence[0], group, position) or _respective_earlier(
            text, sentence[0], group, position
        )
    noun = noun_phrase(WORD_RE.findall(tail[: intro.start()]))
    items = list_items(tail[intro.end() :])
    if len(items) != len(group):
        # "by 8.1% and 9.4% on average, respectively": the list is before the numbers
        return _respective_object(text, sentence[0], group, position)
    item = " ".join(WORD_RE.findall(items[position])[:4])
    if intro.group(0).lower().startswith(("for", "on")) and not names_quantity(item):
        return None  # "by 1.7%, 1.1% and 0.5% for ViT, DeiT and Swin": where each holds
    last = WORD_RE.findall(items[-1])
    if len(item.split()) == 1 and len(last) >= 3 and names_quantity(" ".join(last[1:])):
        # "offline, online and total communication overhead": the head noun is shared
        item = f"{item} {' '.join(last[1:])}" if position < len(items) - 1 else " ".join(last)
    noun = TRAILING_CHANGE_RE.sub("", noun) if noun else ""
    noun = re.sub(r"(?<=up)s$", "", noun) if noun and names_quantity(noun) else ""
    label = f"{item} {noun}".strip() if noun and noun.lower() not in item.lower() else item
    return label or None


def _last_intro(tail: str) -> re.Match[str] | None:
    """The last "in"/"on"/"for"/"of" before "respectively": where the paired list starts."""
    intro = None
    for found in _LIST_INTRO_RE.finditer(tail):
        intro = found
    return intro


def _respective_item(
    text: str, group: list[re.Match[str]], position: int, resp: re.Match[str], *, intro: str
) -> str | None:
    """The item of the list after the numbers, introduced by `intro`, paired with the number
    at `position` ("by 1.7% and 0.5% on ViT and Swin, respectively": "Swin" for 0.5%)."""
    tail = text[group[-1].end() : resp.start()]
    found = _last_intro(tail)
    if found is None or not found.group(0).lower().startswith(intro):
        return None
    items = list_items(tail[found.end() :])
    if len(items) != len(group):
        return None
    return " ".join(WORD_RE.findall(items[position])[:4]) or None


# "reduces latency and memory by": the list a change verb (or "of") links to the numbers.
_OBJECT_LIST_RE = re.compile(
    r"\b(?:[A-Za-z]+)\s+((?:the\s+|its\s+|their\s+)?(?:(?!\s\d)[^,;.()]){2,80}?)"
    r"\s+(?:by|of)\s+(?:up to\s+|about\s+|~)?$",
    re.I,
)


def _respective_object(
    text: str, start: int, group: list[re.Match[str]], position: int
) -> str | None:
    """'reduces latency and memory by 35% and 48%, respectively', 'achieves a precision and
    recall of 91% and 87%, respectively': the i-th number measures the i-th item of the list
    before "by"/"of", when the list has one item per number and each is a noun phrase."""
    head = text[start : group[0].start()]
    verbs = list(_CHANGE_VERB_RE.finditer(head)) or [
        m for m in re.finditer(r"\b\w+", head) if VERB_RE.match(m.group(0))
    ]
    if not verbs:
        return None
    listed = _OBJECT_LIST_RE.match(head, verbs[-1].start())
    if listed is None:
        return None
    items_text = re.sub(r"^(?:the|its|their|an?)\s+", "", listed.group(1).strip(), flags=re.I)
    items = list_items(items_text)
    if len(items) != len(group) or not all(noun_phrase(WORD_RE.findall(i)) == i for i in items):
        return None
    return items[position]


def _respective_earlier(
    text: str, start: int, group: list[re.Match[str]], position: int
) -> str | None:
    """'91.2% precision and 87.5% recall, outperforming the baseline by 4.3% and 6.1%,
    respectively': with no list of its own, the i-th number measures what the i-th of the as
    many numbers listed just before it does, when each of those names its quantity."""
    earlier = list(NUMBER_RE.finditer(text, start, group[0].start()))[-len(group) :]
    if len(earlier) != len(group):
        return None
    labels = []
    for number in earlier:
        pos = number.end()
        if unit := UNIT_RE.match(text, pos):
            pos = unit.end()
        phrase = phrase_after(text, pos, group[0].start())
        if phrase is None or not names_quantity(phrase[0]):
            return None
        labels.append(phrase[0])
    return labels[position] if len(set(labels)) == len(labels) else None
