"""Papers in the store: idempotent upsert from ingested records, and lookups.

Ingest stores records a chunk at a time (`upsert_papers`): one look-up fetches every stored
paper the chunk's records may be, the dedup rules (`_Candidates.find`, `_apply`) run in memory
in record order, and each table is then written in bulk (INSERTs of up to 1,000 rows each on
SQLite, COPY on PostgreSQL). A paper's current abstract is stored once, in `paper.abstract`:
its revision row has `abstract` NULL, and keeps a text of its own only once a newer abstract
replaces it. The search index follows the paper table through the triggers of migrations
0004 and 0013, and a changed abstract's read state is refreshed in the same transaction
(store/paper_state.py).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from sqlalchemy import Connection, Engine, String, bindparam, text
from sqlmodel import Session, col, or_, select

from store import paper_state
from store.db import writer
from store.search import deferred_index
from store.tables import Paper, utcnow

if TYPE_CHECKING:
    from agent.core.records import PaperRecord

# "older": an arXiv version older than the stored one, which must not replace it.
Outcome = Literal["new", "updated", "unchanged", "older"]
# Any fixed number: the PostgreSQL advisory lock an ingest transaction holds, so that two
# ingests never both insert the same new paper (on SQLite, the write lock writer() takes).
_INGEST_LOCK = 7_316_104_118


class _Identified(Protocol):
    @property
    def source_id(self) -> str | None: ...
    @property
    def key(self) -> str: ...


def paper_key(record: PaperRecord) -> str:
    """A paper's identity: its arXiv id, else the id its source gave, else its title."""
    if record.arxiv_id:
        return f"arxiv:{record.arxiv_id}"
    if record.source_id:
        return f"id:{record.source_id}"
    return f"title:{record.title_key}"


def public_id(paper: _Identified) -> str:
    """The id users see and exports carry: the id its source gave, else the internal key."""
    return paper.source_id or paper.key


class Upserted(NamedTuple):
    """What storing one record did, as the ingest report tells it (one a record: a tuple)."""

    paper_id: int
    outcome: Outcome
    public_id: str
    arxiv_version: int | None  # the paper's arXiv version once this record was applied
    source: str  # where the paper was first read from
    created_at: datetime


@dataclass(eq=False, slots=True)
class _Paper:
    """A paper as one chunk's dedup rules see it: stored before the chunk, or new in it."""

    key: str
    source_id: str | None
    arxiv_id: str | None
    title_key: str
    abstract_hash: str
    version: int
    arxiv_version: int | None
    url: str | None
    published: str | None
    authors: list[str]
    categories: list[str]
    source: str
    created_at: datetime
    id: int | None = None  # a new paper gets its id when written
    stored_hash: str | None = None  # its abstract_hash in the store (None: new in this chunk)
    # Known when new, or when this chunk changed the abstract (else only the store has them).
    title: str | None = None
    abstract: str | None = None
    changed: bool = False  # a stored paper this chunk changed
    # Revisions this chunk added: (version, abstract_hash, abstract, source).
    revisions: list[tuple[int, str, str, str]] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.stored_hash is None


class _Candidates:
    """The papers a chunk's records may be, by arXiv id, by source id and by title key; each
    list in store order (lowest id first, then papers new in the chunk as they were made)."""

    def __init__(self, stored: Iterable[_Paper]) -> None:
        self.by_arxiv: dict[str, list[_Paper]] = {}
        self.by_source: dict[str, list[_Paper]] = {}
        self.by_title: dict[str, list[_Paper]] = {}
        for paper in sorted(stored, key=lambda p: p.id or 0):
            self.add(paper)

    def add(self, paper: _Paper) -> None:
        self.by_title.setdefault(paper.title_key, []).append(paper)
        self.index_ids(paper)

    def index_ids(self, paper: _Paper) -> None:
        """Index `paper` under the ids it has (again after the rules filled one in)."""
        for index, value in ((self.by_arxiv, paper.arxiv_id), (self.by_source, paper.source_id)):
            if value is not None:
                papers = index.setdefault(value, [])
                if paper not in papers:
                    papers.append(paper)

    def find(self, record: PaperRecord) -> _Paper | None:
        """The paper this record is: the source's id decides whenever there is one.

        - an arXiv id matches that arXiv paper; another id matches the paper stored with it;
        - two different ids are never the same paper, even with the same title;
        - the title decides only when one side has no id at all (a listing, an id-less file).
        """
        if record.arxiv_id:
            for paper in self.by_arxiv.get(record.arxiv_id, ()):
                return paper
        elif record.source_id:
            for paper in self.by_source.get(record.source_id, ()):
                if paper.arxiv_id is None:
                    return paper
        has_id = bool(record.arxiv_id or record.source_id)
        for paper in self.by_title.get(record.title_key, ()):
            # A record with an id may only join a paper stored without one.
            if not has_id or (paper.arxiv_id is None and paper.source_id is None):
                return paper
        return None


