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

from agent.core.metrics import in_any_family
from agent.core.models import Kind, Qualifier
from agent.core.sentences import COMPARISON_OPENERS, CONTRAST_OPENERS
from agent.core.units import CURRENCY, SECONDS, normalize_unit

NUM = r"\d+(?:\.\d+)?"
# The verbs of "we beat them": their object is the other side of a comparison.
OUTPERFORM = r"(?:out-?perform|surpass|beat)\w*"
# Units of a rate of data or work (the extractor's units and the labels' "throughput").
RATE_UNITS = r"[KMGT]i?B/s|[kKMGT]bps|[kKMGT]bit/s|req/s|tokens/s|QPS"
# Unit spellings, longest first; each maps to the unit a Gain records.
UNIT_RE = re.compile(
    rf"""(?P<factor>\s?\$\\times\$|\s?\\times|\s?×|\s?[xX](?![A-Za-z0-9])|\s?times(?![A-Za-z])|-?fold)
      |(?P<percent>\s?\\%|\s?%|\s?percentage\ points?|\s?percent)
      |(?P<bandwidth>\s?(?:{RATE_UNITS}|[KMGTPE]FLOP(?:S|s|/s))(?![A-Za-z]))
      |(?P<memory>\s?(?:[KMGT]i?B)(?![A-Za-z/]))
      |(?P<time>\s?(?:ns|ps|µs|μs|ms)(?![A-Za-z])|\s(?:[GC]PU[- ])?hours|\s?s(?=[\s,.;)])
        |\s?seconds)
      |(?P<physical>\s?(?:mW|dB)(?![A-Za-z]))
      |(?P<rate>\s?(?:FPS|fps)(?![A-Za-z]))
      |(?P<points>\s(?:points?|pts)(?![A-Za-z]))
      |(?P<metric>\s(?:J&F|mAP|AP|BLEU|ROUGE(?:-\w+)?|FID|PSNR|SSIM|mIoU|WER|CER|dB)(?![\w&]))
    """,
    re.VERBOSE,
)
_COMPARATIVE_WORDS = r"(?:higher|lower|faster|slower|smaller|larger|more|less|fewer|better)"
_RANGE_SEP_RE = re.compile(r"\s?(?:--|—|-|–|~|∼|\\sim|sim|(?<=\s)to)\s?(?=\d)")
_LIST_SEP_RE = re.compile(r"(?:\s*,\s*(?:and\s+)?|\s+and\s+|/)")
# A number glued to a name or a word ("LLaMA-7B", "FP16", "GPT-4.1", "8xA100", "13B"), or to
# a metric's name as its cut-off ("Recall@10", "TopK@1%").
_GLUED_BEFORE_RE = re.compile(r"(?:[A-Za-z_.^$@]|[A-Za-z0-9]-|[A-Za-z]/)$")
# ".060883" (a bare leading point after a space or bracket) is a number too.
NUMBER_RE = re.compile(rf"(?<![\d.,])\+?({NUM}|(?<=[\s(])\.\d+)")


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


def unit_at(text: str, pos: int) -> tuple[str, int] | None:
    """The unit written at `pos` and where it ends, or None."""
    match = UNIT_RE.match(text, pos)
    return (_unit_name(match), match.end()) if match else None


# "achieves MAPE values from 1% to 13% for P=1 to 14": values that span a range, not a change.
_STATED_RANGE_RE = re.compile(r"\b(?:values|errors|scores)\s+(?:\w+\s+)?from\s+$", re.I)


def _sentence_before(text: str, pos: int) -> str:
    """The text of `pos`'s sentence before it (back to the last '. ', at most 200 chars)."""
    before = text[max(0, pos - 200) : pos]
    return before[before.rfind(". ") + 1 :]


def find_mentions(text: str) -> list[Mention]:
    """Every number of `text` with the unit it is written with (None when it has none)."""
    mentions: list[Mention] = []
    pos = 0
    while match := NUMBER_RE.search(text, pos):
        pos = match.end()
        start, num_end = match.start(), match.end(1)
        value = float(match.group(1))
        # "$42": the markup view keeps "$" only as a dollar sign (agent/core/markup.py)
        dollars = start > 0 and text[start - 1] == "$" and match.group(0)[0] != "+"
        start -= dollars
        glued = bool(_GLUED_BEFORE_RE.search(text[max(0, start - 3) : start]))
        unit = (CURRENCY, num_end) if dollars else unit_at(text, num_end)
        if unit is None and (bar := _ERROR_BAR_RE.match(text, num_end)):
            unit = unit_at(text, bar.end())  # "0.87 ± 0.10 mm": the unit is the value's
        end = unit[1] if unit else num_end
        value_high: float | None = None
        sep = _RANGE_SEP_RE.match(text, end)
        if (
            sep
            and "to" in sep.group(0)
            and re.search(r"\bfrom\s+$", text[max(0, start - 8) : start])
            and not _STATED_RANGE_RE.search(_sentence_before(text, start))
        ):
            sep = None  # "from 35.0 to 52 FPS" is a change, not a range
        if sep and (high := NUMBER_RE.match(text, sep.end())):
            high_unit = unit_at(text, high.end())
            if high_unit and (unit is None or unit[0] == high_unit[0]):
                value_high, unit, end = float(high.group(1)), high_unit, high_unit[1]
                pos = end
            elif unit is None and high_unit is None and _BETTER_AFTER_RE.match(text, high.end()):
                value_high, unit, end = float(high.group(1)), ("points", high.end()), high.end()
                pos = end
        after = text[end : end + 1]
        if ((unit is None or dollars) and after[:1].isalpha()) or (
            unit and unit[0] == "x" and after == "-"
        ):
            glued = True  # "13B", "4D", "32K", "2x-" are names and sizes
        if unit and unit[0] == "x" and _NOT_A_FACTOR_AFTER_RE.match(text, end):
            glued = True  # "1.2 × 10^43", "5 × R_200", "Stripe 82X surveys"
        if _not_a_quantity(text, start, num_end, end):
            glued = True
        if unit and _DECADE_RE.fullmatch(text, start, unit[1]):
            unit, end, glued = None, num_end + 1, True  # "the 2040s" is a decade, not seconds
        mentions.append(Mention(start, end, value, value_high, unit[0] if unit else None, glued))
    _share_units(text, mentions)
    _mark_arrow_chains(text, mentions)
    return mentions


_ARROW_RE = re.compile(r"\s*(?:→|⟶|⇒|->|=>)\s*")


def _mark_arrow_chains(text: str, mentions: list[Mention]) -> None:
    """Numbers joined by arrows: "33%→67%→100%" (three or more) is a schedule, every step a
    setting; in "63%→80%" the first is where the change starts. Neither is a claimed gain."""
    chain: list[Mention] = []
    following: list[Mention | None] = [*mentions[1:], None]
    for here, nxt in zip(mentions, following, strict=False):  # no mentions: no pairs
        chain.append(here)
        if nxt is not None and _ARROW_RE.fullmatch(text[here.end : nxt.start]):
            continue
        steps = chain if len(chain) > 2 else chain[:-1]
        for step in steps:
            step.setup = True
        chain = []


