"""The dense search of `ask` against the reference: every stored vector's exact cosine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from agent.ask import dense
from agent.ask.dense import dense_ranking, vector_index
from agent.ask.embed import DIM, MODEL, embed
from agent.ingest.step import ingest_files
from store.db import open_engine
from store.vectors import read_vectors
from tests.conftest import ROOT

REAL = ROOT / "evals" / "data" / "real"
QUESTIONS = [
    "which papers speed up LLM inference?",
    "reducing KV cache memory",
    "protein structure prediction",
    "Gaussian splatting training",
]


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The 380 real abstracts (dev and test), embedded."""
    folder = tmp_path_factory.mktemp("dense")
    slim = folder / "papers.jsonl"
    with slim.open("w") as out:
        for name in ("dev_papers.jsonl", "test_papers.jsonl"):
            for line in (REAL / name).read_text().splitlines():
                row = json.loads(line)
                out.write(json.dumps({k: row[k] for k in ("id", "title", "abstract")}) + "\n")
    store = open_engine(f"sqlite:///{folder / 'real.db'}")
    ingest_files(store, [slim])
    vector_index(store)  # embeds them
    return store


def every_cosine(store: Engine, question: str) -> dict[int, float]:
    ids = vector_index(store).ids.tolist()
    got_ids, matrix = read_vectors(store, MODEL, ids, DIM)
    return dict(zip(got_ids.tolist(), (matrix @ embed([question])[0]).tolist(), strict=True))


def nearest(sims: dict[int, float], k: int) -> list[int]:
    return sorted(sims, key=lambda p: (-sims[p], p))[:k]


def test_a_small_store_gets_every_exact_cosine(real_store: Engine) -> None:
    for question in QUESTIONS:
        assert dense_ranking(real_store, question, k=1000) == every_cosine(real_store, question)


def test_the_cosines_of_the_papers_asked_for_are_exact(real_store: Engine) -> None:
    reference = every_cosine(real_store, QUESTIONS[0])
    far = nearest(reference, len(reference))[-3:]
    found = dense_ranking(real_store, QUESTIONS[0], k=5, also=far)
    assert set(nearest(reference, 5)) | set(far) == set(found)
    assert all(found[p] == reference[p] for p in found)


def test_the_shortlist_of_a_large_store_keeps_the_nearest_papers(
    real_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a large store: sign bits pick 30% (over 10 times the 10 nearest), int8 keeps 20.
    monkeypatch.setattr(dense, "SHORTLIST_MIN", 4)
    monkeypatch.setattr(dense, "SHORTLIST_SHARE", 0.3)
    index = vector_index(real_store)
    assert len(index.ids) == 380
    titles = [
        json.loads(line)["title"] for line in (REAL / "dev_papers.jsonl").read_text().splitlines()
    ]
    shares = []
    for question in QUESTIONS + titles[:30]:
        reference = every_cosine(real_store, question)
        rows = index.nearest(embed([question])[0], 20)
        assert len(rows) == 20
        found = set(index.ids[rows].tolist())
        shares.append(len(found & set(nearest(reference, 10))) / 10)
        assert nearest(reference, 1)[0] in found
    assert np.mean(shares) >= 0.85


def test_the_index_is_read_again_when_the_store_changed(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'i.db'}")
    first = {"id": "a", "title": "Quokka kernels", "abstract": "Quokkas run fast."}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(first) + "\n")
    ingest_files(store, [path])
    index = vector_index(store)
    assert index.ids.tolist() == [1]
    assert vector_index(store) is index  # nothing changed: the one in memory
    path.write_text(json.dumps({"id": "b", "title": "Wombat caches", "abstract": "Caches."}))
    ingest_files(store, [path])
    assert vector_index(store).ids.tolist() == [1, 2]  # embedded by the search, then read
    assert list(dense_ranking(store, "wombat caches")) == [1, 2]
