"""Readers for each input format: bytes in, raw fields with a line number out.

A reader only finds records and their line numbers; which fields a paper needs, and what they
mean, is decided in `agent.ingest`. A reader yields a `RawRecord` per record it found and a
`RawProblem` per record it could not read (bad UTF-8, bad JSON, a CSV row of the wrong width),
and raises `IngestError` only for a problem with the whole file.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from agent.core.errors import PaperskimError


class IngestError(PaperskimError):
    """A whole input file cannot be read: missing, unreadable, unknown format, not well-formed."""


@dataclass(frozen=True)
class RawRecord:
    """The fields of one record as the file gave them, and where it starts."""

    line: int
    fields: Mapping[str, object]


@dataclass(frozen=True)
class RawProblem:
    """A record that could not be read, and where it starts."""

    line: int
    message: str


Raw = RawRecord | RawProblem

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"

# New-style ids (0704.0001 on) and old-style ids with an archive name (hep-th/9901001,
# math.GT/0309136), each with an optional version suffix.
_ID = r"(\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?"
_BARE_ID_RE = re.compile(rf"(?i:arxiv:)?{_ID}")
_URL_ID_RE = re.compile(
    rf"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/{_ID}(?:\.pdf)?/?(?:[?#].*)?",
    re.IGNORECASE,
)
_HEADER_RE = re.compile(r"Get trending papers in your email inbox\b.*|Subscribe", re.IGNORECASE)
# "Subscribe" glued to the first title: followed by something a word cannot continue with.
_GLUED_SUBSCRIBE_RE = re.compile(r"^Subscribe(?=[^a-z\s])")


def split_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """'2401.12345v2', 'arXiv:2401.12345' or an abs/pdf URL → (id without version, version)."""
    text = text.strip()
    match = _BARE_ID_RE.fullmatch(text) or _URL_ID_RE.fullmatch(text)
    if match is None:
        return None
    return match.group(1), int(match.group(2)) if match.group(2) else None


def looks_like_listing(line: str) -> bool:
    """Whether a first line is a "trending papers" page header (or the glued "Subscribe")."""
    line = line.strip()
    return bool(_HEADER_RE.fullmatch(line) or _GLUED_SUBSCRIBE_RE.match(line))


def _open(path: Path) -> Iterator[bytes]:
    """The file's lines as bytes (open errors become IngestError)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise IngestError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with handle:
        yield from handle