_NOT_A_FACTOR_AFTER_RE = re.compile(
    r"\s?\d|\s?[A-Za-z]{1,3}_|(?<=X)\s+(?!(?:on|in|for|over|at|and|or|with|than|faster|"
    r"slower|higher|lower|more|less|speedup|improvement|reduction)\b)[a-z]{3,}"
)
_DECADE_RE = re.compile(r"(?:1[6-9]|2[01])\d0s")
_ERROR_BAR_RE = re.compile(rf"\s?(?:±|\+/-|\+-)\s?{NUM}")
# "4 x 4", "256×256", "3x3": a factor sign between two numbers is a dimension.
_DIMENSION_AFTER_RE = re.compile(r"\s?[x×]\s?\d")
_DIMENSION_BEFORE_RE = re.compile(r"\d\s?[x×]\s?$")
# An exponent, an index or an error bar: "1^{+1.39}_{-0.59}", "0.5 ± 0.1", "10^-3", "p < 0.05".
_SCRIPT_BEFORE_RE = re.compile(r"(?:[\^_]|±|\+/-|\+-)\s?[+\-−]?$|\bp\s?[<=>≤]\s?$", re.I)
_SCRIPT_AFTER_RE = re.compile(r"\s?(?:\^|_)")
# "95% confidence", "at the 99% level", "90% CI", "95% credible interval", "95th percentile".
_CONFIDENCE_AFTER_RE = re.compile(
    r"\s?(?:%|percent)?\s*(?:significance|level|(?:upper|lower)\s+(?:limit|bound)|"
    # "95% bootstrap CIs", "90% posterior credible intervals": one word may name how
    r"(?:[\w\-]+\s+)?(?:confidence|credible|CIs?\b|C\.\s?L\b\.?|CL\b))",
    re.I,
)
# "compared to an English-only result of 91.3%": the other side's own number.
_OTHER_SIDE_BEFORE_RE = re.compile(
    r"\b(?:compared (?:to|with)|versus)\s+(?:[\w\-]+\s+){1,4}(?:of|at)\s+$", re.I
)
# "1-4% solar metallicity": a ratio to a physical reference, a value and not a change;
# "imaging (80% complete to 26 mag)": how complete the data are, a set-up number.
_PHYSICAL_RATIO_AFTER_RE = re.compile(r"\s+(?:solar\b|complete(?:ness)?\s+(?:to|at|down)\b)", re.I)
# The bounds of an interval: "95% CI [+0.005, +0.022]".
_INTERVAL_BEFORE_RE = re.compile(
    r"\b(?:CI|intervals?)\s*[:=]?\s*[\[(](?:[^\])]{0,20},\s*)?[+\-−]?$"
)
# "(96.01% vs. 55.68%)": the number after "vs." is the other side of the comparison.
_VERSUS_BEFORE_RE = re.compile(
    r"\b(?:vs\.?|versus|compared (?:to|with)|relative to|against)\s+(?:(?:only|the|a|an)\s+)?$"
    r"|\b(?:surpass|outperform|beat|exceed)\w*\s+(?:the|a|an)\s+$",
    re.I,
)


# "Gamma passing rates (3%/2mm)": a percent paired with a quantity of another unit is a
# tolerance criterion, the setting a result is checked at.
_CRITERION_AFTER_RE = re.compile(r"(?<=%)\s?/\s?\d+(?:\.\d+)?\s?(?:(?:mm|cm|m|deg|px)\b|°)")


def _names_a_metric(text: str, start: int, num_end: int, end: int) -> bool:
    """'the 95% Hausdorff distance (HD95)': the number is part of a metric's name, as the
    abbreviation that follows shows, not a value of it."""
    digits = re.escape(text[start:num_end].lstrip("+"))
    pattern = rf"\s+(?:[\w\-]+\s+){{1,3}}\(\s*[A-Za-z]+[\-@]?{digits}\s*\)"
    return bool(re.match(pattern, text[end : end + 80]))


def _not_a_quantity(text: str, start: int, num_end: int, end: int) -> bool:
    """True when the number is a dimension, an exponent or error bar, a p-value, a
    confidence level or interval, a tolerance criterion, part of a metric's name or the
    baseline side of "A vs. B": never a claimed gain."""
    before = text[max(0, start - 24) : start]
    return bool(
        _names_a_metric(text, start, num_end, end)
        or _DIMENSION_AFTER_RE.match(text, num_end)
        or _INTERVAL_BEFORE_RE.search(text[max(0, start - 40) : start])
        or _DIMENSION_BEFORE_RE.search(before)
        or _SCRIPT_BEFORE_RE.search(before)
        or _SCRIPT_AFTER_RE.match(text, end)
        or _CONFIDENCE_AFTER_RE.match(text, end)
        or _PHYSICAL_RATIO_AFTER_RE.match(text, end)
        or _CRITERION_AFTER_RE.match(text, end)
        or _VERSUS_BEFORE_RE.search(before)
        or _OTHER_SIDE_BEFORE_RE.search(text[max(0, start - 60) : start])
    )


def _share_units(text: str, mentions: list[Mention]) -> None:
    """Give the bare members of a list the unit of the list: "87.7, 70.0 and 71.7 J&F",
    "speeds of 273/169/124/78 FPS", "AP scores of 49.7/53.5/55.4/57.0"."""
    for left, right in reversed(list(itertools.pairwise(mentions))):
        # "14.33 and 13.87 accuracy points": the last member's unit may be the score it names
        right_unit = right.unit or (None if right.setup else _named_score_unit(text, right))
        bare_before_unit = left.unit is None and not left.setup and right_unit and not right.setup
        if bare_before_unit and _LIST_SEP_RE.fullmatch(text[left.end : right.start]):
            left.unit = right_unit
    for mention in mentions:
        if mention.unit is None and not mention.setup:
            signed = text[mention.start] == "+" and not re.match(
                r"\s*[A-Za-z]+/|\s+(?:pc|kpc|Mpc|km|K|erg|eV|keV|MeV|GeV|TeV|mag|dex)\b",
                text[mention.end : mention.end + 8],
            )  # "+1200 km/s", "z=+928 pc" are values with their units
            before = text[max(0, mention.start - 60) : mention.start]
            mention.unit = (
                "points"
                if signed
                else _named_score_unit(text, mention) or _score_unit(before) or _factor_of(before)
            )
    for left, right in itertools.pairwise(mentions):
        bare_after_unit = right.unit is None and not right.setup and left.unit and not left.setup
        own_word = _OWN_UNIT_WORD_RE.match(text, right.end)  # "by 4.1% to 6.353 degrees"
        if (
            bare_after_unit
            and not own_word
            and re.fullmatch(r"/|\s+to\s+", text[left.end : right.start])
        ):
            right.unit = left.unit


