"""Opening an input file: compressed or not (told by its first bytes), text or binary.

Every reader opens its file here, so a `.gz`, `.bz2` or `.xz` file (or one compressed under
another name) reads like the plain file, streamed, and a binary file is refused with one line.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from agent.core.errors import PaperskimError


class IngestError(PaperskimError):
    """A whole input file cannot be read: missing, unreadable, unknown format, not well-formed."""


# Magic numbers: gzip (RFC 1952), bzip2, xz. The file's bytes decide, not its name.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
# Other binary formats a user may pass by mistake, named in the error.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (also .docx/.xlsx)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
COMPRESSED_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".xz": "xz"}
SNIFF_BYTES = 1 << 16
# Errors a decompressor raises on corrupt or truncated data.
DECOMPRESS_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)


def compression_of(path: Path) -> str | None:
    """'gzip', 'bzip2', 'xz' from the first bytes, else None (raises IngestError if unreadable)."""
    head = _read_head(path, 8)
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def _read_head(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except IsADirectoryError as exc:
        raise IngestError(f"{path}: is a folder, not a file") from exc
    except OSError as exc:
        raise IngestError(f"{path}: cannot open: {exc.strerror or exc}") from exc


def logical_suffix(path: Path) -> str:
    """The extension that names the format: '.jsonl' for 'x.jsonl.gz', '.xml' for 'x.xml'."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """The file's (decompressed) bytes as a stream; open errors become IngestError."""
    kind = compression_of(path)
    try:
        # Closed by the `with` below; ruff's SIM115 cannot see that through the branches.
        handle: IO[bytes]
        if kind == "gzip":
            handle = cast(IO[bytes], gzip.GzipFile(path, "rb"))
        elif kind == "bzip2":
            handle = bz2.BZ2File(path, "rb")
        elif kind == "xz":
            handle = lzma.LZMAFile(path, "rb")  # noqa: SIM115
        else:
            handle = path.open("rb")
    except OSError as exc:
        raise IngestError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first `size` decompressed bytes; a corrupt archive or a binary file is an error."""
    kind = compression_of(path)
    try:
        with open_binary(path) as handle:
            data = handle.read(size)
    except DECOMPRESS_ERRORS as exc:
        if isinstance(exc, IngestError):
            raise
        raise IngestError(f"{path}: not a readable {kind} file ({_reason(exc)})") from exc
    check_text(path, data)
    return data


def check_text(path: Path, data: bytes) -> None:
    """Refuse a binary file (NUL bytes or a known binary signature) with one line."""
    for magic, name in _BINARY_MAGIC:
        if data.startswith(magic):
            raise IngestError(f"{path}: this is {name}, not a paper source")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"{path}: binary data, not a text paper source")


def _reason(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:200]


def read_all(path: Path) -> bytes:
    """The whole (decompressed) file; corrupt or truncated compressed data is an IngestError."""
    try:
        with open_binary(path) as handle:
            return handle.read()
    except IngestError:
        raise
    except DECOMPRESS_ERRORS as exc:
        raise IngestError(
            f"{path}: compressed data is corrupt or cut short ({_reason(exc)})"
        ) from exc


def lines(path: Path) -> Iterator[bytes]:
    """The (decompressed) file's lines as bytes, streamed.

    A compressed file that turns out corrupt or cut short part way raises IngestError after
    the lines before the fault, so the caller keeps them and reports where it stopped.
    """
    number = 0
    with open_binary(path) as handle:
        try:
            for number, raw in enumerate(handle, start=1):  # noqa: B007 - number read after
                yield raw
        except DECOMPRESS_ERRORS as exc:
            raise IngestError(
                f"{path}: compressed data is corrupt or cut short after line {number} "
                f"({_reason(exc)})"
            ) from exc
