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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from agent.ingest import opening
from agent.ingest.opening import IngestError

__all__ = ["IngestError", "Raw", "RawProblem", "RawRecord", "split_arxiv_id"]


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
    """The file's lines as bytes, decompressed if need be (open errors become IngestError)."""
    return opening.lines(path)


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
            if "\x00" in text:
                raise IngestError(f"{path}: binary data, not a text paper source")
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


# Deep nesting (RecursionError) and huge integers (ValueError: int digit limit) are raised by
# the json module outside JSONDecodeError; each is one bad record, never a crashed file.
_VALUE_ERRORS = (json.JSONDecodeError, RecursionError, ValueError)


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} (column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "invalid record: nested too deeply"
    return f"invalid record: {str(exc).splitlines()[0][:120]}"


def read_jsonl(path: Path) -> Iterator[Raw]:
    """One JSON object a line, read one line at a time; blank lines are skipped."""
    for number, text in decoded_lines(path):
        if isinstance(text, RawProblem):
            yield text
            continue
        if not text or text.isspace():  # blank (no stripped copy of every line to see it)
            continue
        try:
            value = json.loads(text)
        except _VALUE_ERRORS as exc:
            yield RawProblem(number, _json_problem(exc))
            continue
        if isinstance(value, dict):
            yield RawRecord(number, value)
        else:
            yield RawProblem(number, f"expected a JSON object, got {_json_type(value)}")


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def skip_json_value(text: str, pos: int) -> int:
    """The position after the JSON value starting at `pos`, found without building it.

    Used to step over an element that cannot be decoded (nested too deeply, a number too long)
    so the elements after it are still read. Iterative: depth costs no stack.
    """
    depth, i, n = 0, pos, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth <= 0:
                return i + 1 if depth == 0 else i
        elif depth == 0 and char in ",":
            return i
        i += 1
    return n


class _Scanner:
    """Walks a JSON document with raw_decode so each array element's start line is known."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text, self.pos = path, text, 0
        self.decoder = json.JSONDecoder()

    def where(self, pos: int) -> str:
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return f"line {line}, column {column}"

    def fail(self, message: str) -> IngestError:
        return IngestError(f"{self.path}: invalid JSON: {message} ({self.where(self.pos)})")

    def skip_space(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1
        return self.text[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        if self.skip_space() != char:
            if not self.skip_space():
                raise self.fail(f"the document ends early, expected {char!r}")
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

    def element(self) -> object | RawProblem:
        """The next value, or a problem for one that cannot be decoded (then stepped over)."""
        start = self.pos
        try:
            value: object
            value, self.pos = self.decoder.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as exc:
            end = skip_json_value(self.text, start)
            if end >= len(self.text):  # the document is cut inside this element
                raise IngestError(
                    f"{self.path}: invalid JSON: {exc.msg} ({self.where(exc.pos)}); "
                    "the document stops inside this record"
                ) from exc
            raise IngestError(
                f"{self.path}: invalid JSON: {exc.msg} ({self.where(exc.pos)})"
            ) from exc
        except (RecursionError, ValueError) as exc:
            self.pos = skip_json_value(self.text, start)
            return RawProblem(0, _json_problem(exc))
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
            yield line, self.element()
            if self.skip_space() == "]":
                self.pos += 1
                return
            self.expect(",")

    def papers(self) -> Iterator[tuple[int, object]]:
        """The elements of the top-level array, or of the "papers" (or "data", "results",
        "items") array of the top object."""
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
                    if key in _LIST_KEYS and not found and self.skip_space() == "[":
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


_LIST_KEYS = {"papers", "data", "results", "items", "entries", "records"}


def read_json(path: Path) -> Iterator[Raw]:
    """A JSON array of paper objects, or an object with a "papers" list (read whole).

    Each record's line is the line its object starts on. An element that cannot be decoded is
    one problem; a document that stops early or is not valid JSON raises IngestError after
    the records before the fault have been yielded.
    """
    data = opening.read_all(path)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(f"{path}: invalid UTF-8 on line {line}") from exc
    for line, value in _Scanner(path, text).papers():
        if isinstance(value, RawProblem):
            yield RawProblem(line, value.message)
        elif isinstance(value, dict):
            yield RawRecord(line, value)
        else:
            yield RawProblem(line, f"expected a JSON object, got {_json_type(value)}")


# Python's csv module refuses fields over 131,072 characters and then loses its place in the
# file (one long field became thousands of bogus rows). A larger parser limit reads such a field
# whole; the row is then refused as one skip, with the rows after it intact.
CSV_FIELD_LIMIT = 1 << 24
MAX_CSV_FIELD = 131_072


def read_csv(path: Path, has_columns: HeaderCheck | None = None) -> Iterator[Raw]:
    """A header row, then one paper a row; quoted fields may span lines.

    A record's line is the physical line its row starts on. `has_columns` checks the header
    (see agent.ingest.fields) and names what is missing. Parsed strictly, so an unclosed quote
    is found where it starts: that row is reported and the lines it swallowed are read again
    one by one.
    """
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    bad_lines: dict[int, str] = {}
    buffer: list[str] = []

    def lines() -> Iterator[str]:
        for number, text in decoded_lines(path):
            if isinstance(text, RawProblem):
                bad_lines[number] = text.message
                text = ""
            buffer.append(text)
            yield text + "\n"

    reader = csv.reader(lines(), strict=True)
    header: list[str] | None = None
    end = 0
    while True:
        start = end + 1
        buffer.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            swallowed = list(buffer[1:])
            if len(buffer) > 1:
                yield RawProblem(
                    start,
                    f"invalid CSV: {exc} on line {end}: a quote opened on line {start} is not "
                    f"closed where it should be; lines {start + 1}-{end} are read again",
                )
            else:
                yield RawProblem(start, f"invalid CSV: {exc}")
            if header is not None:
                for offset, text in enumerate(swallowed, start=start + 1):
                    yield from _csv_line(offset, text, header, bad_lines)
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
            header = [name.strip() for name in row]
            if has_columns is not None and (missing := has_columns(header)):
                raise IngestError(
                    f"{path}: the CSV header has no {missing} column (columns: "
                    f"{', '.join(map(repr, header[:12]))}{', …' if len(header) > 12 else ''}); "
                    "name one with --map COLUMN=FIELD"
                )
            continue
        yield _csv_row(start, row, header, multi_line=end > start)


def _csv_row(start: int, row: list[str], header: list[str], multi_line: bool) -> Raw:
    longest = max((len(cell) for cell in row), default=0)
    if longest > MAX_CSV_FIELD:
        return RawProblem(
            start, f"a field of {longest:,} characters (over {MAX_CSV_FIELD:,}): row skipped"
        )
    if len(row) != len(header):
        hint = " (unclosed quote?)" if multi_line and len(row) < len(header) else ""
        return RawProblem(start, f"row has {len(row)} fields, header has {len(header)}{hint}")
    return RawRecord(start, dict(zip(header, row, strict=True)))


def _csv_line(number: int, text: str, header: list[str], bad: Mapping[int, str]) -> Iterator[Raw]:
    if number in bad:
        yield RawProblem(number, bad[number])
        return
    if not text.strip():
        return
    try:
        rows = list(csv.reader([text]))
    except csv.Error as exc:
        yield RawProblem(number, f"invalid CSV: {exc}")
        return
    for row in rows:
        yield _csv_row(number, row, header, multi_line=False)


HeaderCheck = Callable[[list[str]], str | None]
