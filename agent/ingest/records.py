"""Turn input files into paper records: one `PaperRecord` or `RecordError` per record, streamed.

Formats are read by `agent.sources`; this module decides what the fields mean: which are
required, how an arXiv id, authors, categories and dates are recognized, and the keys the store
matches papers by (`title_key`, `abstract_hash`). Text is kept as given apart from collapsing
whitespace: LaTeX such as `2.2$\\times$` or `\\%` and any HTML are a later step's business.
"""

from __future__ import annotations

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

from agent.core.records import PaperRecord, collapse_spaces
from agent.ingest.readers import (
    IngestError,
    Raw,
    RawProblem,
    RawRecord,
    looks_like_listing,
    read_atom,
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

Format = Literal["listing", "jsonl", "json", "csv", "atom"]
FORMATS: tuple[Format, ...] = get_args(Format)

_READERS: dict[Format, Callable[[Path], Iterator[Raw]]] = {
    "listing": read_listing,
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "atom": read_atom,
}
_EXTENSIONS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".xml": "atom",
    ".atom": "atom",
    ".txt": "listing",
}
_SNIFF_BYTES = 1 << 16
_REQUIRED = {"title", "abstract", "summary"}
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|&|\band\b)\s*")
_CATEGORY_SPLIT_RE = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class RecordError:
    """A record that was skipped, where it is, and what is wrong with it."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


def detect_format(path: Path) -> Format:
    """The format named by the file's extension, else the one its first bytes look like."""
    path = Path(path)
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension == "json":
        # The arXiv metadata snapshot is JSON Lines named .json; tell by the first line.
        try:
            with path.open("rb") as handle:
                return "jsonl" if _first_line_is_paper(handle.readline(_SNIFF_BYTES)) else "json"
        except OSError:
            return "json"  # parse_file reports the file itself
    if by_extension is not None:
        return by_extension
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise IngestError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    sniffed = _sniff(head)
    if sniffed is None:
        raise IngestError(
            f"{path}: cannot tell the format from its name or contents; "
            f"name one of: {', '.join(FORMATS)}"
        )
    return sniffed


def _sniff(head: bytes) -> Format | None:
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff").lstrip()
    first_line = text.split("\n", 1)[0].strip()
    if text.startswith("<"):
        return "atom" if "<feed" in text else None
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        return "jsonl" if _first_line_is_paper(first_line.encode("utf-8")) else "json"
    if looks_like_listing(first_line):
        return "listing"
    names = {name.strip().lower() for name in next(csv.reader([first_line]), [])}
    if "title" in names and names & {"abstract", "summary"}:
        return "csv"
    return None


def _first_line_is_paper(line: bytes) -> bool:
    """A whole JSON object on the first line, and not a {"papers": [...]} document."""
    try:
        value = json.loads(line.decode("utf-8", errors="replace").removeprefix("\ufeff"))
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and not isinstance(value.get("papers"), list)


def parse_file(path: Path | str, fmt: Format | None = None) -> Iterator[PaperRecord | RecordError]:
    """Every record of the file, in file order: a `PaperRecord`, or a `RecordError` if bad.

    Streams (JSONL, listing and CSV files are read a line at a time, Atom a chunk at a time;
    JSON documents are read whole). Raises `IngestError` here for a missing or unreadable file
    or an unknown format, and during iteration for a JSON or XML document that is not
    well-formed (after yielding the records before the fault).
    """
    source = os.fspath(path)
    path = Path(path)
    if fmt is None:
        fmt = detect_format(path)
    elif fmt not in _READERS:
        raise IngestError(f"{source}: unknown format {fmt!r}; expected one of: {FORMATS}")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise IngestError(f"{source}: cannot open: {exc.strerror or exc}") from exc
    return _records(source, _READERS[fmt](path))


def _records(source: str, raws: Iterator[Raw]) -> Iterator[PaperRecord | RecordError]:
    for raw in raws:
        if isinstance(raw, RawProblem):
            yield RecordError(source, raw.line, raw.message)
        else:
            yield _to_record(source, raw)


