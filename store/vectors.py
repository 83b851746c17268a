"""Dense paper vectors for `ask`: which papers still need one, saving them, loading them all.

Vectors are float16, unit length, stored as bytes (one row a paper, table `paper_vector`). A
vector is stale when the paper's abstract changed or another model made it; stale and missing
ones are listed by `papers_to_embed` so the caller can (re)compute them lazily.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, text


@dataclass(frozen=True)
class PaperText:
    paper_id: int
    abstract_hash: str
    title: str
    abstract: str


def papers_to_embed(engine: Engine, model: str) -> list[PaperText]:
    """Papers with no vector from `model` for their current abstract."""
    sql = (
        "SELECT p.id, p.abstract_hash, p.title, p.abstract FROM paper p "
        "LEFT JOIN paper_vector v ON v.paper_id = p.id AND v.model = :model "
        "AND v.abstract_hash = p.abstract_hash WHERE v.paper_id IS NULL ORDER BY p.id"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"model": model}).all()
    return [PaperText(r[0], r[1], r[2], r[3]) for r in rows]


def save_vectors(engine: Engine, model: str, papers: list[PaperText], vectors: np.ndarray) -> None:
    """Store one vector a paper (replacing any older one)."""
    rows = [
        {
            "pid": p.paper_id,
            "model": model,
            "hash": p.abstract_hash,
            "vec": np.asarray(v, dtype="<f2").tobytes(),
        }
        for p, v in zip(papers, vectors, strict=True)
    ]
    if not rows:
        return
    with engine.begin() as conn:
        ids = ", ".join(str(int(p.paper_id)) for p in papers)
        conn.execute(text(f"DELETE FROM paper_vector WHERE paper_id IN ({ids})"))
        conn.execute(
            text(
                "INSERT INTO paper_vector (paper_id, model, abstract_hash, vector) "
                "VALUES (:pid, :model, :hash, :vec)"
            ),
            rows,
        )


def vector_count(engine: Engine, model: str) -> int:
    with engine.connect() as conn:
        sql = "SELECT count(*) FROM paper_vector WHERE model = :model"
        return int(conn.execute(text(sql), {"model": model}).scalar_one())


def load_vectors(engine: Engine, model: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(paper ids, matrix of their vectors as float32), in paper id order."""
    sql = "SELECT paper_id, vector FROM paper_vector WHERE model = :model ORDER BY paper_id"
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"model": model}).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if not rows:
        return ids, np.zeros((0, dim), dtype=np.float32)
    blob = b"".join(bytes(r[1]) for r in rows)
    matrix = np.frombuffer(blob, dtype="<f2").reshape(len(rows), dim).astype(np.float32)
    return ids, matrix