def decoded_lines(path: Path) -> Iterator[tuple[int, str | RawProblem]]:
    """Each physical line (1-based number, text without newline), or a problem if not UTF-8.

    Lines are split on b"\\n" only, so U+2028 and friends inside a JSON string do not end a
    line, and one bad line costs one record.
    """
    for number, raw in enumerate(_open(path), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, RawProblem(number, f"invalid UTF-8 (at byte {exc.start + 1})")
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text.rstrip("\r\n")


def read_listing(path: Path) -> Iterator[Raw]:
    """A "trending papers" page as text: header lines, then a title line and an abstract line.

    Header lines ("Get trending papers in your email inbox…", a bare "Subscribe") are skipped
    wherever they appear, and a "Subscribe" glued to a title is cut off. An undecodable line
    still takes its place in the title/abstract alternation, so one bad line spoils one paper
    and not every paper after it.
    """
    title: tuple[int, str | RawProblem] | None = None
    for number, text in decoded_lines(path):
        if isinstance(text, str):
            if not text.strip() or _HEADER_RE.fullmatch(text.strip()):
                continue
            if title is None:
                text = _GLUED_SUBSCRIBE_RE.sub("", text.strip(), count=1)
        if title is None:
            title = (number, text)
            continue
        title_line, title_text = title
        title = None
        if isinstance(title_text, RawProblem):
            yield RawProblem(title_line, f"title line: {title_text.message}")
        elif isinstance(text, RawProblem):
            yield RawProblem(title_line, f"abstract line {number}: {text.message}")
        else:
            yield RawRecord(title_line, {"title": title_text, "abstract": text})
    if title is not None:
        yield RawProblem(title[0], "title without an abstract line after it (file ends)")


def _json_problem(exc: json.JSONDecodeError) -> str:
    return f"invalid JSON: {exc.msg} (column {exc.colno})"


def read_jsonl(path: Path) -> Iterator[Raw]:
    """One JSON object a line, read one line at a time; blank lines are skipped."""
    for number, text in decoded_lines(path):
        if isinstance(text, RawProblem):
            yield text
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield RawProblem(number, _json_problem(exc))
            continue
        if isinstance(value, dict):
            yield RawRecord(number, value)
        else:
            yield RawProblem(number, f"expected a JSON object, got {_json_type(value)}")


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


class _Scanner:
    """Walks a JSON document with raw_decode so each array element's start line is known."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text, self.pos = path, text, 0
        self.decoder = json.JSONDecoder()

    def fail(self, message: str) -> IngestError:
        line = self.text.count("\n", 0, self.pos) + 1
        column = self.pos - (self.text.rfind("\n", 0, self.pos) + 1) + 1
        return IngestError(f"{self.path}: invalid JSON: {message} (line {line}, column {column})")

    def skip_space(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1
        return self.text[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        if self.skip_space() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def value(self) -> object:
        self.skip_space()
        try:
            value, self.pos = self.decoder.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as exc:
            raise IngestError(
                f"{self.path}: invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from exc
        return value

    def elements(self) -> Iterator[tuple[int, object]]:
        """(start line, value) of each element of the array at the current position."""
        self.expect("[")
        line, counted = 1, 0
        if self.skip_space() == "]":
            self.pos += 1
            return
        while True:
            self.skip_space()
            line += self.text.count("\n", counted, self.pos)
            counted = self.pos
            yield line, self.value()
            if self.skip_space() == "]":
                self.pos += 1
                return
            self.expect(",")

    def papers(self) -> Iterator[tuple[int, object]]:
        """The elements of the top-level array, or of the "papers" array of the top object."""
        start = self.skip_space()
        if start == "[":
            yield from self.elements()
        elif start == "{":
            self.pos += 1
            found = False
            if self.skip_space() != "}":
                while True:
                    key = self.value()
                    if not isinstance(key, str):
                        raise self.fail("expected a property name")
                    self.expect(":")
                    if key == "papers" and not found and self.skip_space() == "[":
                        found = True
                        yield from self.elements()
                    else:
                        self.value()
                    if self.skip_space() == "}":
                        break
                    self.expect(",")
            self.pos += 1
            if not found:
                raise self.fail('expected a JSON array or an object with a "papers" list')
        else:
            raise self.fail('expected a JSON array or an object with a "papers" list')
        if self.skip_space():
            raise self.fail("extra data after the document")


def read_json(path: Path) -> Iterator[Raw]:
    """A JSON array of paper objects, or an object with a "papers" list (read whole).

    Each record's line is the line its object starts on. A document that is not valid JSON
    is a whole-file problem; records before the error have already been yielded.
    """
    data = b"".join(_open(path))
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(f"{path}: invalid UTF-8 on line {line}") from exc
    for line, value in _Scanner(path, text).papers():
        if isinstance(value, dict):
            yield RawRecord(line, value)
        else:
            yield RawProblem(line, f"expected a JSON object, got {_json_type(value)}")


def read_csv(path: Path) -> Iterator[Raw]:
    """A header row, then one paper a row; quoted fields may span lines.

    A record's line is the physical line its row starts on. Column names are matched without
    regard to case or surrounding space.
    """
    bad_lines: dict[int, str] = {}

    def lines() -> Iterator[str]:
        for number, text in decoded_lines(path):
            if isinstance(text, RawProblem):
                bad_lines[number] = text.message
                text = ""
            yield text + "\n"

    reader = csv.reader(lines())
    header: list[str] | None = None
    end = 0
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield RawProblem(start, f"invalid CSV: {exc}")
            continue
        end = reader.line_num
        bad = [n for n in range(start, end + 1) if n in bad_lines]
        if bad:
            where = "" if bad[0] == start else f" on line {bad[0]}"
            yield RawProblem(start, f"{bad_lines[bad[0]]}{where}")
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [name.strip().lower() for name in row]
            if "title" not in header or not {"abstract", "summary"} & set(header):
                raise IngestError(
                    f"{path}: the CSV header needs 'title' and 'abstract' columns, "
                    f"has {', '.join(map(repr, header))}"
                )
            continue
        if len(row) != len(header):
            hint = " (unclosed quote?)" if end > start and len(row) < len(header) else ""
            yield RawProblem(start, f"row has {len(row)} fields, header has {len(header)}{hint}")
            continue
        yield RawRecord(start, dict(zip(header, row, strict=True)))


def _text(elem: ET.Element | None) -> str | None:
    return None if elem is None else "".join(elem.itertext())


def _atom_fields(entry: ET.Element) -> dict[str, object]:
    fields: dict[str, object] = {}
    for name, tag in (("id", "id"), ("title", "title"), ("abstract", "summary")):
        value = _text(entry.find(ATOM + tag))
        if value is not None:
            fields[name] = value
    raw_id = fields.get("id")
    if isinstance(raw_id, str) and (parsed := split_arxiv_id(raw_id)):
        arxiv_id, version = parsed
        fields["id"] = f"{arxiv_id}v{version}" if version else arxiv_id
    published = _text(entry.find(ATOM + "published"))
    if published and published.strip():
        fields["published"] = published
    fields["authors"] = [
        author for a in entry.iter(ATOM + "author") if (author := _text(a.find(ATOM + "name")))
    ]
    categories = [c.get("term", "") for c in entry.iter(ATOM + "category")]
    primary = entry.find(ARXIV + "primary_category")
    if primary is not None and primary.get("term") and primary.get("term") not in categories:
        categories.insert(0, primary.get("term", ""))
    fields["categories"] = [c for c in dict.fromkeys(categories) if c]
    for link in entry.iter(ATOM + "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            fields["url"] = link.get("href")
            break
    return fields


def read_atom(path: Path, chunk_size: int = 1 << 16) -> Iterator[Raw]:
    """The entries of an arXiv API Atom feed, streamed; each entry's line is its 1-based index.

    ElementTree's pull parser does not report line numbers, hence the index. A document type
    declaration is refused before it reaches the parser: arXiv feeds have none, and refusing
    it rules out entity-expansion attacks without defusedxml.
    """
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    root: ET.Element | None = None
    index = 0
    tail = b""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise IngestError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with handle:
        while chunk := handle.read(chunk_size):
            # Until the root element starts, a DOCTYPE may still come; look across chunk edges.
            if root is None and b"<!DOCTYPE" in tail + chunk:
                raise IngestError(f"{path}: XML with a DOCTYPE declaration is not accepted")
            tail = chunk[-8:]
            try:
                parser.feed(chunk)
                events = list(parser.read_events())
            except ET.ParseError as exc:
                raise _not_well_formed(path, exc) from exc
            for item in events:
                event, elem = item[0], item[-1]
                if not isinstance(elem, ET.Element):
                    continue
                if event == "start" and root is None:
                    root = elem
                    if elem.tag != ATOM + "feed":
                        raise IngestError(f"{path}: not an Atom feed (root element {elem.tag!r})")
                elif event == "end" and elem.tag == ATOM + "entry" and root is not None:
                    index += 1
                    yield _atom_entry(index, elem)
                    root.clear()  # entries are done with; keep memory flat on big feeds
        try:
            parser.close()
        except ET.ParseError as exc:
            raise _not_well_formed(path, exc) from exc
    if root is None:
        raise IngestError(f"{path}: empty XML file")


def _atom_entry(index: int, entry: ET.Element) -> Raw:
    fields = _atom_fields(entry)
    raw_id = entry.findtext(ATOM + "id") or ""
    if "arxiv.org/api/errors" in raw_id:  # the API reports a bad query as an entry
        detail = " ".join(str(fields.get("abstract", "")).split())
        return RawProblem(index, f"arXiv API error: {detail}")
    return RawRecord(index, fields)


def _not_well_formed(path: Path, exc: ET.ParseError) -> IngestError:
    line, column = exc.position
    return IngestError(f"{path}: not well-formed XML (line {line}, column {column + 1})")
