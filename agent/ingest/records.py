"""Turn input files into paper records: one `PaperRecord` or `RecordError` per record, streamed.

Formats are read by `agent.sources`; this module decides what the fields mean: which are
required, how an arXiv id, authors, categories and dates are recognized, and the keys the store
matches papers by (`title_key`, `abstract_hash`). Text is kept as given apart from collapsing
whitespace: LaTeX such as `2.2$\\times$` or `\\%` and any HTML are a later step's business.
"""

from __future__ import annotations

import calendar
import csv
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal, get_args

from agent.core.records import ASCII_SPACES, PaperRecord, collapse_ascii, collapse_spaces
from agent.ingest import opening
from agent.ingest.bibtex import read_bibtex
from agent.ingest.feeds import read_feed
from agent.ingest.fields import SYNONYMS, canonical, has_field
from agent.ingest.readers import (
    IngestError,
    Raw,
    RawProblem,
    RawRecord,
    looks_like_listing,
    read_csv,
    read_json,
    read_jsonl,
    read_listing,
    split_arxiv_id,
)

__all__ = [
    "FORMATS",
    "Format",
    "IngestError",
    "PaperRecord",
    "RecordError",
    "detect_format",
    "parse_file",
]

# "feed" is every RSS and Atom dialect (arXiv listings and API included); "atom" and "rss" are
# accepted as its other names.
Format = Literal["listing", "jsonl", "json", "csv", "feed", "bibtex", "atom", "rss"]
FORMATS: tuple[Format, ...] = get_args(Format)


def _csv_columns(mapping: Mapping[str, str] | None) -> Callable[[list[str]], str | None]:
    def missing(header: list[str]) -> str | None:
        for field in ("title", "abstract"):
            if not has_field(header, field, mapping):
                return f"{field} ({' / '.join(repr(n) for n in SYNONYMS[field][:4])}, …)"
        return None

    return missing


_READERS: dict[Format, Callable[[Path], Iterator[Raw]]] = {
    "listing": read_listing,
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "feed": read_feed,
    "atom": read_feed,
    "rss": read_feed,
    "bibtex": read_bibtex,
}
_EXTENSIONS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".xml": "feed",
    ".atom": "feed",
    ".rss": "feed",
    ".rdf": "feed",
    ".bib": "bibtex",
    ".txt": "listing",
}
_SNIFF_BYTES = opening.SNIFF_BYTES
# Far longer than any real abstract (arXiv caps them at 1,920 characters): a field this long is
# a parsing accident or an attack, one skipped record either way. (Long but smaller abstracts
# are cut to the token budget by the summarizer.)
MAX_ABSTRACT_CHARS = 1_000_000
MAX_TITLE_CHARS = 2_000
MAX_ID_CHARS = 300
# NUL (PostgreSQL refuses it in text), lone UTF-16 surrogates (not encodable as UTF-8) and
# other control characters (terminal escapes) are removed from every text field.
_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The same characters within ASCII, for bytes.translate (many times faster than the regex).
_UNSAFE_ASCII = bytes(c for c in range(128) if _UNSAFE_RE.match(chr(c)))
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|&|\band\b)\s*")
_CATEGORY_SPLIT_RE = re.compile(r"[\s,]+")


def _collapse(text: str) -> str:
    if text.isascii():
        # Printable ASCII holds no control character and no whitespace but the space: with no
        # run of spaces and none at the ends there is nothing to do (most fields but abstracts).
        # Cheapest test first: a snapshot abstract fails at its leading spaces, not after a
        # scan to its final newline.
        if text[:1] != " " and text[-1:] != " " and "  " not in text and text.isprintable():
            return text
        # Unsafe characters dropped, then whitespace made spaces, in one pass.
        return collapse_ascii(text.encode("ascii").translate(ASCII_SPACES, _UNSAFE_ASCII))
    return collapse_spaces(_UNSAFE_RE.sub("", text))


