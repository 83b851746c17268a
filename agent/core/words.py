"""Content words and metric families: the one rule for "these two labels name the same thing".

evals/data/ANNOTATION.md ("Metric agreement") defines it: two labels agree when they share a
content word (case-folded, plural/-ing/-ed stripped, words such as "improvement", "average" or
"score" carrying no meaning), or, for metrics, when both belong to the same family (speed,
memory, quality, cost, overhead, communication, size). The eval scores agreement with these
functions and the validator uses `content_words` to check that a metric or baseline is supported
by the abstract, so both read a label the same way.
"""

from __future__ import annotations

import re

# Function words, plus the change words ANNOTATION.md says carry no meaning in a metric label.
_STOP_TEXT = """
    a an the of in on for to and or with by at from over than vs versus per its their our his her
    this that these those is are be been was were as up into via under across between within
    it we they which who whose when while both each all any some such other more less most
    improvement reduction increase decrease gain overall average score rate
    higher lower better worse larger smaller greater fewer relative absolute respectively
    """
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Families of ANNOTATION.md, as stems (see `stem`); a family's own name counts as a member.
FAMILIES: dict[str, frozenset[str]] = {
    "speed": frozenset(
        {"speed", "speedup", "fast", "faster", "throughput", "runtime", "time", "latency", "fps"}
    ),
    "memory": frozenset({"memory", "footprint", "vram", "kvcache", "storage"}),
    "quality": frozenset(
        [
            "quality",
            "accuracy",
            "error",
            "f1",
            "bleu",
            "rouge",
            "precision",
            "recall",
            "map",
            "wer",
            "perplexity",
            "fid",
            "psnr",
            "success",
        ]
    ),
    "cost": frozenset({"cost", "price", "energy", "power"}),
    "overhead": frozenset({"overhead"}),
    "communication": frozenset({"communication", "bandwidth", "traffic"}),
    "size": frozenset({"size", "parameter", "compression"}),
}

_VOWEL_RE = re.compile(r"[aeiouy]")
_CHUNK_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def stem(word: str) -> str:
    """A case-folded word with a plural, -ing or -ed ending stripped ('speedups' → 'speedup',
    'caching' → 'cach', 'queries' → 'query'). Crude on purpose: both sides of a comparison go
    through the same function, so only consistency matters."""
    word = word.lower()
    if len(word) > 5 and word.endswith("ing") and _VOWEL_RE.search(word[:-3]):
        return word[:-3]
    if len(word) > 5 and word.endswith("ed") and _VOWEL_RE.search(word[:-2]):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_words(text: str | None) -> set[str]:
    """The stems of the meaningful words of `text`. A hyphenated word counts whole and by its
    parts ('speed-up' gives 'speedup', 'speed', 'up' → {'speedup', 'speed'}); 'KV cache' also
    gives 'kvcache' so the memory family can name it."""
    if not text:
        return set()
    lowered = text.lower()
    words: set[str] = set()
    for chunk in _CHUNK_RE.findall(lowered):
        parts = re.split(r"[-']", chunk)
        for word in [*parts, "".join(parts)] if len(parts) > 1 else parts:
            if word and word not in STOP_WORDS and not word.isdigit():
                words.add(stem(word))
    if re.search(r"\bkv[\s-]*cache", lowered):
        words.add("kvcache")
    return {w for w in words if w not in STOP_WORDS}


def families(text: str | None) -> set[str]:
    """The metric families `text` names ('end-to-end latency' → {'speed'})."""
    words = content_words(text)
    return {name for name, members in FAMILIES.items() if words & members}


def labels_share_word(a: str | None, b: str | None) -> bool:
    """True when the two labels share a content word."""
    return bool(content_words(a) & content_words(b))


def metrics_agree(predicted: str | None, gold: str | None) -> bool:
    """ANNOTATION.md's metric agreement: a shared content word or a shared family."""
    return labels_share_word(predicted, gold) or bool(families(predicted) & families(gold))