_OWN_UNIT_WORD_RE = re.compile(
    r"\s+(?!(?:on|in|for|over|at|across|and|or|with|than|compared|respectively|of|when|while|"
    r"under|the|an?|by|from|after|before|per|vs)\b)[a-z]{3,}"
)
_SCORE_BEFORE_RE = re.compile(
    r"(?:\b(?P<acr>[A-Z][A-Za-z&\-]*[A-Z])\s+)?scores?\s+(?:of|from|to|reaching)\s+$"
)
_BETTER_AFTER_RE = re.compile(r"\s+(?:higher|lower|better)\s+[a-z]")
_SCORE_DIFFERENCE_RE = re.compile(
    r"\s+(?:higher|lower|better)\s+(?:[\w\-]+\s+){0,2}?(?:error|rate|score|accuracy|loss|"
    r"perplexity|precision|recall|F1|BLEU|WER|CER|FID|PSNR|AUC)",
    re.I,
)


# Scores reported as bare numbers next to their name: "Dice 0.8044", "AUC of 0.83",
# "0.981 F1-score", "Cohen's kappa of 0.528", "0.707 accuracy". The name is the unit.
_SCORE_NAMES = (
    r"Dice|kappa|accuracy|precision|recall|sensitivity|specificity|correlation|F1-score|"
    # acronyms only as written: "mAP" is a score, "to map 62 galaxies" is not
    r"(?-i:DSC|IoU|mIoU|AUC|AUROC|AUPRC|F1|BLEU|ROUGE(?:-\w+)?|METEOR|CIDEr|SSIM|PSNR|FID|LPIPS|"
    r"EM|MRR|NDCG(?:@\d+)?|mAP|AP|ASSD|HD95|R2|R\^2|MAE|MSE|RMSE|NRMSE|MAPE)"
)
_NAME_BEFORE_RE = re.compile(
    rf"(?<![\w-])(?P<name>{_SCORE_NAMES})(?:\s*(?:scores?|coefficients?|improvements?))?"
    r"\s*(?:of|=|:|was|is|reaches|reached)?"
    # a hedge between name and number: "AUC up to 0.750", "F1 of about 0.8", "MAE below 2.1"
    r"\s*(?:up\s+to|about|around|approximately|nearly|over|above|below|under|~|≈)?\s*$",
    re.I,
)
_NAME_AFTER_RE = re.compile(rf"\s+(?P<name>{_SCORE_NAMES})(?![\w-])(?:[- ]score)?", re.I)
_POINTS_AFTER_RE = re.compile(r"\s+(?:percentage\s+)?(?:points?|pts|pp)\b", re.I)
_FACTOR_OF_RE = re.compile(
    r"\b(?:by|than|to)\s+(?:an?\s+)?(?:[\w\-]+\s+)?factor\s+of\s+(?:~|≈|about\s+|approximately\s+)?$"
    rf"|\b{_COMPARATIVE_WORDS}\s+by\s+(?:an?\s+)?factor\s+of\s+$",
    re.I,
)


def _named_score_unit(text: str, mention: Mention) -> str | None:
    """The score a bare number is given as, when it is named right next to it."""
    after = _NAME_AFTER_RE.match(text, mention.end)
    before = _NAME_BEFORE_RE.search(text[max(0, mention.start - 40) : mention.start])
    match = before or after  # "Dice 0.8044, IoU 0.6730": a name before its number first
    if match is None:
        return None
    if match is after and _POINTS_AFTER_RE.match(text, after.end()):
        return "points"  # "13.87 accuracy points": a difference of the score, in points
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
    """'0.13sim2.41 lower character error rate': an absolute difference of a score, in points
    ('51 lower confidence objects' is a count)."""
    if mention.unit is None and not mention.setup and _SCORE_DIFFERENCE_RE.match(text, mention.end):
        return "points"
    return mention.unit


# ---------------------------------------------------------------- sentences and clauses