def _new_paper(record: PaperRecord, now: datetime) -> _Paper:
    return _Paper(
        key=paper_key(record),
        source_id=record.source_id or record.arxiv_id,
        arxiv_id=record.arxiv_id,
        title_key=record.title_key,
        abstract_hash=record.abstract_hash,
        version=1,
        arxiv_version=record.arxiv_version,
        url=record.url,
        published=record.published,
        authors=list(record.authors),
        categories=list(record.categories),
        source=record.source,
        created_at=now,
        title=record.title,
        abstract=record.abstract,
        revisions=[(1, record.abstract_hash, record.abstract, record.source)],
    )


def _apply(paper: _Paper, record: PaperRecord) -> Outcome:
    """`record` as a new version of `paper`, or nothing new; fills in what `paper` lacks."""
    stored_version, new_version = paper.arxiv_version, record.arxiv_version
    if stored_version is not None and new_version is not None and new_version < stored_version:
        return "older"  # versions are ordered by number, not by when they were read
    before = _metadata(paper)
    outcome: Outcome = "unchanged"
    if new_version is not None:
        paper.arxiv_version = new_version
    if paper.abstract_hash != record.abstract_hash:
        paper.abstract = record.abstract
        paper.abstract_hash = record.abstract_hash
        paper.version += 1
        paper.title = record.title
        paper.revisions.append(
            (paper.version, record.abstract_hash, record.abstract, record.source)
        )
        outcome = "updated"
    # Fill in what an earlier source did not give; never overwrite what it did.
    if record.arxiv_id and not paper.arxiv_id:
        paper.arxiv_id = record.arxiv_id
    if not paper.source_id:
        paper.source_id = record.source_id or record.arxiv_id
    paper.url = paper.url or record.url
    paper.published = paper.published or record.published
    if record.authors and not paper.authors:
        paper.authors = list(record.authors)
    if record.categories and not paper.categories:
        paper.categories = list(record.categories)
    if outcome == "updated" or _metadata(paper) != before:
        paper.changed = True
    return outcome


def _metadata(paper: _Paper) -> tuple[object, ...]:
    """The columns the rules may fill in or move on (a change of any is written)."""
    return (
        paper.arxiv_version,
        paper.arxiv_id,
        paper.source_id,
        paper.url,
        paper.published,
        paper.authors,
        paper.categories,
    )


def upsert_papers(store: Engine, records: Sequence[PaperRecord]) -> list[Upserted]:
    """Store `records` (in file order) in one transaction; what each did, in the same order.

    Each record becomes a new paper, a new version of a stored one, or nothing new, by the
    rules of `_Candidates.find` and `_apply`, also when the paper it names is an earlier
    record of the same call.
    """
    with writer(store).begin() as conn:
        return _upsert(conn, records)


def upsert_paper(session: Session, record: PaperRecord) -> tuple[Paper, Outcome]:
    """Store one record in `session`'s transaction, by the rules of `upsert_papers`."""
    (done,) = _upsert(session.connection(), [record])
    paper = session.get(Paper, done.paper_id, populate_existing=True)
    assert paper is not None
    return paper, done.outcome


def _upsert(conn: Connection, records: Sequence[PaperRecord]) -> list[Upserted]:
    if not records:
        return []
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _INGEST_LOCK})
    now = utcnow()
    candidates = _Candidates(_stored_candidates(conn, records))
    touched: dict[int, _Paper] = {}  # every paper this call makes or changes, by object id
    applied: list[tuple[_Paper, Outcome, str, int | None]] = []
    for record in records:
        paper = candidates.find(record)
        if paper is None:
            paper = _new_paper(record, now)
            candidates.add(paper)
            outcome: Outcome = "new"
        else:
            outcome = _apply(paper, record)
            candidates.index_ids(paper)
        if paper.is_new or paper.changed:
            touched[id(paper)] = paper
        applied.append((paper, outcome, public_id(paper), paper.arxiv_version))
    _write(conn, list(touched.values()), now)
    return [
        Upserted(paper.id or 0, outcome, shown, version, paper.source, paper.created_at)
        for paper, outcome, shown, version in applied
    ]


_LOOKUP = (
    "id", "key", "source_id", "arxiv_id", "title_key", "abstract_hash", "version",
    "arxiv_version", "url", "published", "authors", "categories", "source", "created_at",
)  # fmt: skip


