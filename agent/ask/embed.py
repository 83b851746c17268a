"""The dense half of `ask`'s search: a small embedding model that ships inside its package.

WordLlama (MIT) carries 256-dimension static token embeddings in its wheel and embeds on CPU
with no download. Its own loader looks for the bundled tokenizer in the wrong folder and then
tries the network, so the model is built here from the two bundled files directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from agent.core.errors import PaperskimError
from store.vectors import papers_to_embed, queue_other_models, save_vectors

# Another model (or dimension) here re-embeds every paper: store/vectors.queue_other_models.
MODEL = "wordllama-l2-supercat-256"
DIM = 256
# Embedding is done in chunks so that a first ask over a large store shows steady progress.
CHUNK = 2000


class EmbeddingError(PaperskimError):
    """The bundled embedding model could not be loaded."""


@contextmanager
def _logging_left_alone() -> Iterator[None]:
    """The root logger as it was: wordllama calls logging.basicConfig(level=INFO) when it is
    imported, which would print every INFO record of every library (each HTTP request of the
    openai client, each migration) on a user's terminal."""
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


@lru_cache(maxsize=1)
def _model() -> Any:
    try:
        with _logging_left_alone():
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


def embed_missing(engine: Engine, on_progress: Callable[[int], None] | None = None) -> int:
    """Embed every queued paper (new, or its abstract changed); how many were embedded.

    `paperskim ingest` calls this after storing papers, and `ask` before it searches (then
    it usually finds the queue empty: one look-up). `on_progress` hears each chunk's count.
    """
    queue_other_models(engine, MODEL)
    done, last = 0, None
    while todo := papers_to_embed(engine, CHUNK):
        if todo == last:
            break  # their abstracts keep changing under us: the next call tries again
        last = todo
        save_vectors(engine, MODEL, todo, embed([paper_text(p.title, p.abstract) for p in todo]))
        done += len(todo)
        if on_progress:
            on_progress(len(todo))
    return done