_AND_PREDICATE_RE = re.compile(r",\s+and\s+$")
_CLAUSE_BREAK_RE = re.compile(
    r";|,\s+(?:while|whilst|whereas|which|thereby|thus)\b|\s+(?:while|whilst|but|whereas)\s+"
    # "outperforms X by 16x ..., and reduces memory usage by 40%": a second predicate
    r"|,\s+and\s+(?=(?:\w+ly\s+)?(?:reduc|improv|increas|decreas|achiev|lower|rais|boost|"
    r"accelerat|speed|sav|deliver|yield|outperform|surpass|attain|reach|cut)\w*\b)"
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
    rf"^\s*(?:{CONTRAST_OPENERS})\b"
    r"|\b(?:limits?|limited|limiting|severe(?:ly)?|hinders?|prohibitive|struggles?|bottlenecks?)\b",
    re.I,
)
_OWN_WORK_RE = re.compile(
    r"\b(?:we|our|us|proposed|this (?:method|approach|framework|system|work|paper))\b", re.I
)
# "at 0.2% error rates", "at error rates as high as 0.2%": a percent the run is set at.
_SETTING_RE = re.compile(
    r"\bat\s+(?!least\b|most\b)(?:(?!by\b|of\b|to\b)[\w\-]+\s+){0,5}"
    r"(?:as (?:high|low) as\s+|up to\s+)?$",  # "four regimes at rates up to 50%"
    re.I,
)
# "under 30% bimodal-random corruption", "with 20% label noise": the adversity a result holds
# under is a setting, as much as the share of data it was trained on.
_ADVERSITY_AFTER_RE = re.compile(
    # (not "with 20% less noise than BM3D", a result)
    rf"\s*(?:(?!{_COMPARATIVE_WORDS}\b)[\w\-]+\s+){{0,2}}?(?:corruption|noise|contamination|poisoning|occlusion|"
    r"missing(?:ness)?|dropout|perturbations?|outliers|packet loss|adversaries)\b",
    re.I,
)
_ADVERSITY_BEFORE_RE = re.compile(r"\b(?:under|with|at|against|despite)\s+(?:up to\s+)?$", re.I)
_SETTING_AFTER_RE = re.compile(
    # "with a 10% masking rate" is a setting; "with a 100% success rate" is how well it did
    r"\s*(?!(?:success|hit|detection|recognition|acceptance|win|pass|accuracy|recall|"
    r"precision|attack success)\s+rate)"
    r"(?:[\w\-]+\s+)?(?:ratio|rate|sparsity|levels?|subset|budget|split|portion|fraction)\b"
)
# "on 10% of the training data": how much data a run used is a setting.
_DATA_SHARE_AFTER_RE = re.compile(
    r"\s+of\s+(?:the\s+)?(?:[\w\-]+\s+)?(?:data|dataset|samples|labels|examples|images|tokens|"
    r"corpus|documents|training set|sample)\b"
)
# "when labelled training data is scarce (<20%)": the share of data a condition names, in
# parentheses after it, is the setting the result holds in.
_DATA_SHARE_CONDITION_RE = re.compile(
    r"\b(?:when|if|where)\s+(?:[\w\-]+\s+){0,4}?(?:data|labels|samples|examples|"
    r"annotations|supervision)\s+(?:is|are)\s+(?:[\w\-]+\s+){0,2}?\(\s*\$?\s*"
    r"(?:[<>≤≥~≈]|\\[lg]eq?\s*|\\sim\s*)?\s*\$?\s*$",
    re.I,
)
_CROSS_VALIDATION_RE = re.compile(
    # "3-fold sliding-window cross-validation"; not "a 3-fold lower cross-validation error"
    rf"\s*(?:(?!{_COMPARATIVE_WORDS}\b|greater\b|worse\b)[\w\-]+\s+)?cross[- ]validation",
    re.I,
)
# "which would extend the reach by a further factor of 2": a projection, not a measured result.
# A percent restating a count of a sample: "79 of the 105 (75.2%)", "13/23 (57%)", "21 (44%)".
_COUNT_BEFORE_RE = re.compile(
    r"(?<![\w.])\d+(?:\s*/\s*\d+|\s+of\s+(?:the\s+)?\d+)?\s*(?:[A-Za-z][\w\-]*\s+){0,3}\(\s*[~≈]?\s*$"
)
# A share of a population said to have a property: a description, not the paper's result.
_BARE_START_RE = re.compile(
    r"(?:^|\bthat|\bwhere|\band|\bwhile|[,:])\s*(?:~|≈|about|approximately|nearly|roughly|only|"
    r"up to|over|around|at least)?\s*$",
    re.I,
)
_POPULATION_SHARE_RE = re.compile(
    # "of 12+log(O/H)<8.0 galaxies at these redshifts are": a qualified population
    r"\s+of\s+(?:the\s+|all\s+|our\s+)?(?:[^\s,;]+\s+){0,3}?[A-Za-z\-]*[A-Za-z]s\s+"
    r"(?:(?:at|in|with|from|on)\s+(?:[\w\-]+\s+){1,3}?)?(?:\w+ly\s+)?"
    r"(?:show|exhibit|are|have|display|satisfy|host|contain|lie|reside|remain|appear|fall|"
    r"follow|belong|shift|lack)\b"
)
# "The incidence of outflows in the sample is high (>75%)": how common a property is in the
# population studied, a measurement and not a gain (unless the clause says it changed).
_POPULATION_RATE_SUBJECT_RE = re.compile(
    r"\s*(?:the\s+)?(?:incidence|prevalence|fraction|proportion|occurrence)\s+of\b", re.I
)
_SETTING_RANGE_BEFORE_RE = re.compile(
    r"\b(?:budgets?|ratios?|rates?|levels?|sizes?|sparsit(?:y|ies)|fractions?)"
    rf",?\s+(?:ranging\s+)?from\s+{NUM}\s?%?\s+to\s+$",
    re.I,
)
# A number that a change word follows is the gap itself: "(30% or higher improvement)".
_CHANGE_WORDS = (
    r"(?:improvements?|gains?|reductions?|increases?|decreases?|speedups?|boosts?|higher|lower|"
    r"better|faster|fewer|less|more)"
)
_GAP_AFTER_RE = re.compile(
    rf"\s*(?:or\s+(?:more|higher|greater)\s+)?(?:relative\s+|absolute\s+)?{_CHANGE_WORDS}\b",
    re.I,
)
_OTHER_SIDE_VALUE_RE = re.compile(
    # the other side's own words, not a clause after a comma ("than X, enabling Y (23% ...)")
    rf"\b(?:{OUTPERFORM}|compared (?:to|with)|versus|than|exceed\w*(?:\s+(?:those|that) of)?)"
    # an apposition names it again: "exceeded the strongest baseline, the AFPF-Net ("
    # (no brackets in the name, and each listed bracket taken whole, atomically: a name and
    # a bracket must not compete for the same text, or a list of 16 takes seconds)
    r"\s+[^;:,\d()]{2,120}?(?:,\s+(?:the|an?)\s+[^;:,\d()]{2,80}?)?"
    # a listed other side's value before it: "exceeding those of A (63.1%) and B (60.0%)"
    r"(?>\([^()]{1,30}\)\s*(?:,\s*)?(?:and\s+)?[^;:,\d()]{1,60})*"
    r"\(\s*$",  # no number between: "outperforms X by 49.5% (31.7%)" restates our own
    re.I,
)
_CHANGED_RE = re.compile(
    r"\b(?:increas|reduc|improv|rais|lower|boost|decreas|cut|shrink|drop)\w*"
    r"|\b(?:rises?|rising|rose|grows?|grew|climbs?|climbed|falls?|fell)\b",
    re.I,
)
_PROJECTION_RE = re.compile(
    r"\b(?:would|(?:is|are) expected to|(?:is|are) projected to|(?:we|they) forecast)\b"
    r"|\bif\b[^,;]*\b(?:were|was)\b|\bpredict(?:s|ed)?\s+(?:an?\s+)?(?:~|≈)?\s*$",
    re.I,
)
# What a facility or a plan will do, said without "we"/"our": a projection too.
_FUTURE_RE = re.compile(r"\b(?:will|shall|(?:is|are) going to|(?:is|are) planned to)\b", re.I)
# A clause about the models or methods others made: prior work's or the studied models' numbers.
_OTHERS_SUBJECT_RE = re.compile(
    # "with even state-of-the-art models like GPT-4 achieving only 39.8%": a clause whose
    # subject "with" or "where" brings in (not "while", whose clause is set against ours)
    r"\s*(?:[A-Z][^,]{0,40},\s*)?(?:(?:with|where)\s+)?(?:even\s+)?"
    r"(?:no|none of the|both|all|most|many|existing|current|prior|"
    r"previous|other|naive|vanilla|conventional|traditional|"
    # "the best attacker systems reduced the EER" of a challenge are results; "even the best" not
    r"(?:the\s+)?(?:strongest|weakest|leading|frontier|top)|(?<=even\s)(?:the\s+)?best|"
    r"state-of-the-art|"
    r"SOTA)\s+(?:[\w\-]+\s+){0,2}?(?:models?|agents?|baselines|methods|systems|"
    r"approaches|LLMs|detectors|tools|performers)\b(?!\s+(?:trained|with|using)\b)",
    re.I,
)
# "An ensemble oracle that picks the best answer reaches F1=0.556": a reference point the
# method is measured against (an oracle, an upper bound), not the method's result.
_REFERENCE_SUBJECT_RE = re.compile(
    r"\s*(?:an?|the)\s+(?:[\w\-]+\s+){0,2}?(?:oracles?|upper[- ]bounds?)\b", re.I
)
# "flag rates closer to the nominal 10%": the value a result is held against, not the result.
_REFERENCE_VALUE_BEFORE_RE = re.compile(
    r"\bthe\s+(?:nominal|target|desired|ideal|expected|theoretical)\s+(?:value\s+of\s+)?$", re.I
)
# "In comparison, the standard Roofline model yields errors of 42%": the other side's number.
_COMPARISON_OPENER_RE = re.compile(rf"\s*(?:{COMPARISON_OPENERS})\b", re.I)
# "21.1x over batch mode's 11.40 s": the number of the side compared against.
_POSSESSIVE_OTHER_RE = re.compile(
    rf"\b(?:over|than|vs\.?|versus|compared (?:to|with)|{OUTPERFORM})\s+"
    r"(?:[\w\-]+\s+){0,3}?[\w\-]+'s\s+(?:[~≈]\s?)?$",
    re.I,
)
_TOP_SHARE_RE = re.compile(r"\btop[\s-]*$", re.I)
_SETTING_NOUN_AFTER_RE = re.compile(
    r"\s*(?:compression|sparsity|pruning|quantization|downsampling|ratio|rate|bits?)\b", re.I
)
_DATA_SIZE_AFTER_RE = re.compile(
    r"\s+of\s+(?!(?:GPU\s+|device\s+|peak\s+)?(?:memory|VRAM|RAM|storage|footprint)\b)"
    r"(?:[\w\-]+\s+)?(?:data|features|embeddings|text|tokens|images|videos|logs|traces|records|"
    r"speech|audio|recordings|corrections|footage|observations?)\b",
    re.I,
)
# "70 hours of controller and pilot transmissions": hours of something recorded are data, save
# hours of compute or of people's work (a saving a paper may claim).
_HOURS_OF_RE = re.compile(
    r"\s+of\s+(?!(?:\w+\s+)?(?:GPU|CPU|compute|computation|training|work|effort|labou?r|"
    r"annotation|manual)\b)",
    re.I,
)
# "a period of 6.48 hours", "rotation periods ... : 15.3 s": a time that is a property of the
# thing studied (its period, age, lifetime, timescale), not a time the method saves or takes.
_OWN_TIME_BEFORE_RE = re.compile(
    r"\b(?:periods?|ages?|lifetimes?|timescales?|half-lives?|durations?)\s*(?:of|is|are|was|were|"
    r"=|:|shorter than|longer than)?\s*(?:about|approximately|roughly|~|≈|\$?\\sim\$?)?\s*\$?$",
    re.I,
)
# "($φ_{\rm tar}=90%$)": a value given to a subscripted symbol is a parameter of the model run.
_SYMBOL_VALUE_BEFORE_RE = re.compile(r"_(?:\{[^{}]{1,20}\}|[A-Za-z]\w{0,10})\s*=\s*$")
# "TDEs contributing 23% of the total accretion", "dust contributes 4-10% to the mass": a share
# of a total that something makes up, a decomposition of what is studied and not a gain.
_CONTRIBUTES_BEFORE_RE = re.compile(
    r"\bcontribut\w*\s+(?:(?:about|approximately|roughly|only|at most|up to|~|≈)\s*)?\$?$", re.I
)
_SHARE_OF_TOTAL_AFTER_RE = re.compile(r"\$?\s*(?:of|to)\s", re.I)
# "applied to a device 16x shorter.": a size of the thing compared, not a result.
_SIZE_ADJECTIVE_AFTER_RE = re.compile(r"\s*(?:shorter|longer|wider|taller|thinner)\s*[.,;)]")
_AT_A_LEVEL_RE = re.compile(r"^\W*at\s+(?:an?|the)\s+(?:[\w\-]+\s+){0,4}of\s+$", re.I)
_HARDWARE_BEFORE_RE = re.compile(r"\b(?:on|with)\s+(?:just|only|a single)\s+$", re.I)
# A memory amount that is the size of a device or of what a run is fed: "a 24 GB GPU",
# "RTX 4090 (24 GB)", "(48 GB VRAM each)", "under 64KB random write workloads". A set-up
# number, not a result.
_DEVICE_NOUNS = (
    r"(?:GPUs?|TPUs?|NPUs?|cards?|devices?|accelerators?|laptops?|(?:smart)?phones?|"
    r"machines?|nodes?|servers?|workstations?|boards?)"
)
_SIZED_THING_AFTER_RE = re.compile(
    r"\s*(?:(?:of\s+)?(?:VRAM|RAM|HBM|memory)\s+)?each\b"  # a spec per device, not a saving per GPU
    r"|\s+(?:(?!(?:on|in|of|per|for|with|at|by|to|than|over|across|and|or|less|more|fewer|"
    r"lower|smaller|larger)\b)[\w\-]+\s+){0,2}?"
    rf"(?:{_DEVICE_NOUNS}|workloads?|pages?|blocks?|files?|objects?|chunks?|packets?|payloads?)"
    r"\b(?!\s+(?:memory|VRAM|RAM|HBM)\b)",
    re.I,
)
_DEVICE_BEFORE_RE = re.compile(
    rf"(?:\b{_DEVICE_NOUNS}|\b[A-Z][A-Za-z]*\s?\d{{2,4}}[A-Za-z]*)\s*\(\s*$"
)
# "2.6 times the original size": how big something is, not a result.
_SIZE_MULTIPLE_AFTER_RE = re.compile(
    r"\s+(?:the|as)\s+(?:\w+\s+)?(?:size|number|amount|length|volume|scale)\b", re.I
)
# "19.05 times more buildings than the most relevant prior work", "5x larger than existing
# datasets": the size of the paper's data beside earlier data, a dataset size and not a result
# (but "on par with models trained on 3x more examples" is a saving of data: no earlier work).
_DATA_SCALE_AFTER_RE = re.compile(
    # "benchmarks, which are 5-10x longer than the most complex cases studied in prior work"
    r"\s*(?:more|larger|bigger|longer)\s+(?:[\w\-]+\s+){0,2}?(?:than\s+)?(?:[\w\-]+\s+){0,6}?"
    r"(?:prior|previous|earlier|existing|available|public(?:ly available)?|largest|comparable)"
    r"\s+(?:[\w\-]+\s+){0,2}?(?:work|works|studies|study|datasets?|benchmarks?|corpora|"
    r"collections?|resources?)\b",
    re.I,
)


