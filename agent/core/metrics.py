"""The one metric-family table: which kind of result a gain's metric (or a question) is about.

`ask` reads families in questions ("faster", "memory", "lose accuracy") and matches them against
stored gains' metric and quote; one table keeps the two readings the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# family → pattern over a gain's metric/quote text (lower-cased)
FAMILY_PATTERNS: dict[str, str] = {
    "speed": r"speed|faster|throughput|latency|runtime|run time|accelerat|\btime\b|"
    r"time-to|ttft|fps|tokens?/s|wall-?clock|training time|inference time|\bslow",
    "memory": r"memory|\bv?ram\b|footprint|kv[- ]?cache|\bcache|activation|optimizer state",
    "accuracy": r"accura|\bf1\b|exact match|\bem\b|error|\bwer\b|\bcer\b|precision|recall|"
    r"success|auc|auroc|auprc|perplexity|\bppl\b|iou\b|\bmap\b|score|bleu|rouge|fid|psnr|"
    r"ssim|quality|win rate|pass@|\bdb\b",
    "cost": r"cost|energy|power|price|dollar|\$|flops|compute|token usage|tokens|gpu hours",
    "overhead": r"overhead|slowdown|extra|additional",
    "communication": r"communicat|bandwidth|traffic|message|transmi|network",
    "size": r"size|parameters?|\bparams\b|compress|storage|bits|footprint",
}

# A word of a question → the family it asks about.
FAMILY_TRIGGERS: dict[str, str] = {
    **dict.fromkeys(
        [
            "speedup",
            "speedups",
            "speed",
            "faster",
            "fast",
            "quicker",
            "accelerate",
            "accelerates",
            "acceleration",
            "throughput",
            "latency",
            "runtime",
            "slower",
        ],
        "speed",
    ),
    **dict.fromkeys(["memory", "vram", "ram", "footprint"], "memory"),
    **dict.fromkeys(
        [
            "accuracy",
            "accurate",
            "f1",
            "auc",
            "auroc",
            "auprc",
            "perplexity",
            "psnr",
            "ssim",
            "rouge",
            "miou",
            "error",
            "errors",
            "wer",
            "bleu",
            "fid",
            "score",
            "success",
            "succeed",
            "succeeds",
            "recall",
            "precision",
        ],
        "accuracy",
    ),
    **dict.fromkeys(
        ["cost", "costs", "energy", "power", "price", "cheaper", "dollar", "dollars"], "cost"
    ),
    **dict.fromkeys(["overhead", "overheads"], "overhead"),
    **dict.fromkeys(["communication", "bandwidth", "traffic"], "communication"),
    **dict.fromkeys(["size", "smaller", "parameters", "compression"], "size"),
}

# Question words that name one metric of their family, not the family: "a throughput increase"
# is answered by a gain whose metric or quote speaks of throughput, not by any speedup. Trigger
# words not here ("speedup", "faster", "memory", "cost", "score") name the whole family.
_ERROR = r"error|\b[wce]er\b"
_ENERGY = r"energy|power|joule|watt|\bkwh\b"
_SUCCESS = r"succe|\basr\b|evasion|evade"
_PRICE = r"dollar|\busd\b|price|\bcents?\b"
METRIC_PATTERNS: dict[str, str] = {
    "throughput": r"throughput|tokens?/s|req/s|\bqps\b|queries per second|(?:samples|images)/s",
    "latency": r"latency|time[- ]to[- ]|\bttft\b|response time|delay",
    "runtime": r"runtime|run[- ]?time|running time|wall-?clock|\btime\b",
    "accuracy": r"accura",
    "accurate": r"accura",
    "f1": r"\bf1\b",
    "auc": r"\bauc\b|auroc|auprc",
    "auroc": r"auroc|\bauc\b",
    "auprc": r"auprc",
    "perplexity": r"perplexity|\bppl\b",
    "psnr": r"psnr",
    "ssim": r"ssim",
    "rouge": r"rouge",
    "miou": r"\bm?iou\b",
    "error": _ERROR,
    "errors": _ERROR,
    "wer": r"\bwer\b|word error",
    "bleu": r"bleu",
    "fid": r"\bfid\b",
    "recall": r"recall",
    "precision": r"precision",
    "success": _SUCCESS,
    "succeed": _SUCCESS,
    "succeeds": _SUCCESS,
    "energy": _ENERGY,
    "power": _ENERGY,
    "dollar": _PRICE,
    "dollars": _PRICE,
    "price": _PRICE,
    "communication": r"communicat",
    "bandwidth": r"bandwidth",
    "traffic": r"traffic",
    "compression": r"compress",
}

_COMPILED = {name: re.compile(p, re.IGNORECASE) for name, p in FAMILY_PATTERNS.items()}
_METRICS = {word: re.compile(p, re.IGNORECASE) for word, p in METRIC_PATTERNS.items()}


def in_family(family: str, text: str) -> bool:
    """Whether `text` (a gain's metric and quote) is about `family`."""
    return _COMPILED[family].search(text) is not None


def in_any_family(text: str) -> bool:
    """Whether `text` is about any metric family ("throughput", "memory"; not "buildings")."""
    return any(pattern.search(text) for pattern in _COMPILED.values())


def about_metrics(words: Iterable[str], text: str) -> bool:
    """Whether `text` (a gain's metric and quote) is about what the question's metric `words`
    (its FAMILY_TRIGGERS words) ask: for each family they name, one of the named metrics when
    every word of that family names one (METRIC_PATTERNS), else any metric of the family."""
    generic: set[str] = set()  # families asked for as a whole
    named: dict[str, list[re.Pattern[str]]] = {}
    for word in words:
        family = FAMILY_TRIGGERS.get(word)
        if family is None:
            continue
        if (pattern := _METRICS.get(word)) is None:
            generic.add(family)
        else:
            named.setdefault(family, []).append(pattern)
    families = generic | set(named)
    if not families:
        return True
    return any(
        in_family(f, text) if f in generic else any(p.search(text) for p in named[f])
        for f in families
    )
