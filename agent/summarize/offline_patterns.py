"""Pattern rules of the offline engine: find the claimed gains of an abstract without an LLM.

The rules follow evals/data/ANNOTATION.md. A number is a candidate when it carries a unit a
result is stated in (a factor, a percent, a score, a memory or time amount) or sits in a list
with one that does. A candidate is dropped when its context says it is not the paper's own
result: a problem statement ("causes ... to drop", "theoretical overhead"), the starting point of
a change ("from 0.67% to 0.81%" claims 0.81%), a setting ("with a 20% pruning ratio") or the size
of another model ("rivals models 7 times larger"). Names with digits ("LLaMA-7B", "A100-80GB",
"8xA100") are never candidates, which removes most set-up numbers before any rule runs.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from agent.core.models import Kind, Qualifier

_NUM = r"\d+(?:\.\d+)?"
# Unit spellings, longest first; each maps to the unit a Gain records.
_UNIT_RE = re.compile(
    r"""(?P<factor>\s?\$\\times\$|\s?\\times|\s?×|\s?[xX](?![A-Za-z0-9])|\s?times(?![A-Za-z])|-?fold)
      |(?P<percent>\s?\\%|\s?%|\s?percentage\ points?|\s?percent)
      |(?P<bandwidth>\s?(?:[KMGT]i?B/s|req/s|tokens/s|QPS)(?![A-Za-z]))
      |(?P<memory>\s?(?:[KMGT]i?B)(?![A-Za-z/]))
      |(?P<time>\s?(?:ns|ps|µs|μs|ms)(?![A-Za-z])|\s(?:GPU[- ])?hours|\s?s(?=[\s,.;)])|\s?seconds)
      |(?P<physical>\s?(?:mW|dB)(?![A-Za-z]))
      |(?P<rate>\s?(?:FPS|fps)(?![A-Za-z]))
      |(?P<points>\s(?:points?|pts)(?![A-Za-z]))
      |(?P<metric>\s(?:J&F|mAP|AP|BLEU|ROUGE(?:-\w+)?|FID|PSNR|SSIM|mIoU|WER|CER|dB)(?![\w&]))
    """,
    re.VERBOSE,
)
_RANGE_SEP_RE = re.compile(r"\s?(?:--|—|-|–|~|∼|\\sim|sim|(?<=\s)to)\s?(?=\d)")
_LIST_SEP_RE = re.compile(r"(?:\s*,\s*(?:and\s+)?|\s+and\s+|/)")
# A number glued to a name or a word ("LLaMA-7B", "FP16", "GPT-4.1", "8xA100", "13B").
_GLUED_BEFORE_RE = re.compile(r"(?:[A-Za-z_.^$]|[A-Za-z0-9]-|[A-Za-z]/)$")
_NUMBER_RE = re.compile(rf"(?<![\d.,])\+?({_NUM})")


@dataclass
class Mention:
    """One stated number with its unit, as character offsets into the abstract."""

    start: int  # where the quote of the number starts (sign included)
    end: int  # end of the number and its unit
    value: float
    value_high: float | None
    unit: str | None
    setup: bool = False  # a glued or set-up number that never becomes a gain


def _unit_name(match: re.Match[str]) -> str:
    kind = match.lastgroup or ""
    text = match.group(0).strip()
    if kind == "factor":
        return "x"
    if kind == "percent":
        return "%"
    if kind == "points":
        return "points"
    if kind == "time" and "hour" in text:
        return text.replace("-", " ")
    if kind == "time" and text == "seconds":
        return "s"
    return "FPS" if kind == "rate" else text


def _unit_at(text: str, pos: int) -> tuple[str, int] | None:
    """The unit written at `pos` and where it ends, or None."""
    match = _UNIT_RE.match(text, pos)
    return (_unit_name(match), match.end()) if match else None


def find_mentions(text: str) -> list[Mention]:
    """Every number of `text` with the unit it is written with (None when it has none)."""
    mentions: list[Mention] = []
    pos = 0
    while match := _NUMBER_RE.search(text, pos):
        pos = match.end()
        start, num_end = match.start(), match.end(1)
        value = float(match.group(1))
        glued = bool(_GLUED_BEFORE_RE.search(text[max(0, start - 3) : start]))
        unit = _unit_at(text, num_end)
        end = unit[1] if unit else num_end
        value_high: float | None = None
        sep = _RANGE_SEP_RE.match(text, end)
        if (
            sep
            and "to" in sep.group(0)
            and re.search(r"\bfrom\s+$", text[max(0, start - 8) : start])
        ):
            sep = None  # "from 35.0 to 52 FPS" is a change, not a range
        if sep and (high := _NUMBER_RE.match(text, sep.end())):
            high_unit = _unit_at(text, high.end())
            if high_unit and (unit is None or unit[0] == high_unit[0]):
                value_high, unit, end = float(high.group(1)), high_unit, high_unit[1]
                pos = end
            elif unit is None and high_unit is None and _BETTER_AFTER_RE.match(text, high.end()):
                value_high, unit, end = float(high.group(1)), ("points", high.end()), high.end()
                pos = end
        after = text[end : end + 1]
        if (unit is None and after[:1].isalpha()) or (unit and unit[0] == "x" and after == "-"):
            glued = True  # "13B", "4D", "32K", "2x-" are names and sizes
        if _not_a_quantity(text, start, num_end, end):
            glued = True
        mentions.append(Mention(start, end, value, value_high, unit[0] if unit else None, glued))
    _share_units(text, mentions)
    return mentions


# "4 x 4", "256×256", "3x3": a factor sign between two numbers is a dimension.
_DIMENSION_AFTER_RE = re.compile(r"\s?[x×]\s?\d")
_DIMENSION_BEFORE_RE = re.compile(r"\d\s?[x×]\s?$")
# An exponent, an index or an error bar: "1^{+1.39}_{-0.59}", "0.5 ± 0.1", "10^-3", "p < 0.05".
_SCRIPT_BEFORE_RE = re.compile(r"(?:[\^_]|±|\+/-|\+-)\s?[+\-−]?$|\bp\s?[<=>≤]\s?$", re.I)
_SCRIPT_AFTER_RE = re.compile(r"\s?(?:\^|_)")
# "95% confidence", "at the 99% level", "90% CI", "95% credible interval", "95th percentile".
_CONFIDENCE_AFTER_RE = re.compile(
    r"\s?(?:%|percent)?\s*(?:confidence|credible|CI\b|C\.L\.|CL\b|significance|level)", re.I
)
# "(96.01% vs. 55.68%)": the number after "vs." is the other side of the comparison.
_VERSUS_BEFORE_RE = re.compile(
    r"\b(?:vs\.?|versus|compared (?:to|with)|relative to|against)\s+(?:(?:only|the|a|an)\s+)?$"
    r"|\b(?:surpass|outperform|beat|exceed)\w*\s+(?:the|a|an)\s+$",
    re.I,
)


def _not_a_quantity(text: str, start: int, num_end: int, end: int) -> bool:
    """True when the number is a dimension, an exponent or error bar, a p-value, a
    confidence level or the baseline side of "A vs. B": never a claimed gain."""
    before = text[max(0, start - 24) : start]
    return bool(
        _DIMENSION_AFTER_RE.match(text, num_end)
        or _DIMENSION_BEFORE_RE.search(before)
        or _SCRIPT_BEFORE_RE.search(before)
        or _SCRIPT_AFTER_RE.match(text, end)
        or _CONFIDENCE_AFTER_RE.match(text, end)
        or _VERSUS_BEFORE_RE.search(before)
    )


def _share_units(text: str, mentions: list[Mention]) -> None:
    """Give the bare members of a list the unit of the list: "87.7, 70.0 and 71.7 J&F",
    "speeds of 273/169/124/78 FPS", "AP scores of 49.7/53.5/55.4/57.0"."""
    for left, right in reversed(list(itertools.pairwise(mentions))):
        bare_before_unit = left.unit is None and not left.setup and right.unit and not right.setup
        if bare_before_unit and _LIST_SEP_RE.fullmatch(text[left.end : right.start]):
            left.unit = right.unit
    for mention in mentions:
        if mention.unit is None and not mention.setup:
            signed = text[mention.start] == "+"
            before = text[max(0, mention.start - 60) : mention.start]
            mention.unit = (
                "points"
                if signed
                else _score_unit(before) or _named_score_unit(text, mention) or _factor_of(before)
            )
    for left, right in itertools.pairwise(mentions):
        bare_after_unit = right.unit is None and not right.setup and left.unit and not left.setup
        if bare_after_unit and re.fullmatch(r"/|\s+to\s+", text[left.end : right.start]):
            right.unit = left.unit


_SCORE_BEFORE_RE = re.compile(
    r"(?:\b(?P<acr>[A-Z][A-Za-z&\-]*[A-Z])\s+)?scores?\s+(?:of|from|to|reaching)\s+$"
)
_BETTER_AFTER_RE = re.compile(r"\s+(?:higher|lower|better)\s+[a-z]")


# Scores reported as bare numbers next to their name: "Dice 0.8044", "AUC of 0.83",
# "0.981 F1-score", "Cohen's kappa of 0.528", "0.707 accuracy". The name is the unit.
_SCORE_NAMES = (
    r"Dice|DSC|IoU|mIoU|AUC|AUROC|AUPRC|F1|F1-score|kappa|accuracy|precision|recall|"
    r"sensitivity|specificity|correlation|BLEU|ROUGE(?:-\w+)?|METEOR|CIDEr|SSIM|PSNR|FID|LPIPS|"
    r"EM|MRR|NDCG(?:@\d+)?|mAP|AP|ASSD|HD95|R2|R\^2"
)
_NAME_BEFORE_RE = re.compile(
    rf"(?<![\w-])(?P<name>{_SCORE_NAMES})(?:\s*(?:score|coefficient))?\s*(?:of|=|:|was|is|reaches|"
    r"reached|of\s+about|around)?\s*$",
    re.I,
)
_NAME_AFTER_RE = re.compile(rf"\s+(?P<name>{_SCORE_NAMES})(?![\w-])(?:[- ]score)?", re.I)
_FACTOR_OF_RE = re.compile(r"\bfactor\s+of\s+(?:~|≈|about\s+|approximately\s+)?$", re.I)


def _named_score_unit(text: str, mention: Mention) -> str | None:
    """The score a bare number is given as, when it is named right next to it."""
    after = _NAME_AFTER_RE.match(text, mention.end)
    before = _NAME_BEFORE_RE.search(text[max(0, mention.start - 40) : mention.start])
    match = before or after  # "Dice 0.8044, IoU 0.6730": a name before its number first
    if match is None:
        return None
    name = match.group("name")
    return {"f1-score": "F1"}.get(name.lower(), name)


def is_score_name(unit: str) -> bool:
    """Whether a unit is the name of a score ("Dice", "AUC"), which is then also the metric."""
    return bool(re.fullmatch(_SCORE_NAMES, unit, re.I))


def _factor_of(before: str) -> str | None:
    """'by a factor of 3.8': a factor."""
    return "x" if _FACTOR_OF_RE.search(before[-30:]) else None


def _score_unit(before: str) -> str | None:
    """The unit of a bare score: "SUC score from 0.703" is SUC, "a score of 59.4" is points."""
    match = _SCORE_BEFORE_RE.search(before[-60:])
    if not match:
        return None
    if match.group("acr"):
        return match.group("acr")
    return "points"


def bare_difference_unit(text: str, mention: Mention) -> str | None:
    """'0.13sim2.41 lower character error rate': an absolute difference of a score, in points."""
    if mention.unit is None and not mention.setup and _BETTER_AFTER_RE.match(text, mention.end):
        return "points"
    return mention.unit


# ---------------------------------------------------------------- sentences and clauses

_CLAUSE_BREAK_RE = re.compile(
    r";|,\s+(?:while|whereas|which|thereby|thus)\b|\s+(?:while|but|whereas)\s+"
    # "compared with", "on par with" compare; they do not start a new clause.
    r"|(?<!compared)(?<!comparable)(?<!par)(?<!along)(?<!together)(?<!consistent)\s+with\s+"
)


def clause_bounds(text: str, sentence: tuple[int, int], pos: int) -> tuple[int, int]:
    """The clause of the sentence around `pos`: split at ';', 'while', 'with', 'but', ..."""
    start, end = sentence
    for match in _CLAUSE_BREAK_RE.finditer(text, start, end):
        if match.end() <= pos:
            start = match.end()
        elif match.start() >= pos:
            end = match.start()
            break
    return start, end


# ---------------------------------------------------------------- what a number is

# Words that make a number part of the problem or of earlier work, not a result.
_PROBLEM_BEFORE_RE = re.compile(
    r"\b(?:theoretical|mitigat\w*|caus(?:e|es|ed|ing)|suffer\w*|dominated)\b", re.I
)
_PROBLEM_SENTENCE_RE = re.compile(
    r"^\s*(?:however|nonetheless|nevertheless|unfortunately|yet|but)\b"
    r"|\b(?:limits?|limited|limiting|severe(?:ly)?|hinders?|prohibitive|struggles?|bottlenecks?)\b",
    re.I,
)
_OWN_WORK_RE = re.compile(
    r"\b(?:we|our|us|proposed|this (?:method|approach|framework|system|work|paper))\b", re.I
)
# "at 0.2% error rates", "at error rates as high as 0.2%": a percent the run is set at.
_SETTING_RE = re.compile(
    r"\bat\s+(?!least\b|most\b)(?:(?!by\b|of\b|to\b)[\w\-]+\s+){0,5}(?:as (?:high|low) as\s+)?$",
    re.I,
)
_SETTING_AFTER_RE = re.compile(r"\s*(?:[\w\-]+\s+)?(?:ratio|rate|sparsity|levels?)\b")
# "on 10% of the training data": how much data a run used is a setting.
_DATA_SHARE_AFTER_RE = re.compile(
    r"\s+of\s+(?:the\s+)?(?:[\w\-]+\s+)?(?:data|dataset|samples|labels|examples|images|tokens)\b"
)
_CROSS_VALIDATION_RE = re.compile(r"\s*cross[- ]validation", re.I)
_OTHER_MODEL_AFTER_RE = re.compile(r"\s*(?:larger|bigger)\s*(?:[,.;)]|than|models?\b)")
_FROM_BEFORE_RE = re.compile(r"\bfrom\s+$")
_TO_AFTER_RE = re.compile(r"\s+to\s+(?:about\s+|~)?\+?\d")


def is_starting_point(text: str, mention: Mention) -> bool:
    """'from 0.67% to 0.81%': the first number is what the change starts from."""
    before = text[max(0, mention.start - 20) : mention.start]
    return bool(
        _FROM_BEFORE_RE.search(before)
        and not re.search(r"rang\w*\s+from\s+$|between\s+$", before)
        and _TO_AFTER_RE.match(text, mention.end)
    )


def not_a_result(
    text: str, mention: Mention, sentence: tuple[int, int], method: str | None
) -> bool:
    """True when the context says this number is a problem, a setting or another model."""
    clause_start, _ = clause_bounds(text, sentence, mention.start)
    before = text[clause_start : mention.start]
    sentence_text = text[sentence[0] : sentence[1]]
    if _PROBLEM_BEFORE_RE.search(before):
        return True
    own = _OWN_WORK_RE.search(sentence_text) or (method and method in sentence_text)
    if _PROBLEM_SENTENCE_RE.search(sentence_text) and not own:
        return True
    if mention.unit == "%":
        before_in_sentence = text[sentence[0] : mention.start]
        local = before_in_sentence[
            max(before_in_sentence.rfind(","), before_in_sentence.rfind("("), 0) :
        ]
        if _SETTING_RE.search(local) or (
            re.search(r"\b(?:with|at)\s+an?\s*$", local)
            and _SETTING_AFTER_RE.match(text, mention.end)
        ):
            return True
        if re.search(r"\b(?:on|using|with|only)\s+$", local) and _DATA_SHARE_AFTER_RE.match(
            text, mention.end
        ):
            return True
    if mention.unit == "x" and (
        _OTHER_MODEL_AFTER_RE.match(text, mention.end)
        or _CROSS_VALIDATION_RE.match(text, mention.end)
    ):
        return True
    return is_starting_point(text, mention)


# ---------------------------------------------------------------- qualifier and kind

_QUALIFIERS: list[tuple[str, Qualifier]] = [
    (r"up\s?to(?:\s+(?:an?|about|approximately))?", "up to"),
    (r"at least", "at least"),
    (r"(?:more than|over|exceeds?|exceeding|above)(?:\s+an?)?", "over"),
    (r"(?:less than|under|within|below|as little as|at most)(?:\s+an?)?", "under"),
    (r"(?:about|approximately|nearly|around|roughly|almost|~|∼|sim)", "about"),
    (r"(?:average|on average|averaging|mean)(?:\s+of)?", "average"),
]
_AVERAGE_NEAR_RE = re.compile(r"\b(?:average|averag\w+|on average)\b", re.I)


def qualifier_of(
    text: str, mention: Mention, clause: tuple[int, int]
) -> tuple[Qualifier | None, int]:
    """The hedge right before the number, and where it starts (to include it in the quote)."""
    before = text[clause[0] : mention.start]
    for pattern, name in _QUALIFIERS:
        if match := re.search(rf"(?:\b|(?<=[\s(]))({pattern})\s*(?:\(\s*)?$", before, re.I):
            return name, clause[0] + match.start(1)
    window = text[max(clause[0], mention.start - 40) : min(clause[1], mention.end + 25)]
    if _AVERAGE_NEAR_RE.search(window):
        return "average", mention.start
    return None, mention.start


_COST_PHRASE_RE = re.compile(
    r"\b(?:loss|los(?:e|es|ing)|slow(?:ed|s|er|down)?|"
    r"(?:throughput|accuracy|performance) (?:drop|reduction)|"
    r"degradation|decreased?|penalty|additional|extra|more (?:memory|storage|time|compute))\b",
    re.I,
)
_NO_COST_RE = re.compile(
    r"\b(?:without|no|zero)\s+(?:\w+\s+){0,2}(?:loss|degradation|drop)\b", re.I
)
_OVERHEAD_RE = re.compile(r"\b(?:overheads?|latency)\b", re.I)
_REDUCE_RE = re.compile(
    r"\b(?:reduc\w*|lower\w*|smaller|less(?!\s+than)|fewer(?!\s+than)|sav(?:e|es|ed|ing)|cut\w*|"
    r"shrink\w*|decreas\w*)\b",
    re.I,
)
_ABSOLUTE_UNITS = re.compile(r"^(?:[KMGT]i?B|ns|µs|μs|ms)$")


def kind_of(text: str, mention: Mention, clause: tuple[int, int]) -> Kind:
    """'cost' for a bounded price of the method (overhead, loss, extra memory), else
    'improvement'. A reduction of an overhead is an improvement."""
    before = text[clause[0] : mention.start]
    # The words next to the number, within its comma-separated part of the clause.
    near_before = before[-45:].rsplit(", ", 1)[-1]
    near_after = text[mention.end : min(clause[1], mention.end + 30)].split(", ", 1)[0]
    near = near_before + text[mention.start : mention.end] + near_after
    if _COST_PHRASE_RE.search(near) and not _NO_COST_RE.search(near):
        return "cost"
    if _REDUCE_RE.search(before) or _REDUCE_RE.search(near):
        return "improvement"
    if mention.unit and _ABSOLUTE_UNITS.match(mention.unit):
        return "cost"
    if _OVERHEAD_RE.search(before) or _OVERHEAD_RE.search(near_after):
        return "cost"
    return "improvement"


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
        fallback = "memory" if _ABSOLUTE_UNITS.match(mention.unit or "") else "score"
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
    previous = re.search(rf"from\s+({_NUM}(?:\s?\S+)?)\s+to\s+\S*$", text[sentence[0] : start])
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
        if phrase and not re.match(rf"{_NUM}", phrase):
            return phrase
    return None


_CONDITION_RE = re.compile(
    r"\s+(?:on|for|at|under)\s+((?:the\s+)?[A-Z0-9][\w\-+]*(?:\.\d+)?(?:\s+[A-Z0-9][\w\-+]*){0,3}"
    r"(?:\s+(?:task|dataset|benchmark|model|stage)s?)?)"
)


def condition_of(text: str, end: int, clause: tuple[int, int]) -> str | None:
    """Where the number holds, when it is named right after it: "on ImageNet", "on NVIDIA
    B200", or a parenthesized size "(7B)"."""
    if size := re.match(rf"\s*\(({_NUM}[KMBT])\)", text[end : clause[1]]):
        return size.group(1)
    window = text[end : min(clause[1], end + 60)]
    match = _CONDITION_RE.match(window) or _CONDITION_RE.search(window)
    return match.group(1).rstrip(".") if match else None


