"""The dense half of `ask`'s search: a small embedding model that ships inside its package.

WordLlama (MIT) carries 256-dimension static token embeddings in its wheel and embeds on CPU
with no download. Its own loader looks for the bundled tokenizer in the wrong folder and then
tries the network, so the model is built here from the two bundled files directly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from agent.core.errors import PaperskimError
from store.vectors import load_vectors, papers_to_embed, save_vectors, vector_count

MODEL = "wordllama-l2-supercat-256"
DIM = 256
# Embedding is done in chunks so that a first ask over a large store shows steady progress.
CHUNK = 2000


class EmbeddingError(PaperskimError):
    """The bundled embedding model could not be loaded."""


@lru_cache(maxsize=1)
def _model() -> Any:
    try:
        import wordllama
        from safetensors import safe_open
        from wordllama.inference import WordLlamaInference
        from wordllama.wordllama import WordLlama
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbeddingError(f"the embedding package is not installed: {exc}") from exc
    root = Path(wordllama.__file__).parent
    tokenizer = WordLlama.load_tokenizer(root / "tokenizers" / "l2_supercat_tokenizer_config.json")
    weights = root / "weights" / f"l2_supercat_{DIM}.safetensors"
    if not weights.exists():
        raise EmbeddingError(f"bundled embedding weights missing: {weights}")
    with safe_open(str(weights), framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    return WordLlamaInference(table, tokenizer, binary=False)


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    vectors: np.ndarray = np.asarray(_model().embed(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(norms, 1e-9)
    return unit


def paper_text(title: str, abstract: str) -> str:
    return f"{title}. {title}. {' '.join(abstract.split())}"


def embed_missing(engine: Engine) -> int:
    """Embed every paper that has no current vector; how many were embedded."""
    todo = papers_to_embed(engine, MODEL)
    for start in range(0, len(todo), CHUNK):
        part = todo[start : start + CHUNK]
        save_vectors(engine, MODEL, part, embed([paper_text(p.title, p.abstract) for p in part]))
    return len(todo)


# Loaded vectors, per store URL, reused while the count of vectors stays the same.
_CACHE: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}


def store_vectors(engine: Engine) -> tuple[np.ndarray, np.ndarray]:
    """(paper ids, vectors) of every paper, embedding the missing ones first."""
    embedded = embed_missing(engine)
    key = str(engine.url)
    count = vector_count(engine, MODEL)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == count and not embedded:
        return cached[1], cached[2]
    ids, matrix = load_vectors(engine, MODEL, DIM)
    _CACHE[key] = (count, ids, matrix)
    return ids, matrix


def dense_scores(engine: Engine, question: str) -> dict[int, float]:
    """Cosine similarity of the question to every paper, by paper id."""
    ids, matrix = store_vectors(engine)
    if len(ids) == 0:
        return {}
    sims = matrix @ embed([question])[0]
    return dict(zip(ids.tolist(), sims.tolist(), strict=True))
