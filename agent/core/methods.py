"""The method's name as a paper writes it: used by the offline engine to name it in a takeaway
and by the evals to check that a takeaway names it, so both read names the same way."""

from __future__ import annotations

import re

# Words that open a title's head without naming anything ("Rethinking X: ...").
_TITLE_OPENER_RE = re.compile(
    r"rethinking|revisiting|towards?|beyond|on|understanding|improving|scaling|learning|"
    r"efficient|bridging|when|why|how|what",
    re.I,
)
NAME_TOKEN = r"[A-Za-z][\w$^{}+&\-]*"
# What introduces a name: "we propose Foo Bar (FB)", "we present X, a ...", "a framework named
# X", "..., or X". A token followed by a noun ("a novel PTQ algorithm") is a modifier, not a
# name, and a named dataset or benchmark is not the method.
_INTRO_RE = re.compile(
    r"\b(?:propose|present|introduce|develop|design)s?\s+(?:(?:a|an|the)\s+)?(?:(?:novel|new)\s+)?"
    rf"(?:(?:(?:[A-Z][\w\-]*|of|for|and|with|the|to)\s+){{0,7}}\(({NAME_TOKEN})\)"
    rf"|({NAME_TOKEN})(?=[,.;:(]|\s+(?:to|that|which|for|as|with|is)\b))"
    rf"|(?<!dataset )(?<!benchmark )\b(?:named|called|dubbed|termed|namely)\s+({NAME_TOKEN})"
    rf"|,\s+or\s+({NAME_TOKEN})"
)
_INTRO_SENTENCE_RE = re.compile(r"\b(?:propos|present|introduc|develop|design|named|called)")


def looks_coined(token: str) -> bool:
    """'ProMoE', 'POLARIS', 'HiFi4G', 'MoE++', 'IR-QLoRA': a capital after the first letter, a
    digit or a '+'; plural acronyms ('LLMs', 'DNNs') name a kind of thing, not a method."""
    word = token.strip("$^{}.,")
    if re.fullmatch(r"[A-Z]+s", word):
        return False
    return bool(re.search(r"[A-Z]|\d|\+", word[1:]))


def squash(text: str) -> str:
    """Lower-case letters and digits only: "A$^2$ATS" and "A^2ATS" both become "a2ats"."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def title_name(title: str) -> str | None:
    """The head of "Head: rest" (or "Head -- rest") when it reads as a name.

    "ProMoE: Fast MoE-based LLM Serving" gives "ProMoE"; a one-word head counts unless it is a
    title opener ("Rethinking:"); a two-word head counts when one word looks coined ("Sparse
    MeZO"); longer or descriptive heads ("Less Is More", "Beyond Inference") give None.
    """
    parts = re.split(r":|\s--\s", title, maxsplit=1)
    head = parts[0].strip() if len(parts) == 2 else ""
    words = head.split()
    if not words or len(words) > 2 or _TITLE_OPENER_RE.fullmatch(words[0]):
        return None
    if len(words) == 1 or any(looks_coined(w) for w in words):
        return head
    return None


def introduced_name(abstract: str) -> str | None:
    """The coined name of "we propose X", "we introduce Foo Bar (FB)", "named X", "..., or X"."""
    for sentence in re.split(r"(?<=[.!?])\s+", abstract):
        if not _INTRO_SENTENCE_RE.search(sentence):
            continue
        for match in _INTRO_RE.finditer(sentence):
            token = next(group for group in match.groups() if group)
            if looks_coined(token):
                return token.rstrip(".,;")
    return None


def find_method_name(title: str, abstract: str) -> str | None:
    """The method's name as the abstract writes it: the title's head when it is a name, else
    the coined name of "we propose ..."; a defined short form ("Foo Bar (FB)") is preferred."""
    name = title_name(title) or introduced_name(abstract)
    if name is None:
        return None
    if short := re.search(re.escape(name) + rf"\s*\(({NAME_TOKEN})\)", abstract):
        return short.group(1)
    if squash(name) not in squash(abstract):
        # "Expert-as-a-Service" in the title, "EaaS" in the abstract.
        initials = "".join(part[0] for part in re.split(r"[\s\-]+", name) if part)
        if re.search(rf"\b{re.escape(initials)}\b", abstract):
            return initials
    written = re.sub(r"[${}]", "", name)
    return written if written in abstract else name


def method_aliases(name: str, abstract: str) -> set[str]:
    """The name and what the abstract pairs it with: "Foo Bar (FB)" makes "FB" and "Foo Bar"
    one method, so a takeaway may use either; so are "Expert-as-a-Service" and "EaaS"."""
    found = {name}
    initials = "".join(part[0] for part in re.split(r"[\s\-]+", name) if part)
    if len(initials) > 1 and re.search(rf"\b{re.escape(initials)}\b", abstract):
        found.add(initials)
    escaped = re.escape(name)
    if match := re.search(escaped + r"\s*\(([^()]{2,40})\)", abstract):
        found.add(match.group(1))
    if match := re.search(r"((?:[A-Z][\w\-]*\s+){1,6})\(" + escaped + r"\)", abstract):
        found.add(match.group(1).strip())
    return found


def takeaway_names_method(takeaway: str, title: str, abstract: str) -> bool | None:
    """Whether the takeaway names the method; None when no name can be identified."""
    name = title_name(title) or introduced_name(abstract)
    if name is None:
        return None
    squashed = squash(takeaway)
    return any(
        squash(alias) and squash(alias) in squashed for alias in method_aliases(name, abstract)
    )