_PAPER_TABLE = Paper.__table__  # type: ignore[attr-defined]
# One expanding parameter a list: the chunk's thousands of keys are bound as they are, not
# each made a bind parameter object when the query is built.
_CANDIDATES = (
    text(
        f"SELECT {', '.join(_LOOKUP)} FROM paper WHERE title_key IN :titles "
        "OR arxiv_id IN :arxiv_ids OR source_id IN :source_ids"
    )
    .bindparams(
        *(bindparam(n, expanding=True, type_=String) for n in ("titles", "arxiv_ids", "source_ids"))
    )
    .columns(*(_PAPER_TABLE.c[n] for n in _LOOKUP))
)


def _stored_candidates(conn: Connection, records: Sequence[PaperRecord]) -> list[_Paper]:
    """Every stored paper a record of the chunk may be, in one query."""
    keys = {
        "titles": list({r.title_key for r in records}),
        "arxiv_ids": list({r.arxiv_id for r in records if r.arxiv_id}),
        "source_ids": list({r.source_id for r in records if r.source_id and not r.arxiv_id}),
    }
    return [
        _Paper(stored_hash=row["abstract_hash"], **row)
        for row in conn.execute(_CANDIDATES, keys).mappings()
    ]


_PAPER_COLUMNS = (
    "id", "key", "source_id", "arxiv_id", "title_key", "title", "abstract", "abstract_hash",
    "version", "arxiv_version", "url", "authors", "categories", "published", "source",
    "created_at", "updated_at",
)  # fmt: skip
_REVISION_COLUMNS = ("paper_id", "version", "abstract_hash", "abstract", "source", "created_at")
_METADATA_SET = (
    "source_id = :source_id, arxiv_id = :arxiv_id, arxiv_version = :arxiv_version, url = :url, "
    "published = :published, authors = :authors, categories = :categories, "
    "updated_at = :updated_at"
)
# Only a changed abstract sets title, abstract and abstract_hash: the search index follows them.
_UPDATE_TEXT = text(
    "UPDATE paper SET title = :title, abstract = :abstract, abstract_hash = :abstract_hash, "
    f"version = :version, {_METADATA_SET} WHERE id = :id"
)
_UPDATE_METADATA = text(f"UPDATE paper SET {_METADATA_SET} WHERE id = :id")
# The abstract a paper had keeps its text in its revision row once a new one replaces it.
_KEEP_OLD_TEXT = text(
    "UPDATE paperrevision SET abstract = (SELECT p.abstract FROM paper p "
    "WHERE p.id = paperrevision.paper_id) WHERE paper_id = :paper_id AND abstract_hash = :hash"
)
# A text the paper had before keeps its first revision row; the current one's holds no copy.
_ADD_REVISION = text(
    f"INSERT INTO paperrevision ({', '.join(_REVISION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _REVISION_COLUMNS)}) "
    "ON CONFLICT (paper_id, abstract_hash) DO UPDATE SET abstract = excluded.abstract "
    "WHERE excluded.abstract IS NULL"
)


def _write(conn: Connection, papers: list[_Paper], now: datetime) -> None:
    """Write what the chunk did: new papers, changed papers, and their revisions."""
    stamp = _stamp(conn.dialect.name, now)
    new = [p for p in papers if p.is_new]
    changed = [p for p in papers if not p.is_new]
    retexted = [p for p in changed if p.abstract is not None]
    moved = [
        {"paper_id": p.id, "hash": p.stored_hash}
        for p in retexted
        if p.stored_hash != p.abstract_hash
    ]
    if moved:
        conn.execute(_KEEP_OLD_TEXT, moved)
    for statement, rows in (
        (_UPDATE_TEXT, retexted),
        (_UPDATE_METADATA, [p for p in changed if p.abstract is None]),
    ):
        if rows:
            conn.execute(statement, [_changed_row(p, stamp) for p in rows])
    # A new abstract has none of the old one's summaries and reviews (or, back to an earlier
    # text, that text's again); a new paper has no state row until something is written on it.
    paper_state.refresh(conn, [p.id for p in retexted if p.id is not None])
    _assign_ids(conn, new)
    if new:
        first, last = new[0].id, new[-1].id
        assert first is not None and last is not None
        with deferred_index(conn, first, last):
            _insert_rows(conn, "paper", _PAPER_COLUMNS, [_paper_row(p, stamp) for p in new])
    _insert_rows(
        conn, "paperrevision", _REVISION_COLUMNS, [r for p in new for r in _revisions(p, stamp)]
    )
    added = [
        dict(zip(_REVISION_COLUMNS, r, strict=True)) for p in changed for r in _revisions(p, stamp)
    ]
    if added:
        conn.execute(_ADD_REVISION, added)


def _paper_row(p: _Paper, stamp: object) -> tuple[object, ...]:
    return (
        p.id, p.key, p.source_id, p.arxiv_id, p.title_key, p.title, p.abstract, p.abstract_hash,
        p.version, p.arxiv_version, p.url, json_strings(p.authors), json_strings(p.categories),
        p.published, p.source, stamp, stamp,
    )  # fmt: skip


