"""The papers nearest to a question by the bundled embeddings, fast at a million papers.

A process reads every paper's vector into memory once (int8, 256 bytes a paper, read in blocks:
store/vectors.py) and reads it again only when a block changed. A search narrows the papers in
three steps, each on fewer of them:

1. the Hamming distance between sign bits (32 bytes a paper, WordLlama's own binary form)
   picks a shortlist: SHORTLIST_SHARE of the papers, and at least SHORTLIST_MIN;
2. int8 dot products rank the shortlist, and the best CANDIDATES are kept;
3. their exact cosines come from the stored float16 vectors: the values an answer reports and
   agent/ask/retrieve.py's thresholds are calibrated on.

Up to SHORTLIST_MIN papers step 1 keeps every paper, and up to CANDIDATES (the eval corpora)
step 2 too, so there the ranking is exactly the one of every cosine. On a large store the sign
bits can miss a near paper; bench/bench_search.py measures how often. (Sign bits of the vector
less the store's mean did better on synthetic word salad but worse on the real abstracts, and
cost a float pass over every vector at load.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine

from agent.ask.embed import DIM, MODEL, embed, embed_missing
from store.vectors import Block, block_revisions, read_blocks, read_vectors

SHORTLIST_MIN = 20_000
SHORTLIST_SHARE = 0.05
CANDIDATES = 500
WORDS = DIM // 64  # 64-bit words of sign bits a paper
# Sign bits are computed this many papers at a time (a temporary of a slice, not of all).
SLICE = 65_536


@dataclass(frozen=True)
class VectorIndex:
    """Every paper's vector of one store, as searched in memory."""

    revisions: dict[int, int]  # block -> revision, as read
    ids: np.ndarray  # paper ids (int64)
    vectors: np.ndarray  # int8, one row a paper
    scales: np.ndarray  # float32: a paper's vector is its int8 row times this
    codes: np.ndarray  # uint64 (WORDS, papers): sign bits of each vector, word-major

    @classmethod
    def of(cls, blocks: list[Block]) -> VectorIndex:
        if not blocks:
            empty = np.zeros((0, DIM), dtype=np.int8)
            return cls({}, np.zeros(0, np.int64), empty, np.zeros(0, np.float32), _codes())
        ids = np.concatenate([b.ids for b in blocks]).astype(np.int64)
        vectors = np.concatenate([b.vectors for b in blocks])
        scales = np.concatenate([b.scales for b in blocks]).astype(np.float32)
        parts = [_sign_words(vectors[i : i + SLICE]) for i in range(0, len(ids), SLICE)]
        codes = np.ascontiguousarray(np.concatenate(parts).T)
        return cls({b.block: b.revision for b in blocks}, ids, vectors, scales, codes)

    def nearest(self, query: np.ndarray, k: int) -> np.ndarray:
        """Positions of about the k papers nearest to the unit vector `query`, nearest first
        by their int8 vectors (steps 1-2)."""
        rows = np.arange(len(self.ids))
        size = max(SHORTLIST_MIN, int(SHORTLIST_SHARE * len(rows)))
        if len(rows) > size:
            bits = _sign_words(query[None, :])[0]
            distance = np.zeros(len(rows), dtype=np.int32)
            for word in range(WORDS):
                distance += np.bitwise_count(self.codes[word] ^ bits[word])
            rows = np.argpartition(distance, size)[:size]
        # einsum, not BLAS: on a busy machine BLAS's second thread costs tens of ms.
        dots = np.einsum("ij,j->i", self.vectors[rows], query, dtype=np.float32)
        scores = -dots * self.scales[rows]
        if len(rows) > k:
            best = np.argpartition(scores, k)[:k]
            rows, scores = rows[best], scores[best]
        return rows[np.argsort(scores, kind="stable")]


def _sign_words(matrix: np.ndarray) -> np.ndarray:
    """(rows, WORDS) uint64: the sign bits of each row."""
    packed = np.packbits(matrix > 0, axis=1)
    return np.ascontiguousarray(packed).view("<u8").reshape(len(matrix), WORDS)


def _codes() -> np.ndarray:
    return np.zeros((WORDS, 0), dtype=np.uint64)


# One index per store URL, kept while the store's blocks keep their revisions.
_CACHE: dict[str, VectorIndex] = {}


def vector_index(engine: Engine) -> VectorIndex:
    """The store's index, embedding queued papers first; read again when a block changed."""
    embed_missing(engine)
    key = str(engine.url)
    cached = _CACHE.get(key)
    if cached is None or cached.revisions != block_revisions(engine, MODEL):
        cached = VectorIndex.of(read_blocks(engine, MODEL, DIM))
        _CACHE[key] = cached
    return cached


def nearest_papers(engine: Engine, question: str, k: int) -> list[int]:
    """The ids of about the k papers nearest to the question, nearest first (steps 1-2)."""
    index = vector_index(engine)
    if len(index.ids) == 0:
        return []
    ids: list[int] = index.ids[index.nearest(embed([question])[0], k)].tolist()
    return ids


def cosines(engine: Engine, question: str, paper_ids: Iterable[int]) -> dict[int, float]:
    """The exact cosine of the question to each of `paper_ids` that has a vector (step 3), by
    paper id (ascending)."""
    ids, matrix = read_vectors(engine, MODEL, sorted(set(paper_ids)), DIM)
    return dict(zip(ids.tolist(), (matrix @ embed([question])[0]).tolist(), strict=True))


def dense_ranking(
    engine: Engine, question: str, k: int = CANDIDATES, also: Iterable[int] = ()
) -> dict[int, float]:
    """Exact cosine of the question to about its k nearest papers and to the papers `also`
    names, by paper id (ascending)."""
    return cosines(engine, question, [*nearest_papers(engine, question, k), *also])
