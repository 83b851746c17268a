"""A paper as a source gave it: the one record every reader yields and the store keeps."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

_NOT_WORD_RE = re.compile(r"[\W_]+")


def collapse_spaces(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class PaperRecord:
    """One paper as a source gave it, with whitespace collapsed in every text field."""

    title: str
    abstract: str
    source: str  # the file path as given
    line: int  # 1-based line the record starts on; for Atom, the entry's 1-based index
    source_id: str | None  # the source's own id; the versioned arXiv id for Atom
    arxiv_id: str | None  # without version: "2401.12345", "hep-th/9901001"
    arxiv_version: int | None
    url: str | None
    authors: tuple[str, ...]
    published: str | None  # ISO date, "YYYY-MM-DD" (or "YYYY" when a source gives only a year)
    categories: tuple[str, ...]
    announce_type: str | None = None  # arXiv listings: new, cross, replace, replace-cross

    @property
    def title_key(self) -> str:
        """Same title up to case, Unicode form, punctuation and spacing → same key."""
        folded = unicodedata.normalize("NFKC", self.title).casefold()
        normalized = _NOT_WORD_RE.sub("", folded) or collapse_spaces(folded)
        return hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:16]

    @property
    def abstract_hash(self) -> str:
        """Changes whenever the abstract's text does (Unicode form and spacing aside)."""
        normalized = collapse_spaces(unicodedata.normalize("NFKC", self.abstract))
        return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]