def _changed_row(p: _Paper, stamp: object) -> dict[str, object]:
    return {
        "id": p.id,
        "title": p.title,
        "abstract": p.abstract,
        "abstract_hash": p.abstract_hash,
        "version": p.version,
        "source_id": p.source_id,
        "arxiv_id": p.arxiv_id,
        "arxiv_version": p.arxiv_version,
        "url": p.url,
        "published": p.published,
        "authors": json_strings(p.authors),
        "categories": json_strings(p.categories),
        "updated_at": stamp,
    }


def json_strings(items: list[str]) -> str:
    """`json.dumps(items)` of a list of strings (authors, categories), by the string encoder
    json.dumps uses, without the encoder object json.dumps makes on every call."""
    return "[" + ", ".join(map(encode_basestring_ascii, items)) + "]"


def _revisions(p: _Paper, stamp: object) -> list[tuple[object, ...]]:
    """The revisions this chunk gave `p`, one per text (its first, as before), the current
    abstract's without a copy of its text."""
    rows: dict[str, tuple[object, ...]] = {}
    for version, abstract_hash, abstract, source in p.revisions:
        text_kept = None if abstract_hash == p.abstract_hash else abstract
        rows.setdefault(abstract_hash, (p.id, version, abstract_hash, text_kept, source, stamp))
    return list(rows.values())


def _assign_ids(conn: Connection, papers: list[_Paper]) -> None:
    """Ids for the new papers, in the order they were made (the ingest lock is held)."""
    if not papers:
        return
    if conn.dialect.name == "postgresql":
        ids = list(
            conn.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('paper', 'id')) "
                    "FROM generate_series(1, :n) ORDER BY 1"
                ),
                {"n": len(papers)},
            ).scalars()
        )
    else:
        first = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM paper")).scalar_one()
        ids = list(range(first, first + len(papers)))
    for paper, paper_id in zip(papers, ids, strict=True):
        paper.id = paper_id


def _stamp(dialect: str, now: datetime) -> object:
    """`now` as a DateTime column holds it: UTC without an offset (on SQLite the text
    SQLAlchemy writes, on PostgreSQL a timestamp without time zone)."""
    utc = now.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(" ", "microseconds") if dialect == "sqlite" else utc


def _insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[object, ...]]
) -> None:
    """Many new rows at once: INSERTs of as many rows each as SQLite binds (see
    `_rows_per_insert`) on SQLite, one COPY on PostgreSQL."""
    if not rows:
        return
    names = ", ".join(columns)
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    one = "(" + ", ".join("?" * len(columns)) + ")"
    per = _rows_per_insert(driver, len(columns))
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        values = ", ".join([one] * len(part))
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({names}) VALUES {values}", tuple(chain.from_iterable(part))
        )


def _rows_per_insert(driver: sqlite3.Connection, width: int) -> int:
    """Rows one SQLite INSERT takes: as many as its bound-parameter limit allows (by default
    32,766 since SQLite 3.32, 999 before), at most 1,000.

    Why not executemany, one statement a row: SQLite keeps a statement journal for an INSERT
    into a table with row triggers, such as `paper` (so that a failing trigger undoes only its
    statement), and copies into it every stored page the statement changes, once a statement.
    A row a statement copies each row's table and index pages again; measured at 100,000
    papers, that was half the CPU of writing them."""
    return max(1, min(1000, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))


# "2401.12345", "arXiv:2401.12345v2", "https://arxiv.org/abs/hep-th/9901001"
_ARXIV_REF_RE = re.compile(
    r"^(?:arxiv:|https?://arxiv\.org/(?:abs|pdf)/)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?$",
    re.IGNORECASE,
)


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (with escape="\\")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_paper(session: Session, ref: str) -> Paper | None:
    """A paper by the id its source gave, its arXiv id (also written "arXiv:2401.12345v2" or as
    an arxiv.org link), its key, or its row number."""
    ref = ref.strip()
    refs = {ref}
    if match := _ARXIV_REF_RE.match(ref):
        refs.add(match.group("id"))
    query = select(Paper).where(
        or_(
            col(Paper.source_id).in_(refs),
            col(Paper.arxiv_id).in_(refs),
            col(Paper.key).in_(refs),
        )
    )
    found = session.exec(query).first()
    if found is None and ref.isdigit():
        found = session.get(Paper, int(ref))
    return found


def papers_titled(session: Session, text: str, limit: int = 20) -> list[Paper]:
    """Papers whose title contains `text` (case-insensitive), oldest first."""
    needle = "%" + escape_like(text.strip()) + "%"
    query = (
        select(Paper)
        .where(col(Paper.title).ilike(needle, escape="\\"))
        .order_by(col(Paper.id))
        .limit(limit)
    )
    return list(session.exec(query).all())
