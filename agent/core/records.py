"""A paper as a source gave it: the one record every reader yields and the store keeps."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

_NOT_WORD_RE = re.compile(r"[\W_]+")


# Every character str.split() splits ASCII text on, made a space (a bytes.translate table).
ASCII_SPACES = bytes.maketrans(b"\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f", b" " * 9)


def collapse_spaces(text: str) -> str:
    """Runs of whitespace made one space, none at the ends: `" ".join(text.split())`."""
    if not text.isascii():
        return " ".join(text.split())
    return collapse_ascii(text.encode("ascii").translate(ASCII_SPACES))


def collapse_ascii(data: bytes) -> str:
    """ASCII whose whitespace is all spaces (see ASCII_SPACES), runs made one, none at the ends.

    The same as splitting and joining, without a string a word (an abstract has hundreds):
    several times faster, and ingest does it for every field of every record.
    """
    while b"  " in data:
        data = data.replace(b"  ", b" ")
    return data.strip(b" ").decode("ascii")


def nfkc(text: str) -> str:
    """`text` in Unicode form NFKC (ASCII already is: skipped, as it is most text)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


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

    # Computed once a record (the store's dedup look-up and its writes both need them).
    @cached_property
    def title_key(self) -> str:
        """Same title up to case, Unicode form, punctuation and spacing → same key."""
        folded = nfkc(self.title).casefold()
        normalized = _NOT_WORD_RE.sub("", folded) or collapse_spaces(folded)
        return hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:16]

    @cached_property
    def abstract_hash(self) -> str:
        """Changes whenever the abstract's text does (Unicode form and spacing aside)."""
        normalized = collapse_spaces(nfkc(self.abstract))
        return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]