def is_data_scale(
    text: str, clause_start: int, end: int, clause_end: int, method: str | None
) -> bool:
    """A multiple at `end` comparing the paper's data with earlier data (_DATA_SCALE_AFTER_RE),
    unless the clause names the method or its work ("FooNet solves 2x more tasks than prior
    work") or what is "more" is a metric ("3x more throughput than prior work")."""
    scale = _DATA_SCALE_AFTER_RE.match(text, end, clause_end)
    return (
        scale is not None
        and not names_own_work(text[clause_start:end], method)
        and not in_any_family(scale.group())
    )


_OTHER_MODEL_AFTER_RE = re.compile(
    rf"(?:\s*,?\s*(?:and\s+|or\s+)?{NUM}\s?[x×])*"  # "3x, 14x, and 26x larger"
    r"\s*(?:larger|bigger)\s*(?:[,.;)]|than|(?:\w+\s+)?models?\b)"
)
_FROM_BEFORE_RE = re.compile(
    r"\bfrom\s+(?:(?:almost|nearly|about|around|approximately|roughly|only|just)\s+|[~≈]\s?)?$"
)
# "to 52", "to about 52", and "from 0% in RAG to more than 50% in RAGuard" (where A holds)
_TO_AFTER_RE = re.compile(
    r"(?:\s+(?:in|on|for|with|under)\s+[^,;.\d]{1,40}?)?\s+to\s+"
    r"(?:about\s+|roughly\s+|approximately\s+|around\s+|~|more than\s+|over\s+|nearly\s+|"
    r"almost\s+|less than\s+)?\+?\d"
)