@dataclass(frozen=True)
class RecordError:
    """A record that was skipped, where it is, and what is wrong with it."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


def detect_format(path: Path) -> Format:
    """The format named by the file's extension (under any .gz/.bz2/.xz), else by its bytes.

    Raises IngestError for a missing file, a corrupt archive or a binary file, in one line.
    """
    path = Path(path)
    head = opening.head(path)
    by_extension = _EXTENSIONS.get(opening.logical_suffix(path))
    if by_extension == "json":
        # The arXiv metadata snapshot is JSON Lines named .json; tell by the first line.
        return "jsonl" if _first_line_is_paper(head.split(b"\n", 1)[0]) else "json"
    if by_extension is not None:
        return by_extension
    sniffed = _sniff(head)
    if sniffed is None:
        raise IngestError(
            f"{path}: cannot tell the format from its name or contents; "
            f"name one with --format: {', '.join(FORMATS)}"
        )
    return sniffed


def _sniff(head: bytes) -> Format | None:
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff").lstrip()
    first_line = text.split("\n", 1)[0].strip()
    if text.startswith("<"):
        return "feed"  # the feed reader names an HTML page or other XML for what it is
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        return "jsonl" if _first_line_is_paper(first_line.encode("utf-8")) else "json"
    if text.startswith("@"):
        return "bibtex"
    if looks_like_listing(first_line):
        return "listing"
    names = next(csv.reader([first_line]), [])
    if has_field(names, "title") and has_field(names, "abstract"):
        return "csv"
    return None


def _first_line_is_paper(line: bytes) -> bool:
    """A whole JSON object on the first line, and not a {"papers": [...]} document."""
    try:
        value = json.loads(line.decode("utf-8", errors="replace").removeprefix("\ufeff"))
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and not isinstance(value.get("papers"), list)


def parse_file(
    path: Path | str,
    fmt: Format | None = None,
    mapping: Mapping[str, str] | None = None,
    label: str | None = None,
) -> Iterator[PaperRecord | RecordError]:
    """Every record of the file, in file order: a `PaperRecord`, or a `RecordError` if bad.

    Streams (JSONL, listing and CSV files a line at a time, also when compressed; JSON, feeds
    and BibTeX are read whole). `mapping` names fields (see agent.ingest.fields); `label` is
    the source name records carry (a URL for a fetched file; default: the path). Raises
    `IngestError` here for a missing, unreadable, binary or unknown file, and during iteration
    for a document that stops early or is not well-formed, after the records before the fault.
    """
    source = label or os.fspath(path)
    path = Path(path)
    if fmt is None:
        fmt = detect_format(path)
    elif fmt not in _READERS:
        raise IngestError(f"{source}: unknown format {fmt!r}; expected one of: {FORMATS}")
    else:
        opening.head(path)  # missing, corrupt or binary: one line now, not a traceback later
    raws = read_csv(path, _csv_columns(mapping)) if fmt == "csv" else _READERS[fmt](path)
    return _records(source, raws, mapping)


def _records(
    source: str, raws: Iterator[Raw], mapping: Mapping[str, str] | None
) -> Iterator[PaperRecord | RecordError]:
    for raw in raws:
        if isinstance(raw, RawProblem):
            yield RecordError(source, raw.line, raw.message)
        else:
            yield _to_record(source, raw, mapping)


class _BadField(ValueError):
    """A field's value cannot be used; the message says which and why."""


def _to_record(
    source: str, raw: RawRecord, mapping: Mapping[str, str] | None = None
) -> PaperRecord | RecordError:
    """Check and normalize one record's fields, found by the rule of agent.ingest.fields.

    Any failure here is this record's problem, reported as a skip: never the file's.
    """
    try:
        return _build(source, raw.line, canonical(raw.fields, mapping))
    except _BadField as exc:
        return RecordError(source, raw.line, str(exc))
    except (RecursionError, ValueError, TypeError) as exc:
        return RecordError(source, raw.line, f"invalid record: {str(exc)[:120]}")


