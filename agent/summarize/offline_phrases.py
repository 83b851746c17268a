"""The words of a phrase, for the offline engine's labels (agent/summarize/offline_labels.py,
offline_baselines.py): where a noun phrase starts and ends around a number, which nouns name a
measured quantity, and which labels are only names or the method itself. No decision about a
number is made here."""

from __future__ import annotations

import re

from agent.summarize.offline_patterns import NUMBER_RE, Mention

# ---------------------------------------------------------------- the words of a phrase

# Words that end a metric noun phrase.
STOP_RE = re.compile(
    r"than|compared|over|on|for|in|with|while|and|at|when|of|to|the|an?|by|across|without|under|"
    r"from|respectively|vs|versus|against|relative|its|their|our|this|that|which|as|is|are|was|"
    r"were|be|or|it|we|using|through|into|via|within|per|among|toward|towards|including|such|"
    r"like|can|could|may|might|will|would|should|must|whilst|after|before|during|yet|"
    # conjunctions and prepositions that open a clause or a comparison: "85% once 50+ skills",
    # "+0.051 COMET above the baseline"
    r"once|until|unless|because|since|although|though|if|whether|whereas|above|below|beyond|"
    # predicate adjectives: "was able to find 91%", "was successful on 80% of tasks"
    r"able|unable|successful|effective|capable|comparable|similar|superior|"
    r"(?:significant|substantial|considerable|remarkable|notable|dramatic|consistent)(?:ly)?",
    re.I,
)
# Verbs and change words: they end a noun phrase too ("memory savings" is about memory).
VERB_RE = re.compile(
    r"^(?:reduc|improv|achiev|increas|boost|enhanc|lower|cut|sav|deliver|provid|outperform|show|"
    r"obtain|attain|yield|reach|maintain|recover|incur|accelerat|rais|decreas|surpass|"
    r"demonstrat|offer|exhibit|gain|bring|enabl|attend|exceed|slow|keep|preserv|retain)"
    r"\w*(?<!ance|ence|ness)$",
    re.I,
)
WORD_RE = re.compile(r"[A-Za-z][\w\-/@&+]*")
# A word of a phrase; "3D" and "2D" are words too ("3D model quality").
NEXT_WORD_RE = re.compile(r"\s*([A-Za-z][\w\-/@&+]*|\d[A-Z][\w\-]*)")
LAST_WORD_RE = re.compile(r"([A-Za-z][\w\-/@&+]*|\d[A-Z][\w\-]*)\s*$")
# Words between a verb and its object that are neither ("reduces the", "improves further").
DETERMINER_RE = re.compile(
    r"the|an?|its|their|our|this|these|those|both|all|\w+ly|further|also|even|still|"
    r"is|are|was|were|be|been|being|can|could|will|would|may|might",
    re.I,
)
# "equal error rate (EER)": an acronym right after a phrase belongs to it.
ACRONYM_RE = re.compile(r"\s*\(([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*s?)\)")
COMPARATIVE = r"(?:higher|lower|better|faster|more|less|fewer|smaller|larger|greater|bigger)"
CHANGE = r"(?:increase|improvement|reduction|enhancement|gain|speedup|speed-up|decrease|boost)s?"
TRAILING_CHANGE_RE = re.compile(
    r"\s+(?:increase|improvement|reduction|enhancement|gain|decrease|boost)s?$|\s+scores?$", re.I
)

Span = tuple[str, int, int]  # a phrase and where it is written


def noun_phrase(words: list[str]) -> str:
    phrase: list[str] = []
    for word in words:
        if STOP_RE.fullmatch(word) or VERB_RE.match(word):
            break
        phrase.append(word)
    return " ".join(phrase)


# A metric label joins at most this many phrases ("the number of tokens and FP performance").
_MAX_JOINS = 2