# A number the clause reports as measured, found or estimated ("we find that 92% of the events
# favour", "we estimate the probability to be 40%", "variations of 10-25% are found") is a
# measurement of the thing studied, not a result of the paper's method, unless the clause also
# names the method or says the method did better at something.
_MEASURED_RE = re.compile(
    # verbs only: "hate-speech detection" or "observations" name no act of measuring
    r"\b(?:find|finds|found|finding|infer(?:s|red|ring)?|detect(?:s|ed|ing)?|"
    r"constrain(?:s|ed|ing)?|(?:estimat|measur|deriv|calculat|determin|observ)(?:e|es|ed|ing))\b",
    re.I,
)
# The words of a comparison; the other side follows them.
_COMPARISON_WORDS = r"than|compared (?:to|with)|relative to|versus|vs\b"
_METHOD_RESULT_RE = re.compile(
    rf"\b(?:{OUTPERFORM}|{_COMPARISON_WORDS}|proposed|"
    r"speed-?ups?|speed\w*|accelerat\w*|faster|slower|baselines?|"
    r"state-of-the-art|SOTA|accura\w*|F1|AUC|recall|throughput|latency|overhead|achiev\w*|"
    r"improv\w*|reduc\w*|sav(?:e|es|ed|ing)|savings?|cut\w*|boost\w*|"
    r"(?:our|this|the new)\s+(?:[\w\-]+\s+){0,2}?(?:method|model|approach|framework|"
    r"system|pipeline|algorithm|technique|classifier|network|tool))\b",
    re.I,
)


# "We consider two porosities (0% and 90%)", "We used exposure times of 1 s and 5 s": what the
# authors chose to run with is a setting, unless the sentence says what it achieved.
_CHOSE_RE = re.compile(
    r"\b(?:we|they)\s+(?:\w+ly\s+)?(?:consider(?:ed)?|assumed?|adopt(?:ed)?|use[ds]?|"
    r"employ(?:ed)?|cho(?:o)?se|fix(?:ed)?|vary|varied)\b",
    re.I,
)


def names_own_work(words: str, method: str | None) -> bool:
    """Whether `words` speak of the paper's own work: "we", "our", "the proposed", the method."""
    return bool(_OWN_WORK_RE.search(words) or (method and method in words))


def _names_no_method_result(words: str, method: str | None) -> bool:
    """No method-result cue (see _METHOD_RESULT_RE) and no mention of the method."""
    return not _METHOD_RESULT_RE.search(words) and not (method and method in words)


def is_chosen_setting(text: str, sentence: tuple[int, int], pos: int, method: str | None) -> bool:
    """The sentence opens with what the authors chose (see _CHOSE_RE) and states no result."""
    return bool(_CHOSE_RE.search(text, sentence[0], pos)) and _names_no_method_result(
        text[sentence[0] : sentence[1]], method
    )


# A comparison alone does not make a measured clause a method's result: nature is compared too
# ("peak fluxes up to 5 times greater than in 2023", "labels under-report damage by 20% compared
# to drone labels"); it takes a method-quality word, the method, or a named system on the other
# side: a word with a capital or a digit within three words ("than BarNet", "vs. vLLM", "than
# the stock Linux kernel", "than ext4"), not a year ("than in 2023").
_BARE_COMPARISON_RE = re.compile(
    rf"\b(?:{_COMPARISON_WORDS})(?>\.?)"
    r"(?!\s+(?:[\w\-]+\s+){0,2}?(?-i:[\w\-]*(?:[A-Z]|[a-z][\w\-]*\d)))",
    re.I,
)


def is_measurement(text: str, clause: tuple[int, int], method: str | None) -> bool:
    """The clause reports a measurement (see _MEASURED_RE) with no method-result cue other
    than a bare comparison (see _BARE_COMPARISON_RE)."""
    words = text[clause[0] : clause[1]]
    return bool(_MEASURED_RE.search(words)) and _names_no_method_result(
        _BARE_COMPARISON_RE.sub(" ", words), method
    )


def is_starting_point(text: str, mention: Mention) -> bool:
    """'from 0.67% to 0.81%': the first number is what the change starts from."""
    before = text[max(0, mention.start - 30) : mention.start]
    return bool(
        _FROM_BEFORE_RE.search(before)
        and not re.search(r"rang\w*\s+from\s+$|between\s+$", before)
        and _TO_AFTER_RE.match(text, mention.end)
    )


def own_work_start(text: str, sentences: list[tuple[int, int]], method: str | None) -> int:
    """Where the abstract starts talking about its own work: the first sentence that names it
    ("we", "our", "this paper", the method). What comes before is background."""
    for start, end in sentences:
        if names_own_work(text[start:end], method):
            return start
    return 0  # it never says: nothing is known to be background


_CONTRAST_NEXT_RE = re.compile(r",?\s+(?:whereas|while|whilst)\s+((?:\S+\s+){0,4})", re.I)
# The subject of a clause about other systems in general: "models with lower error", "prior
# methods", "the baselines".
_GENERIC_OTHERS_RE = re.compile(
    r"\s*(?:[A-Z][\w\-]*,\s*)?(?:the\s+|most\s+|all\s+|other\s+|these\s+)?(?:[\w\-]+\s+)?"
    r"(?:models|methods|baselines|systems|approaches|competitors|alternatives)\b",
    re.I,
)
_COMPARED_IN_CLAUSE_RE = re.compile(rf"\b(?:{_COMPARISON_WORDS}|compared|relative|over|against)\b")


def _contrasted_with_own_work(
    text: str, clause: tuple[int, int], sentence: tuple[int, int], method: str | None
) -> bool:
    """A clause whose subject is other systems in general, set against a next clause whose
    subject is the paper's work ("models with lower error degrade by 190%, whereas FooNet
    degrades by 39%"), is the other side. Not a clause without such a subject ("Inference is
    3x faster than X, while FooNet keeps accuracy") nor one that compares ("than X")."""
    following = _CONTRAST_NEXT_RE.match(text, clause[1], sentence[1])
    words = text[sentence[0] : clause[1]]  # the subject may be before a "with" clause break
    return bool(
        following
        and names_own_work(following.group(1), method)
        and _GENERIC_OTHERS_RE.match(words)
        and not _COMPARED_IN_CLAUSE_RE.search(words)
        and not names_own_work(words, method)
    )


# "(by 12%", "(up to 3x": the gap itself, written in brackets after the other side's name;
# "(limited by ~8x memory overhead" says what holds the other side back.
_GAP_IN_BRACKETS_RE = re.compile(r"(?:^|\s)(?:by|up to)\s+[~≈]?$")
_CHANGE_WORD_RE = re.compile(rf"\b{_CHANGE_WORDS}\b", re.I)
_VERSUS_AFTER_RE = re.compile(r"\s*(?:vs\.?|versus)\s", re.I)
_WHERE_IT_HOLDS_RE = re.compile(r"\s(?:on|in|across|for|at|under|with|during|when)\s", re.I)
_CAUSE_BY_RE = re.compile(
    r"\b(?:limited|caused|bounded|constrained|dominated|hindered)\s+by\s+\S*$"
)