class _BadField(ValueError):
    """A field's value cannot be used; the message says which and why."""


def _to_record(source: str, raw: RawRecord) -> PaperRecord | RecordError:
    """Check and normalize one record's fields (names matched without regard to case).

    A blank optional field (an empty CSV cell, `"url": ""`) counts as absent.
    """
    fields = {
        name: value
        for key, value in raw.fields.items()
        if (name := str(key).strip().lower()) in _REQUIRED
        or not (isinstance(value, str) and not value.strip())
    }
    try:
        return _build(source, raw.line, fields)
    except _BadField as exc:
        return RecordError(source, raw.line, str(exc))


def _build(source: str, line: int, fields: Mapping[str, object]) -> PaperRecord:
    title = _required_text(fields, "title")
    abstract = _required_text(fields, "abstract", "summary")
    source_id = _optional_id(fields, "id")
    url = _optional_text(fields, "url")
    arxiv_id, version = _arxiv(fields, source_id, url)
    if version is None:
        version = _last_version(fields)
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
    )


def _type_name(value: object) -> str:
    return {list: "a list", dict: "an object", bool: "a boolean"}.get(type(value), "a number")


def _optional_text(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadField(f"field {name!r} must be a string, not {_type_name(value)}")
    return collapse_spaces(value) or None


def _required_text(fields: Mapping[str, object], name: str, *synonyms: str) -> str:
    for key in (name, *synonyms):
        if fields.get(key) is not None:
            text = _optional_text(fields, key)
            if text is None:
                raise _BadField(f"empty {name}")
            return text
    raise _BadField(f"missing field {name!r}")


def _optional_id(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _optional_text(fields, name)


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


def _last_version(fields: Mapping[str, object]) -> int | None:
    versions = _versions(fields)
    if not versions:
        return None
    label = versions[-1].get("version")
    match = re.fullmatch(r"v(\d+)", label.strip()) if isinstance(label, str) else None
    if match is None:
        raise _BadField(f"invalid version {label!r} in 'versions'")
    return int(match.group(1))


def _iso_date(value: object, name: str) -> str:
    """An ISO date or datetime, or an RFC 2822 date (arXiv snapshot) → "YYYY-MM-DD"."""
    if not isinstance(value, str):
        raise _BadField(f"field {name!r} must be a string, not {_type_name(value)}")
    text = value.strip()
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError):
        raise _BadField(f"invalid date {value!r} in {name!r}") from None


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
    if isinstance(parsed, list) and all(
        isinstance(p, list) and all(isinstance(x, str) for x in p) for p in parsed
    ):
        joined = [
            " ".join(collapse_spaces(x) for x in (*p[1:2], *p[:1], *p[2:]) if x) for p in parsed
        ]
        return tuple(name for name in joined if name)
    value = fields.get("authors")
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(
            name for part in _AUTHOR_SPLIT_RE.split(value) if (name := collapse_spaces(part))
        )
    if isinstance(value, list):
        names: list[str] = []
        for item in value:
            entry: object = item.get("name") if isinstance(item, dict) else item
            if not isinstance(entry, str):
                raise _BadField("field 'authors' must hold names (strings)")
            names.append(collapse_spaces(entry))
        return tuple(name for name in names if name)
    raise _BadField(f"field 'authors' must be a string or a list, not {_type_name(value)}")


def _categories(fields: Mapping[str, object]) -> tuple[str, ...]:
    """A list, or one string of categories separated by spaces or commas; duplicates dropped."""
    value = fields.get("categories")
    if value is None:
        return ()
    if isinstance(value, str):
        items = _CATEGORY_SPLIT_RE.split(value)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [collapse_spaces(item) for item in value]
    else:
        raise _BadField("field 'categories' must be a string or a list of strings")
    return tuple(dict.fromkeys(item for item in items if item))