def phrase_after(
    text: str, pos: int, end: int, limit: int = 4, joins: int = _MAX_JOINS
) -> Span | None:
    """The noun phrase that starts at `pos`: at most `limit` words, up to a stop word, a verb
    or punctuation, with the acronym it defines ("equal error rate (EER)"); a possessor is
    not the head ("the system's performance" → "performance"). At most `joins` phrases are
    joined on by "of", "and" or "or", so a chain of them cannot run the reading away."""
    first, last, words = -1, -1, list[str]()
    while len(words) < limit and (match := NEXT_WORD_RE.match(text, pos, end)):
        word = match.group(1)
        if STOP_RE.fullmatch(word) or VERB_RE.match(word):
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
    if acronym := ACRONYM_RE.match(text, last, end):
        return f"{' '.join(words)} ({acronym.group(1)})", first, acronym.end()
    phrase = " ".join(words)
    joint = NEXT_WORD_RE.match(text, last, end)
    joiner = joint.group(1).lower() if joint else ""
    measure = joint and joiner == "of" and words[-1].lower() in _MEASURE_NOUNS
    if not joins:
        return phrase, first, last
    if joint and measure and (rest := phrase_after(text, joint.end(), end, limit, joins - 1)):
        return f"{phrase} of {rest[0]}", first, rest[2]  # "the number of activated parameters"
    if joint and joiner in {"and", "or"} and not names_quantity(phrase):
        rest = phrase_after(text, joint.end(), end, limit, joins - 1)
        if rest and names_quantity(rest[0]):
            return f"{phrase} {joiner} {rest[0]}", first, rest[2]  # "integer and FP performance"
    return phrase, first, last


# Nouns that count or measure what follows their "of".
_MEASURE_NOUNS = {"number", "amount", "fraction", "share", "proportion", "percentage", "count"}


def phrase_before(text: str, pos: int, start: int, limit: int = 4) -> Span | None:
    """The noun phrase that ends at `pos` (read backwards, as `phrase_after` reads on)."""
    words: list[str] = []
    first, last = pos, -1
    while len(words) < limit and (match := LAST_WORD_RE.search(text, start, first)):
        word = match.group(1)
        head = not words and re.fullmatch(CHANGE, word, re.I)  # "token reduction (29.8%"
        if not head and (STOP_RE.fullmatch(word) or VERB_RE.match(word)):
            break
        if match.start(1) > start and text[match.start(1) - 1] in "'’":
            break  # the "re" of "they're"
        words.insert(0, word)
        last = match.end(1) if last < 0 else last
        first = match.start(1)
        if first > start and not text[first - 1].isspace():
            break  # "(", ",", a quote mark: the phrase starts here
    return (" ".join(words), first, last) if words else None


_DEFINED_TERM_RE = re.compile(r"((?:[A-Za-z][\w\-]*\s+){1,5}[A-Za-z][\w\-]*)\s*\(([A-Z]{2,8})s?\)")


def _defined_term(text: str, start: int, end: int) -> Span | None:
    """'time to first token (TTFT)': a term with stop words in it, when the acronym after it
    spells its initials."""
    match = _DEFINED_TERM_RE.match(text, start, end)
    if not match:
        return None
    if not spells(match.group(1), match.group(2)):
        return None
    return f"{' '.join(match.group(1).split())} ({match.group(2)})", start, match.end()


def spells(words: str, acronym: str) -> bool:
    """Whether the initials of `words` (hyphenated parts each count) spell `acronym`."""
    initials = "".join(w[0] for w in re.split(r"[\s\-]+", words) if w)
    return initials.lower() == acronym.lower()


# ---------------------------------------------------------------- metric named elsewhere

# Nouns that name a measured quantity (the families of ANNOTATION.md and a few general ones).
_QUANTITY = (
    r"(?i:speed-?ups?|speed|throughput|latency|latencies|runtime|run-time|(?<!real )time|"
    r"memory|footprint|KV[- ]cache|storage|accuracy|accuracies|error(?: rate)?s?|precision|"
    r"recall|perplexity|"
    r"success rates?|win rates?|cost|costs|price|energy|power|overheads?|bandwidth|traffic|"
    r"communication|parameters|compression(?: ratio)?|performance|quality|efficiency|"
    r"utili[sz]ation|usage|consumption|exact match|correlation|scores?)"
    # "pass@1", "Hits@10": a metric at a cut-off
    r"|(?i:pass|hits?)@\d+"
    # acronyms only as written: "mAP" is a score, "map" is not; "macro-F1" is F1
    r"|(?:[a-z]+-)?(?:FPS|fps|VRAM|F1|BLEU|ROUGE(?:-\w+)?|mAP|AP|WER|CER|FID|PSNR|SSIM|mIoU|EM|AUC|AUROC|"
    r"AuROC|AUPRC|NDCG|MRR|Acc)(?:@?\d+(?:-\d+)?)?(?:-[Ss]core)?"
)
QUANTITY_RE = re.compile(rf"(?<![\w-])(?:{_QUANTITY})(?![\w-])")
# A plural head names the things compared, never what was measured of them.
_SUBJECT_HEAD_RE = re.compile(
    r"(?:models|methods|approaches|systems|frameworks|baselines|LLMs|agents)", re.I
)
_SUBJECT_WORDS = re.compile(
    r"(?:method|approach|framework|system|model|kernel|scheme|technique|design|algorithm|"
    r"it|ours|work|paper)s?",
    re.I,
)


