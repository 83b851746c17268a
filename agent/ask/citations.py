"""Checking an answer's citations in code: every cited id must be a stored paper the answer's
retrieval actually returned, and every number must be one the cited papers state.

The model is told these rules; this module is what makes them hold. Bad citations are removed
from the text (so a reader never follows an id that does not exist), and what was wrong is
returned so that the caller can re-ask or flag the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agent.core.numbers import numbers_in, same_number

# [seed-011] or [seed-011, seed-012] or [seed-011; 2401.01234]
CITATION_RE = re.compile(r"\[([A-Za-z0-9][\w.:/-]*(?:\s*[,;]\s*[A-Za-z0-9][\w.:/-]*)*)\]")


def cited_ids(answer: str) -> list[str]:
    """Every id cited in `answer`, in order of first citation."""
    seen: dict[str, None] = {}
    for match in CITATION_RE.finditer(answer):
        for ref in re.split(r"\s*[,;]\s*", match.group(1)):
            seen.setdefault(ref.strip(), None)
    return list(seen)


@dataclass
class CitationCheck:
    """What checking an answer found; `text` is the answer with bad citations removed."""

    text: str
    valid: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # no stored paper has this id
    not_retrieved: list[str] = field(default_factory=list)  # stored, but never shown to the model
    unsupported_numbers: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unknown or self.not_retrieved or self.unsupported_numbers)

    def problems(self) -> list[str]:
        """One line per problem, as fed back to the model in a re-ask."""
        lines = [f"[{i}] is not a stored paper id; never invent ids." for i in self.unknown]
        lines += [
            f"[{i}] was not returned by any tool call; cite only papers the tools returned."
            for i in self.not_retrieved
        ]
        if self.unsupported_numbers:
            nums = ", ".join(f"{n:g}" for n in self.unsupported_numbers)
            lines.append(
                f"these numbers appear in no cited paper's abstract or gains: {nums}; "
                "use only numbers the cited papers state."
            )
        return lines


def _strip(text: str, bad: set[str]) -> str:
    """`text` without the citations of `bad` ids (a bracket left empty is removed whole)."""

    def keep(match: re.Match[str]) -> str:
        refs = [r.strip() for r in re.split(r"\s*[,;]\s*", match.group(1))]
        kept = [r for r in refs if r not in bad]
        return f"[{', '.join(kept)}]" if kept else ""

    stripped = CITATION_RE.sub(keep, text)
    return re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", stripped)).strip()


def check_answer(
    answer: str,
    *,
    retrieved: set[str],
    exists: Callable[[str], bool],
    evidence_text: Mapping[str, str],
) -> CitationCheck:
    """Check `answer` against what retrieval returned.

    `exists(id)` says whether a stored paper has that id; `evidence_text[id]` is what the paper
    states (abstract, takeaway and gains) for the number check. Numbers inside citations, and
    list markers such as "1." are not claims and are not checked.
    """
    ids = cited_ids(answer)
    check = CitationCheck(text=answer)
    for ref in ids:
        if ref in retrieved:
            check.valid.append(ref)
        elif exists(ref):
            check.not_retrieved.append(ref)
        else:
            check.unknown.append(ref)
    check.text = _strip(answer, set(check.unknown) | set(check.not_retrieved))
    prose = re.sub(r"(?m)^\s*\d+[.)]\s+", "", CITATION_RE.sub(" ", check.text))
    sources = " ".join(evidence_text.get(ref, "") for ref in check.valid)
    stated = numbers_in(sources)
    for number in numbers_in(prose):
        if not any(same_number(number, s) for s in stated) and number not in (
            check.unsupported_numbers
        ):
            check.unsupported_numbers.append(number)
    return check
