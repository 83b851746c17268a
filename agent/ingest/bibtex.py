"""BibTeX (.bib) files as reference managers export them, read with bibtexparser.

Each `@type{key, ...}` entry is parsed on its own, so a malformed entry is one reported
problem (with its line) instead of vanishing, as it would in a whole-file parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
from bibtexparser.bparser import BibTexParser
from bibtexparser.customization import convert_to_unicode

from agent.ingest.opening import IngestError, read_all
from agent.ingest.readers import Raw, RawProblem, RawRecord

_ENTRY_START_RE = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(]", re.MULTILINE)
_NOT_ENTRIES = {"comment", "string", "preamble"}
_BRACES_RE = re.compile(r"[{}]")


def _parse_one(chunk: str) -> list[dict[str, str]]:
    parser = BibTexParser(common_strings=True, interpolate_strings=True)
    parser.ignore_nonstandard_types = False
    parser.customization = convert_to_unicode
    return list(bibtexparser.loads(chunk, parser=parser).entries)


def _names(value: str) -> list[str]:
    """'Dao, Tri and Gu, Albert' → ['Tri Dao', 'Albert Gu']."""
    names = []
    for part in re.split(r"\s+and\s+", value.strip()):
        last, sep, first = part.partition(",")
        name = f"{first.strip()} {last.strip()}" if sep else part
        if name.strip() and name.strip().lower() != "others":
            names.append(_BRACES_RE.sub("", name).strip())
    return names


def entry_fields(entry: dict[str, str]) -> dict[str, object]:
    fields: dict[str, object] = {}
    for name in ("title", "abstract", "url", "year", "date", "keywords"):
        if entry.get(name):
            fields[name] = _BRACES_RE.sub("", entry[name])
    if entry.get("author"):
        fields["authors"] = _names(entry["author"])
    eprint = entry.get("eprint", "")
    if eprint and entry.get("archiveprefix", "arxiv").lower() == "arxiv":
        fields["arxiv_id"] = eprint
    fields["id"] = entry.get("doi") or entry.get("ID") or None
    if entry.get("primaryclass"):
        fields["categories"] = [entry["primaryclass"]]
    return fields


def read_bibtex(path: Path) -> Iterator[Raw]:
    """Every entry with its line; @comment, @string and @preamble are not papers."""
    try:
        text = read_all(path).decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: invalid UTF-8 in a BibTeX file") from exc
    starts = list(_ENTRY_START_RE.finditer(text))
    if not starts and text.strip():
        raise IngestError(f"{path}: no BibTeX entries (@article{{...}}) found")
    for index, match in enumerate(starts):
        if match.group(1).lower() in _NOT_ENTRIES:
            continue
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        chunk = text[match.start() : end]
        line = text.count("\n", 0, match.start()) + 1
        try:
            entries = _parse_one(chunk)
        except Exception as exc:  # bibtexparser raises assorted errors on malformed input
            yield RawProblem(line, f"invalid BibTeX entry: {exc.__class__.__name__}")
            continue
        if not entries:
            yield RawProblem(line, "invalid BibTeX entry (unbalanced braces or quotes?)")
            continue
        yield RawRecord(line, entry_fields(entries[0]))
