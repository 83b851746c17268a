"""A paper as a source gave it: the one record every reader yields and the store keeps."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

_NOT_WORD_RE = re.compile(r"[\W_]+")
# The ASCII characters _NOT_WORD_RE matches, for bytes.translate (every one but letters, digits).
_NOT_WORD_ASCII = bytes(c for c in range(128) if _NOT_WORD_RE.match(chr(c)))


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
    return _collapsed(data).decode("ascii")


def _collapsed(data: bytes) -> bytes:
    # The ends first: an abstract's leading spaces and final newline are then no run to
    # collapse, and most abstracts need no replace pass at all.
    data = data.strip(b" ")
    while b"  " in data:
        data = data.replace(b"  ", b" ")
    return data


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
    # The keys the store matches papers by, computed with the record (ingest needs both for
    # every record: the dedup look-up and the writes); they follow from title and abstract.
    title_key: str = field(init=False, repr=False, compare=False)
    abstract_hash: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "title_key", title_key(self.title))
        object.__setattr__(self, "abstract_hash", abstract_hash(self.abstract))


def title_key(title: str) -> str:
    """Same title up to case, Unicode form, punctuation and spacing → same key."""
    folded = nfkc(title).casefold()
    if folded.isascii():  # what _NOT_WORD_RE removes, by bytes.translate
        normalized = folded.encode("ascii").translate(None, _NOT_WORD_ASCII)
    else:
        normalized = _NOT_WORD_RE.sub("", folded).encode("utf-8")
    normalized = normalized or collapse_spaces(folded).encode("utf-8")
    return hashlib.sha1(normalized).hexdigest()[:16]


def abstract_hash(abstract: str) -> str:
    """Changes whenever the abstract's text does (Unicode form and spacing aside)."""
    if abstract.isascii():  # collapse_spaces, hashed as the bytes it makes
        normalized = _collapsed(abstract.encode("ascii").translate(ASCII_SPACES))
    else:
        normalized = collapse_spaces(unicodedata.normalize("NFKC", abstract)).encode("utf-8")
    return hashlib.sha256(normalized).hexdigest()[:16]
