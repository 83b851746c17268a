"""Dense paper vectors for `ask`: which papers still need one, saving them, reading them back.

Two copies of each vector (migration 0015_vector_store):
- `paper_vector`, one row a paper: float16, unit length, the exact vector; read by paper id for
  the few papers whose cosine an answer reports;
- `vector_block`, one row per BLOCK papers (by id): int8 with a float32 scale a paper, what a
  process reads into memory to search every paper (a few hundred rows at 1,000,000 papers, not
  a million). A block is rebuilt from the rows of its id range in the transaction that changes
  one of them, so the two never disagree; its `revision` tells a reader it changed.

`paper_vector_todo` lists the papers whose vector is missing or stale (a new paper, a changed
abstract; the triggers of 0015 add them), so finding the work is one look-up, not a join over
every paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, text

from store.db import writer

BLOCK = 4096
# Any fixed number: the PostgreSQL advisory lock writers of vectors take, so two processes
# never rebuild one block from different snapshots (SQLite's writer() lock does that there).
_VECTOR_LOCK = 7_316_104_118


@dataclass(frozen=True)
class PaperText:
    paper_id: int
    abstract_hash: str
    title: str
    abstract: str


@dataclass(frozen=True)
class Block:
    """The vectors of one block: paper ids, int8 rows and the scale of each row."""

    block: int
    revision: int
    ids: np.ndarray
    vectors: np.ndarray
    scales: np.ndarray


def papers_to_embed(engine: Engine, limit: int) -> list[PaperText]:
    """Up to `limit` queued papers (no vector for their current abstract), by id."""
    sql = (
        "SELECT p.id, p.abstract_hash, p.title, p.abstract FROM paper_vector_todo t "
        "JOIN paper p ON p.id = t.paper_id ORDER BY t.paper_id LIMIT :limit"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"limit": limit}).all()
    return [PaperText(r[0], r[1], r[2], r[3]) for r in rows]


def queue_other_models(engine: Engine, model: str) -> None:
    """Queue again the papers whose vectors another model made (the model was changed)."""
    with engine.connect() as conn:
        other = conn.execute(
            text("SELECT 1 FROM vector_block WHERE model <> :model LIMIT 1"), {"model": model}
        ).first()
    if other is None:
        return
    with _writing(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO paper_vector_todo (paper_id) SELECT paper_id FROM paper_vector "
                "WHERE model <> :model ON CONFLICT DO NOTHING"
            ),
            {"model": model},
        )
        conn.execute(text("DELETE FROM vector_block WHERE model <> :model"), {"model": model})


def save_vectors(engine: Engine, model: str, papers: list[PaperText], vectors: np.ndarray) -> None:
    """Store one vector a paper (replacing any older one), unqueue the papers whose vector is
    now current, and rebuild the blocks they are in, all in one transaction."""
    if not papers:
        return
    rows = [
        {
            "pid": p.paper_id,
            "model": model,
            "hash": p.abstract_hash,
            "vec": np.asarray(v, dtype="<f2").tobytes(),
        }
        for p, v in zip(papers, vectors, strict=True)
    ]
    ids = ", ".join(str(int(p.paper_id)) for p in papers)
    with _writing(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO paper_vector (paper_id, model, abstract_hash, vector) "
                "VALUES (:pid, :model, :hash, :vec) ON CONFLICT (paper_id) DO UPDATE SET "
                "model = excluded.model, abstract_hash = excluded.abstract_hash, "
                "vector = excluded.vector"
            ),
            rows,
        )
        # A paper whose abstract changed again meanwhile stays queued.
        conn.execute(
            text(
                f"DELETE FROM paper_vector_todo WHERE paper_id IN ({ids}) AND paper_id IN ("
                "SELECT v.paper_id FROM paper_vector v JOIN paper p ON p.id = v.paper_id "
                f"WHERE v.paper_id IN ({ids}) AND v.abstract_hash = p.abstract_hash)"
            )
        )
        for block in sorted({p.paper_id // BLOCK for p in papers}):
            _rebuild_block(conn, model, block)


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction holding the vector writers' lock (see _VECTOR_LOCK)."""
    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _VECTOR_LOCK})
        yield conn


def _rebuild_block(conn: Connection, model: str, block: int) -> None:
    rows = conn.execute(
        text(
            "SELECT paper_id, vector FROM paper_vector WHERE model = :model "
            "AND paper_id >= :low AND paper_id < :high ORDER BY paper_id"
        ),
        {"model": model, "low": block * BLOCK, "high": (block + 1) * BLOCK},
    ).all()
    if not rows:
        conn.execute(
            text("DELETE FROM vector_block WHERE model = :model AND block = :block"),
            {"model": model, "block": block},
        )
        return
    ids = np.array([r[0] for r in rows], dtype="<i8")
    vectors, scales = quantize(_float16_rows([r[1] for r in rows]).reshape(len(rows), -1))
    revision = conn.execute(text("SELECT COALESCE(max(revision), 0) + 1 FROM vector_block"))
    conn.execute(
        text(
            "INSERT INTO vector_block (model, block, revision, ids, vectors, scales) "
            "VALUES (:model, :block, :revision, :ids, :vectors, :scales) "
            "ON CONFLICT (model, block) DO UPDATE SET revision = excluded.revision, "
            "ids = excluded.ids, vectors = excluded.vectors, scales = excluded.scales"
        ),
        {
            "model": model,
            "block": block,
            "revision": revision.scalar_one(),
            "ids": ids.tobytes(),
            "vectors": vectors.tobytes(),
            "scales": scales.astype("<f4").tobytes(),
        },
    )


def _float16_rows(blobs: Iterable[bytes]) -> np.ndarray:
    data = b"".join(bytes(b) for b in blobs)
    return np.frombuffer(data, dtype="<f2").astype(np.float32)


def quantize(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 rows, float32 scale of each row) of float rows: a row ~= its int8 row * scale."""
    peak = np.abs(matrix).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.rint(matrix / scales[:, None]).astype(np.int8), scales


def block_revisions(engine: Engine, model: str) -> dict[int, int]:
    """Each block of `model` and its revision (a few hundred rows at a million papers)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT block, revision FROM vector_block WHERE model = :model"), {"model": model}
        ).all()
    return {int(r[0]): int(r[1]) for r in rows}


def read_blocks(engine: Engine, model: str, dim: int) -> list[Block]:
    """Every block of `model`, by block number."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT block, revision, ids, vectors, scales FROM vector_block "
                "WHERE model = :model ORDER BY block"
            ),
            {"model": model},
        ).all()
    return [
        Block(
            block=int(r[0]),
            revision=int(r[1]),
            ids=np.frombuffer(r[2], dtype="<i8"),
            vectors=np.frombuffer(r[3], dtype=np.int8).reshape(-1, dim),
            scales=np.frombuffer(r[4], dtype="<f4"),
        )
        for r in rows
    ]


def read_vectors(
    engine: Engine, model: str, paper_ids: Iterable[int], dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """(paper ids, their exact vectors as float32) of those of `paper_ids` that have one."""
    wanted = ", ".join(str(int(p)) for p in paper_ids)
    if not wanted:
        return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)
    sql = (
        f"SELECT paper_id, vector FROM paper_vector WHERE paper_id IN ({wanted}) "
        "AND model = :model ORDER BY paper_id"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"model": model}).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, _float16_rows(r[1] for r in rows).reshape(len(rows), dim)