def _build(source: str, line: int, fields: Mapping[str, object]) -> PaperRecord:
    title = _required_text(fields, "title")
    abstract = _required_text(fields, "abstract")
    if len(title) > MAX_TITLE_CHARS:
        raise _BadField(f"title is {len(title):,} characters (over {MAX_TITLE_CHARS:,})")
    if len(abstract) > MAX_ABSTRACT_CHARS:
        raise _BadField(
            f"abstract is {len(abstract):,} characters (over {MAX_ABSTRACT_CHARS:,}; "
            "a broken field or not an abstract)"
        )
    source_id = _optional_id(fields, "id")
    url = _optional_text(fields, "url")
    arxiv_id, version = _arxiv(fields, source_id, url)
    if version is None:
        version = _last_version(fields)
    announce = _optional_text(fields, "announce_type")
    return PaperRecord(
        title=title,
        abstract=abstract,
        source=source,
        line=line,
        source_id=source_id,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        url=url,
        authors=_authors(fields),
        published=_published(fields),
        categories=_categories(fields),
        announce_type=announce.lower() if announce else None,
    )


def _type_name(value: object) -> str:
    return {list: "a list", dict: "an object", bool: "a boolean"}.get(type(value), "a number")


def _optional_text(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadField(f"field {name!r} must be a string, not {_type_name(value)}")
    return _collapse(value) or None


def _required_text(fields: Mapping[str, object], name: str) -> str:
    if fields.get(name) is not None:
        text = _optional_text(fields, name)
        if text is None:
            raise _BadField(f"empty {name}")
        return text
    raise _BadField(f"missing field {name!r}")


def _optional_id(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**MAX_ID_CHARS:
            raise _BadField(f"id is a number of over {MAX_ID_CHARS} digits")
        return str(value)
    text = _optional_text(fields, name)
    if text is not None and len(text) > MAX_ID_CHARS:
        raise _BadField(f"id is {len(text):,} characters (over {MAX_ID_CHARS})")
    return text


def _arxiv(
    fields: Mapping[str, object], source_id: str | None, url: str | None
) -> tuple[str | None, int | None]:
    """From an `arxiv_id` field (which must be valid), else an `id` or `url` that is one."""
    explicit = _optional_text(fields, "arxiv_id")
    if explicit is not None:
        parsed = split_arxiv_id(explicit)
        if parsed is None:
            raise _BadField(f"invalid arXiv id {explicit!r} in 'arxiv_id'")
        return parsed
    for candidate in (source_id, url):
        if candidate and (parsed := split_arxiv_id(candidate)):
            return parsed
    return None, None


def _versions(fields: Mapping[str, object]) -> list[Mapping[str, object]]:
    """The arXiv-snapshot `versions` list: [{"version": "v1", "created": "Mon, 2 Apr 2007…"}]."""
    value = fields.get("versions")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _BadField("field 'versions' must be a list of objects")
    return value


_VERSION_RE = re.compile(r"v(\d+)")
_YEAR_RE = re.compile(r"\d{4}")


def _last_version(fields: Mapping[str, object]) -> int | None:
    versions = _versions(fields)
    if not versions:
        return None
    label = versions[-1].get("version")
    match = _VERSION_RE.fullmatch(label.strip()) if isinstance(label, str) else None
    if match is None:
        raise _BadField(f"invalid version {label!r} in 'versions'")
    return int(match.group(1))


# "Mon, 2 Apr 2007 19:18:42 GMT", the snapshot's form: read here without the general parser.
# Its day is the date as written (parsedate_to_datetime keeps the zone given, so .date() is it).
_RFC2822_RE = re.compile(
    r"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:GMT|UTC?)"
)
_MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}


def _rfc2822_day(text: str) -> str | None:
    match = _RFC2822_RE.fullmatch(text)
    if match is None or (month := _MONTHS.get(match[2].title())) is None:
        return None
    day, year, hour, minute, second = map(int, match.group(1, 3, 4, 5, 6))
    try:
        return datetime(year, month, day, hour, minute, second).date().isoformat()
    except ValueError:
        return None  # no such day or time: the general parser says what it makes of it


def _iso_date(value: object, name: str) -> str | None:
    """An ISO date or datetime, an RFC 2822 date (arXiv snapshot), or a year → "YYYY-MM-DD"
    (or "YYYY"). A date that is none of these is dropped: it costs the date, not the paper."""
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return str(value)
    if not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    if _YEAR_RE.fullmatch(text):
        return text
    if written := _rfc2822_day(text):
        return written
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value.strip()).date().isoformat()
    except (TypeError, ValueError, IndexError):
        match = re.match(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text)
        if match:
            try:
                year, month, day = map(int, match.groups())
                return datetime(year, month, day).date().isoformat()
            except ValueError:
                return None
        return None