# ---------------------------------------------------------------- is it the paper's own result

# A result cue: a comparison or a change ("than", "over", "outperforms", "reduces", "2x faster").
_RESULT_CUE_RE = re.compile(
    r"\b(?:than|over|compared|relative|versus|vs\.?|against|outperform\w*|surpass\w*|beat\w*|"
    r"exceed\w*|improv\w*|reduc\w*|increas\w*|decreas\w*|boost\w*|accelerat\w*|speed\w*|"
    r"faster|slower|higher|lower|better|fewer|less|more|saving\w*|sav(?:e|es|ed)|cut\w*|"
    r"gain\w*|achiev\w*|attain\w*|reach\w*|deliver\w*|yield\w*|obtain\w*|enabl\w*|up to|"
    r"overhead|throughput|latency|accuracy|outperform|state-of-the-art|sota|baseline\w*|"
    r"drop\w*|shrink\w*|lift\w*|rais\w*|halv\w*|doubl\w*)\b",
    re.I,
)


def presents_result(text: str, sentence: tuple[int, int], method: str | None) -> bool:
    """Whether the sentence presents a result of the paper: its own work named ("we", "our",
    "the proposed", the method) or a comparison or change stated. A number in a sentence with
    neither (a measured constant, a definition, a sample description) is not a claimed gain."""
    words = text[sentence[0] : sentence[1]]
    own = _OWN_WORK_RE.search(words) or (method is not None and method in words)
    return bool(own or _RESULT_CUE_RE.search(words))


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
    numbers = list(_NUMBER_RE.finditer(text, sentence[0], resp.start()))
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
    if unit := _UNIT_RE.match(tail):
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
        if not re.match(rf"{_NUM}\s?(?:%|[A-Za-z])", cleaned):
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
