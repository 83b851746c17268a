"""What a claimed number measures and against what: the metric, baseline and condition labels
of the offline engine, read from the words around the number (agent/summarize/offline_patterns.py
decides which numbers are claims)."""

from __future__ import annotations

import re

from agent.summarize.offline_patterns import ABSOLUTE_UNITS, NUM, NUMBER_RE, UNIT_RE, Mention

# ---------------------------------------------------------------- metric, baseline, condition

# Words that end a metric noun phrase.
_STOP_RE = re.compile(
    r"than|compared|over|on|for|in|with|while|and|at|when|of|to|the|an?|by|across|without|under|"
    r"from|respectively|vs|versus|against|relative|its|their|our|this|that|which|as|is|are|was|"
    r"were|be|or|it|we|using|through|into|via",
    re.I,
)
_VERB_RE = re.compile(
    r"^(?:reduc|improv|achiev|increas|boost|enhanc|lower|cut|sav|deliver|provid|outperform|show|"
    r"obtain|attain|yield|reach|maintain|recover|incur|accelerat|rais|decreas|surpass|"
    r"demonstrat|offer|exhibit|gain|bring|enabl|attend|exceed|slow)\w*$",
    re.I,
)
_WORD_RE = re.compile(r"[A-Za-z][\w\-/@&+]*")
_COMPARATIVE = r"(?:higher|lower|better|faster|more|less|fewer|smaller|larger|greater|bigger)"
_CHANGE = r"(?:increase|improvement|reduction|enhancement|gain|speedup|speed-up|decrease|boost)s?"
_METRIC_AFTER_RE = re.compile(
    rf"\s*(?:{_COMPARATIVE}\s+|in\s+(?:the\s+)?)?(?:{_CHANGE}\s+in\s+(?:the\s+)?)?"
    r"((?:[A-Za-z][\w\-/@&+]*\s*){1,4})"
)
_METRIC_BEFORE_RE = re.compile(
    r"(?:((?:[\w\-/@&+]+\s+){1,5}?)(?:of|by|to|is|are|was|were|reach\w*|exceed\w*|\()"
    r"\s*(?:\S+\s+){0,2}?)$"
)
_OUTPERFORM_RE = re.compile(r"(?:out-?perform|surpass|exceed|beat)\w*\s+(?:the\s+)?$")
_TRAILING_CHANGE_RE = re.compile(rf"\s+{_CHANGE}$|\s+scores?$", re.I)


def _noun_phrase(words: list[str]) -> str:
    phrase: list[str] = []
    for word in words:
        if _STOP_RE.fullmatch(word) or _VERB_RE.match(word):
            break
        phrase.append(word)
    return " ".join(phrase)


def metric_of(
    text: str, mention: Mention, clause: tuple[int, int], floor: int, limit: int
) -> tuple[str, int, int]:
    """A short noun phrase for what changed, and the span of it next to the number (for the
    quote): the words after the unit ("2.09x end-to-end performance gains"), else the words
    before "of"/"by"/"to" ("average speedup of 2.20x", "reduces training time by 12.68%")."""
    after = _METRIC_AFTER_RE.match(text[: clause[1]], mention.end)
    phrase = _noun_phrase(_WORD_RE.findall(after.group(1))) if after else ""
    if after and phrase and not re.fullmatch(_COMPARATIVE, phrase):
        phrase = _TRAILING_CHANGE_RE.sub("", phrase) or phrase
        end = text.index(phrase.split()[-1], after.start(1)) + len(phrase.split()[-1])
        return phrase, mention.start, end
    before = text[max(clause[0], floor) : limit]
    if link := _METRIC_BEFORE_RE.search(before):
        words = _WORD_RE.findall(link.group(1) or "")
        if reversed_phrase := _noun_phrase(list(reversed(words))):
            phrase = " ".join(reversed(reversed_phrase.split()))
            start = text.rfind(phrase.split()[0], max(clause[0], floor), limit)
            if _OUTPERFORM_RE.search(text[clause[0] : max(start, clause[0])]):
                # "outperforms the prior approach by 49.5%": the phrase is the baseline.
                return "performance", mention.start, mention.end
            return phrase, start if start >= 0 else mention.start, mention.end
    fallback = {"x": "speedup", "%": "improvement", "FPS": "speed"}.get(mention.unit or "", "")
    if not fallback:
        fallback = "memory" if ABSOLUTE_UNITS.match(mention.unit or "") else "score"
    return fallback, mention.start, mention.end


_BASELINE_RE = re.compile(
    r"\b(?i:compared (?:with|to)|(?<!rather )than(?!\s+(?:an?\s+)?[\d~])|versus|vs\.?|against|"
    r"relative to|out-?perform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|on par with|comparable to|"
    r"matching|superior (?:\w+\s+)?to|"
    r"over(?!\s+(?:an?\s|the\s+(?:first|course|past)|\d|~|more|half)))\s+"
    r"((?:the\s+)?(?:[^,;.()]|\.(?=\d)){2,80}?)(?=\s+(?:on|in|when|while|across|for|by|with|at|under|and|of|"
    r"respectively)\b|[,;()]|\.(?:\s|$)|$)"
)


def baseline_of(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """What the number is compared against, as the abstract says it: "than vanilla reversible
    training", "compared to GLibcs allocator", "outperforms PyTorch by", "from 35.0 to"."""
    start = mention.start
    previous = re.search(rf"from\s+({NUM}(?:\s?\S+)?)\s+to\s+\S*$", text[sentence[0] : start])
    if previous and not re.search(r"rang\w*\s+from", text[sentence[0] : start][-40:]):
        return previous.group(1)
    if share := re.match(
        r"\s*of\s+(?:the\s+)?[\w\-]+(?:\s+[\w\-]+)?\s+of\s+([^,;.()]{3,60})",
        text[mention.end : sentence[1]],
    ):
        return share.group(1).strip()  # "75% of the throughput of serving a single LoRA"
    if found := _compared_to(text, mention.end, sentence[1], sentence[0], mention.start):
        return found
    # "For instance, ..." gives an example of the comparison the sentence before made.
    if sentence[0] > 0 and re.match(r"(?i:for (?:instance|example))", text[sentence[0] :]):
        previous_start = max(text.rfind(". ", 0, sentence[0] - 2) + 2, 0)
        return _compared_to(text, sentence[0], sentence[0], previous_start, sentence[0])
    return None


def _compared_to(text: str, after: int, end: int, start: int, before: int) -> str | None:
    """The first comparison in text[after:end], else the last one in text[start:before]."""
    following = list(_BASELINE_RE.finditer(text, after, end))
    preceding = list(_BASELINE_RE.finditer(text, start, before))
    for match in following[:1] + preceding[::-1]:
        phrase = match.group(1).strip()
        if phrase and not re.match(rf"{NUM}", phrase):
            return phrase
    return None


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


def respective_metric(text: str, mention: Mention, sentence: tuple[int, int]) -> str | None:
    """'279x and 480x speedups in initialization and query time, respectively': the i-th
    number takes the i-th item of the list before "respectively" (with the noun the numbers
    share: "initialization speedup"). None when the sentence has no such pairing."""
    end = sentence[1]
    resp = _RESPECTIVELY_RE.search(text, mention.end, end)
    if resp is None:
        return None
    # The numbers of the list: the mention and its neighbours joined by ",", "and", "/".
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
            or _QUANTITY_RE.fullmatch(word)
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
