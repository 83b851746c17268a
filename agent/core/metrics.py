"""The one metric-family table: which kind of result a gain's metric (or a question) is about.

`ask` reads families in questions ("faster", "memory", "lose accuracy") and matches them against
stored gains' metric and quote; one table keeps the two readings the same.
"""

from __future__ import annotations

import re

# family → pattern over a gain's metric/quote text (lower-cased)
FAMILY_PATTERNS: dict[str, str] = {
    "speed": r"speed|faster|throughput|latency|runtime|run time|accelerat|\btime\b|"
    r"time-to|ttft|fps|tokens?/s|wall-?clock|training time|inference time|\bslow",
    "memory": r"memory|\bv?ram\b|footprint|kv[- ]?cache|\bcache|activation|optimizer state",
    "accuracy": r"accura|\bf1\b|exact match|\bem\b|error|\bwer\b|\bcer\b|precision|recall|"
    r"success|auc|\bmap\b|score|bleu|rouge|fid|psnr|ssim|quality|win rate|pass@|\bdb\b",
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
        ["accuracy", "accurate", "f1", "error", "errors", "wer", "bleu", "fid", "score"], "accuracy"
    ),
    **dict.fromkeys(
        ["cost", "costs", "energy", "power", "price", "cheaper", "dollar", "dollars"], "cost"
    ),
    **dict.fromkeys(["overhead", "overheads"], "overhead"),
    **dict.fromkeys(["communication", "bandwidth", "traffic"], "communication"),
    **dict.fromkeys(["size", "smaller", "parameters", "compression"], "size"),
}

_COMPILED = {name: re.compile(p, re.IGNORECASE) for name, p in FAMILY_PATTERNS.items()}


def in_family(family: str, text: str) -> bool:
    """Whether `text` (a gain's metric and quote) is about `family`."""
    return _COMPILED[family].search(text) is not None