def names_quantity(phrase: str) -> bool:
    """Whether a metric phrase names a measured quantity ('top-1 accuracy', 'memory')."""
    return bool(QUANTITY_RE.search(phrase))


def quantity_phrase(
    text: str, mention: Mention, clause: tuple[int, int], *, past_numbers: bool = False
) -> str | None:
    """The quantity the clause says the number measures when it is not written next to it:
    "improves the top-1 accuracy of ViT on ImageNet by up to 1.7%" gives "top-1 accuracy".
    The nearest quantity noun before the number in the clause, else the nearest after (before
    the next number, whose quantity that is, unless `past_numbers`: "outperforms A by 10.95x
    and B by 2.92x in compression ratio"); with the modifiers right before it ("end-to-end",
    "top-1", "query")."""
    # not a quantity written right after another number ("reach 100% accuracy on A, and on B
    # improve by 10.4 points"): that number's own label
    before = [
        m
        for m in QUANTITY_RE.finditer(text, clause[0], mention.start)
        if not _OWN_NUMBER_BEFORE_RE.search(text, max(clause[0], m.start() - 12), m.start())
    ]
    following = None if past_numbers else NUMBER_RE.search(text, mention.end, clause[1])
    after = list(
        QUANTITY_RE.finditer(text, mention.end, following.start() if following else clause[1])
    )
    found = before[-1] if before else (after[0] if after else None)
    if found is None or found.group(0).lower() in {"score", "scores"}:
        return None
    # the modifiers written right before it, not across a number or punctuation
    lead = re.search(
        r"(?:[A-Za-z][\w\-/@&+]*\s+){0,2}$",
        text[max(clause[0], found.start() - 40) : found.start()],
    )
    words = WORD_RE.findall(lead.group(0)) if lead else []
    modifiers: list[str] = []
    for word in reversed(words[-2:]):
        if (
            len(word) < 2
            or STOP_RE.fullmatch(word)
            or VERB_RE.match(word)
            or _SUBJECT_WORDS.fullmatch(word)
        ):
            break
        modifiers.insert(0, word)
    label = " ".join([*modifiers, found.group(0)])
    if acronym := ACRONYM_RE.match(text, found.end()):
        label += f" ({acronym.group(1)})"  # "errors (MAPE)": the term's own acronym
    return label


# A number of its own right before the phrase ("2.3% higher accuracy"), not a digit inside a
# name ("top-1 accuracy", "GPT-4", "Llama-2").
_OWN_NUMBER_BEFORE_RE = re.compile(
    r"(?<![\w.,@-])\d+(?:[.,]\d+)*\s?(?:%|x|×|\\%|\$\\times\$)?\s+(?:higher\s+|lower\s+)?$"
)


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
    if words and _SUBJECT_HEAD_RE.fullmatch(words[-1]):
        return True  # "closed-source models improve by 10.4 points": who improved, not what
    return all(_SUBJECT_WORDS.fullmatch(w) or STOP_RE.fullmatch(w) for w in words)


# ---------------------------------------------------------------- "respectively" lists

RESPECTIVELY_RE = re.compile(r",?\s*respectively\b", re.I)
LIST_ITEM_SPLIT_RE = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")


def list_items(text: str) -> list[str]:
    """The items of a written list ("A, B and C"), stripped, none empty."""
    return [i.strip() for i in LIST_ITEM_SPLIT_RE.split(text) if i.strip()]


def respective_list(
    text: str, mention: Mention, sentence: tuple[int, int]
) -> tuple[list[re.Match[str]], int, re.Match[str]] | None:
    """The numbers listed with the mention before "respectively" (joined by ",", "and",
    "/"), the mention's place among them, and the "respectively"."""
    resp = RESPECTIVELY_RE.search(text, mention.end, sentence[1])
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


def is_noun_phrase(phrase: str) -> bool:
    """No verb, participle or preposition in it: 'TensorFlow XLA', 'the strongest baseline'."""
    words = WORD_RE.findall(re.sub(r"^(?:the|an?)\s+", "", phrase, flags=re.I))
    return bool(words) and not any(
        VERB_RE.match(w) or w.endswith("ing") or STOP_RE.fullmatch(w) for w in words
    )