def _the_other_sides_number(
    text: str, mention: Mention, sentence: tuple[int, int], before: str, method: str | None
) -> bool:
    """A number in brackets after the other side of a comparison is that side's: right after
    the bracket ("outperforming the U-Net (85.3%)", `before` is the clause up to the number),
    or further in, when the bracket follows the side's name ("the AFPF-Net (MRE = 1.25 mm, SDR
    = 84.1%)", "multiprocessing (limited by ~8x memory overhead)"). Not a gap: "OmniSQL
    (+19.5%)", "than prior methods (30% or higher improvement in error)"; nor, further in, a
    bracket of the paper's own work ("compared with X (e.g., ...), FooNet incurs overhead (less
    than 19.6%")."""
    if text[mention.start] == "+" or _GAP_AFTER_RE.match(text, mention.end):
        return False
    if _OTHER_SIDE_VALUE_RE.search(before):
        return True
    opening = text.rfind("(", sentence[0], mention.start)
    if opening < 0 or ")" in text[opening : mention.start]:
        return False
    between = text[opening + 1 : mention.start]
    if not between.strip():
        return False
    if _GAP_IN_BRACKETS_RE.search(between) and not _CAUSE_BY_RE.search(between):
        return False
    if _CHANGE_WORD_RE.search(between) or _VERSUS_AFTER_RE.match(text, mention.end):
        return False  # "(average improvement of 7.2%)", "(accuracy 92.4% vs. 88.1%)"
    other = _OTHER_SIDE_VALUE_RE.search(text, sentence[0], opening + 1)
    if other is None:
        return False
    named = text[other.start() : opening]
    # right after the other side's name: "outperforms BarNet on all benchmarks (top-1 accuracy
    # of 85.2%)" brackets a result of ours, where it holds
    return not names_own_work(named, method) and not _WHERE_IT_HOLDS_RE.search(named)


_SECOND_OF_PAIR_RE = re.compile(r",\s+(?:and|or|but)\s+(?:only\s+)?[~≈]?$")


def second_of_refused_pair(
    text: str, refused: Mention, mention: Mention, sentence: tuple[int, int]
) -> bool:
    """'~70% of cores appear stable ..., and ~85% when combining both': a number of the same
    unit joined by ", and" to a refused one of its sentence, with no result, change or
    comparison said between them (_METHOD_RESULT_RE) nor a gap or a metric after it, is the
    second value of the same thing."""
    between = text[refused.end : mention.start]
    return (
        refused.start >= sentence[0]
        and refused.unit == mention.unit
        and bool(_SECOND_OF_PAIR_RE.search(between))
        and not _METHOD_RESULT_RE.search(between)
        and not _GAP_AFTER_RE.match(text, mention.end)
        and not in_any_family(" ".join(text[mention.end : sentence[1]].split()[:2]))
    )


# The rules take no sum of money for a claim: "faults add up to $258 monthly", a budget, a
# price of others. Only compared amounts are claims ("a $42 training cost, compared to
# thousands of dollars"), and a rule for those found one claim on dev and one false claim on the
# frozen test (RESULTS.md), so it is left to an LLM engine; `ask` still reads "$" gains.
def not_a_result(
    text: str,
    mention: Mention,
    sentence: tuple[int, int],
    method: str | None,
    own_start: int = 0,
) -> bool:
    """True when the context says this number is a problem, background before the paper's
    own work (`own_start`, see `own_work_start`), a projection, a setting or another model."""
    clause_start, clause_end = clause_bounds(text, sentence, mention.start)
    before = text[clause_start : mention.start]
    sentence_text = text[sentence[0] : sentence[1]]
    # a second predicate (", and increases latency by 2x") shares its subject and its verb's
    # mood with the first ("Naive quantization causes ..., and ...", "X would ..., and ...")
    shared = before
    if joint := _AND_PREDICATE_RE.search(text, sentence[0], clause_start):
        first_clause = clause_bounds(text, sentence, max(sentence[0], joint.start() - 1))
        shared = text[first_clause[0] : mention.start]
    if _PROBLEM_BEFORE_RE.search(shared) or _PROJECTION_RE.search(shared):
        return True
    if mention.unit == CURRENCY:
        return True  # a sum of money: see the note above
    if is_measurement(text, (clause_start, clause_end), method):
        return True  # "we find that 92% of the events favour ...": nature measured
    if is_chosen_setting(text, sentence, mention.start, method):
        return True  # "We consider two end-member porosities (0% and 90%)"
    own = names_own_work(sentence_text, method)
    if _FUTURE_RE.search(shared) and not own:
        return True  # "the HL-LHC upgrade will bring a 100 times speedup": a plan, not a result
    said = re.split(r"\bthat\s+|:\s+", before)[-1]  # "Experiments reveal that even the strongest"
    if (_OTHERS_SUBJECT_RE.match(said) or _COMPARISON_OPENER_RE.match(said)) and not names_own_work(
        said, method
    ):
        return True  # "No model scores more than 2.6%", "both models refuse >94% of attempts"
    # "Top performers like X achieve 71% accuracy, but miss 45-55% risks": a clause with no
    # subject of its own shares the sentence's
    opening = re.split(r"\bthat\s+|:\s+", text[sentence[0] : mention.start])[-1]
    if (
        clause_start > sentence[0]
        and _OTHERS_SUBJECT_RE.match(opening)
        and not names_own_work(opening, method)
    ):
        return True
    if _REFERENCE_SUBJECT_RE.match(before) or (
        _REFERENCE_VALUE_BEFORE_RE.search(before) and not _GAP_AFTER_RE.match(text, mention.end)
    ):  # (but "achieves the expected 2x speedup" is a result)
        return True  # "An ensemble oracle ... reaches F1=0.556", "closer to the nominal 10%"
    if (_PROBLEM_SENTENCE_RE.search(sentence_text) or sentence[1] <= own_start) and not own:
        return True
    before_in_sentence = text[sentence[0] : mention.start]
    local = before_in_sentence[
        max(before_in_sentence.rfind(","), before_in_sentence.rfind("("), 0) :
    ]
    if normalize_unit(mention.unit or "") in SECONDS and _OWN_TIME_BEFORE_RE.search(local):
        return True  # "with a period of 6.48 hours"
    if _SYMBOL_VALUE_BEFORE_RE.search(before_in_sentence[-30:]):
        return True  # "$φ_{\rm tar}=90%$"
    if (
        mention.unit == "%"
        and _CONTRIBUTES_BEFORE_RE.search(local)
        and _SHARE_OF_TOTAL_AFTER_RE.match(text, mention.end)
    ):
        return True  # "TDEs contributing 23% of the total accretion"
    if _TOP_SHARE_RE.search(local):
        return True  # "within the top 5% of ranked nodes"
    if mention.unit == "x" and (
        re.search(r"\b(?:at|with)\s+(?:an?\s+)?$", local)
        and _SETTING_NOUN_AFTER_RE.match(text, mention.end)
    ):
        return True  # "within 0.10 perplexity of fp16 at 4x compression"
    sized = ABSOLUTE_UNITS.match(mention.unit or "") or "hour" in (mention.unit or "")
    if sized and (
        _DATA_SIZE_AFTER_RE.match(text, mention.end)
        or ("hour" in (mention.unit or "") and _HOURS_OF_RE.match(text, mention.end))
    ):
        return True  # "graphs with 514 GiB of features", "we collected 92 hours of speech"
    if ABSOLUTE_UNITS.match(mention.unit or "") and (
        _HARDWARE_BEFORE_RE.search(local)
        or _SIZED_THING_AFTER_RE.match(text, mention.end)
        or _DEVICE_BEFORE_RE.search(before_in_sentence[-40:])
    ):
        return True  # "on just 16GB of VRAM", "a 24 GB GPU", "RTX 4090 (24 GB)"
    if mention.unit == "%":
        if _SETTING_RE.search(local) or (
            re.search(r"\b(?:with|at)\s+(?:only\s+|just\s+)?an?\s*$", local)
            and _SETTING_AFTER_RE.match(text, mention.end)
        ):
            return True
        if _ADVERSITY_BEFORE_RE.search(local) and _ADVERSITY_AFTER_RE.match(text, mention.end):
            return True  # "beats X by 1.31x under 30% bimodal-random corruption"
        if _AT_A_LEVEL_RE.search(local):
            return True  # "At a deployable FPR of 0.1%, ..."
        if _DATA_SHARE_AFTER_RE.match(text, mention.end) and not _CHANGED_RE.search(before):
            return True  # "on 10% of the data", "as few as 20% of tokens" (not "cut tokens to")
        if _DATA_SHARE_CONDITION_RE.search(before_in_sentence[-90:]):
            return True  # "when labelled training data is scarce (<20%)"
    if mention.unit == "x" and (
        _SIZE_MULTIPLE_AFTER_RE.match(text, mention.end)
        or (
            _SIZE_ADJECTIVE_AFTER_RE.match(text, mention.end)
            and not re.search(r"\b(?:is|are|was|were|be|being)\s+$", local)
        )
        or _OTHER_MODEL_AFTER_RE.match(text, mention.end)
        or is_data_scale(text, clause_start, mention.end, clause_end, method)
        or _CROSS_VALIDATION_RE.match(text, mention.end)
    ):
        return True
    if _SETTING_RANGE_BEFORE_RE.search(before_in_sentence) and not _CHANGED_RE.search(before):
        return True  # "target-label budgets from 1% to 10%" (not "we raise the ratio from")
    if (
        mention.unit == "%"
        and _POPULATION_RATE_SUBJECT_RE.match(before)
        and not _CHANGED_RE.search(before)
    ):
        return True  # "The incidence of ionised outflows in the sample is high (>75%)"
    if mention.unit == "%" and (
        _COUNT_BEFORE_RE.search(before_in_sentence)
        or (_BARE_START_RE.search(before) and _POPULATION_SHARE_RE.match(text, mention.end))
    ):
        return True  # "79 of the 105 (75.2%) hosts", "~60% of known AGNs satisfy our criteria"
    if _POSSESSIVE_OTHER_RE.search(before_in_sentence[-80:]):
        return True
    if _contrasted_with_own_work(text, (clause_start, clause_end), sentence, method):
        return True  # "models with lower error degrade by 190%, whereas FooNet degrades by 39%"
    if _the_other_sides_number(text, mention, sentence, before, method):
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
# A hedge after the number: "30% or higher" is at least 30%, "5 ms or less" at most 5 ms.
HEDGE_AFTER_RE = re.compile(
    r"\s+or\s+(?:(more|higher|greater|above|better)|less|lower|fewer|below)\b", re.I
)
_AVERAGE_NEAR_RE = re.compile(r"\b(?:average|averag\w+|on average)\b", re.I)