def _published(fields: Mapping[str, object]) -> str | None:
    """`published`; for a snapshot record, the first version's date, else `update_date`.

    The first version's date comes first because it is what an Atom feed's <published> says,
    so one paper read from both gets one date.
    """
    if fields.get("published") is not None:
        return _iso_date(fields["published"], "published")
    versions = _versions(fields)
    if versions and versions[0].get("created") is not None:
        return _iso_date(versions[0]["created"], "versions")
    if fields.get("update_date") is not None:
        return _iso_date(fields["update_date"], "update_date")
    return None


def _authors(fields: Mapping[str, object]) -> tuple[str, ...]:
    """A list of names (or {"name": …} objects), or one string "A, B and C".

    The snapshot's `authors_parsed` ([last, first, suffix] lists) is preferred when present,
    since its `authors` string may carry affiliations with commas in them.
    """
    parsed = fields.get("authors_parsed")
    if isinstance(parsed, list) and (joined := _parsed_names(parsed)) is not None:
        return joined
    value = fields.get("authors")
    if value is None:
        return ()
    if isinstance(value, str):
        if ";" in value:  # "Dao, Tri; Gu, Albert" (Zotero, Scopus): ";" between people
            return tuple(_first_last(p) for p in value.split(";") if _collapse(p))
        return tuple(name for part in _AUTHOR_SPLIT_RE.split(value) if (name := _collapse(part)))
    if isinstance(value, list):
        names: list[str] = []
        for item in value:
            entry: object = item.get("name") if isinstance(item, dict) else item
            if not isinstance(entry, str):
                raise _BadField("field 'authors' must hold names (strings)")
            names.append(_collapse(entry))
        return tuple(name for name in names if name)
    raise _BadField(f"field 'authors' must be a string or a list, not {_type_name(value)}")


def _parsed_names(parsed: list[object]) -> tuple[str, ...] | None:
    """[last, first, suffix...] lists as "first last suffix" names; None unless every entry
    is a list of strings (then `authors` is read instead)."""
    names: list[str] = []
    for entry in parsed:
        if not isinstance(entry, list):
            return None
        for part in entry:
            if not isinstance(part, str):
                return None
        name = " ".join([_collapse(x) for x in (*entry[1:2], *entry[:1], *entry[2:]) if x])
        if name:
            names.append(name)
    return tuple(names)


def _first_last(name: str) -> str:
    """'Dao, Tri' → 'Tri Dao'; a name without one comma stays as it is."""
    last, sep, first = _collapse(name).partition(",")
    if sep and "," not in first and first.strip():
        return f"{first.strip()} {last.strip()}"
    return _collapse(name)


def _categories(fields: Mapping[str, object]) -> tuple[str, ...]:
    """A list, or one string of categories separated by spaces or commas; duplicates dropped."""
    value = fields.get("categories")
    if value is None:
        return ()
    if isinstance(value, str):
        items = _CATEGORY_SPLIT_RE.split(value)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [_collapse(item) for item in value]
    else:
        raise _BadField("field 'categories' must be a string or a list of strings")
    return tuple(dict.fromkeys(item for item in items if item))