def qualifier_of(
    text: str, mention: Mention, clause: tuple[int, int]
) -> tuple[Qualifier | None, int]:
    """The hedge right before the number, and where it starts (to include it in the quote)."""
    before = text[clause[0] : mention.start]
    for pattern, name in _QUALIFIERS:
        if match := re.search(rf"(?:\b|(?<=[\s(]))({pattern})\s*(?:\(\s*)?$", before, re.I):
            return name, clause[0] + match.start(1)
    if after := HEDGE_AFTER_RE.match(text, mention.end, clause[1]):
        return ("at least" if after.group(1) else "under"), mention.start  # "30% or higher"
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
ABSOLUTE_UNITS = re.compile(r"^(?:[KMGT]i?B|ns|µs|μs|ms)$")


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
    if mention.unit and ABSOLUTE_UNITS.match(mention.unit):
        return "cost"
    if _OVERHEAD_RE.search(before) or _OVERHEAD_RE.search(near_after):
        return "cost"
    return "improvement"


# ---------------------------------------------------------------- is it the paper's own result

# A result cue: a comparison or a change ("than", "over", "outperforms", "reduces", "2x faster").
_RESULT_CUE_RE = re.compile(
    r"\b(?:than|over|compared|relative|versus|vs\.?|against|outperform\w*|surpass\w*|beat\w*|"
    r"exceed\w*|improv\w*|reduc\w*|increas\w*|decreas\w*|boost\w*|accelerat\w*|speed\w*|"
    r"faster|slower|higher|lower|better|fewer|less|more|saving\w*|sav(?:e|es|ed)|cut\w*|"
    r"gain\w*|achiev\w*|attain\w*|reach\w*|deliver\w*|yield\w*|obtain\w*|enabl\w*|up to|"
    r"maintain\w*|retain\w*|preserv\w*|"
    r"overhead|throughput|latency|accuracy|outperform|state-of-the-art|sota|baseline\w*|"
    r"drop\w*|shrink\w*|lift\w*|rais\w*|halv\w*|doubl\w*)\b"
    r"|\b(?:results?|findings)\s*:"  # a structured abstract's "Results:" section
    # "Evaluation across seven workloads demonstrates 93.9% average efficiency"
    # (not others' findings, "Prior results show 12% of contracts ...", nor a share of a
    # population: the first number after the verb is no "N of" / "N% of")
    r"|(?<!recent )(?<!prior )(?<!previous )(?<!existing )(?<!earlier )(?<!clinical )"
    r"(?<!published )\b(?:evaluations?|experiments?|results|benchmarks?|tests)\b[^.;]{0,150}?"
    r"\b(?:show|shows|demonstrates?|reveals?|confirms?)\s+(?!that\b)[^.;\d]{0,40}?"
    r"\d[\d.]*\s?%?(?!\s*of\b)(?![\d.%])",
    re.I,
)


def presents_result(text: str, sentence: tuple[int, int], method: str | None) -> bool:
    """Whether the sentence presents a result of the paper: its own work named ("we", "our",
    "the proposed", the method) or a comparison or change stated. A number in a sentence with
    neither (a measured constant, a definition, a sample description) is not a claimed gain."""
    words = text[sentence[0] : sentence[1]]
    return names_own_work(words, method) or bool(_RESULT_CUE_RE.search(words))
