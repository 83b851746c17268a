"""Vectors for `ask` in the store: the queue the triggers keep, and the blocks a process reads."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from agent.ask.embed import DIM, MODEL, embed_missing
from agent.cli.main import app
from agent.ingest.step import ingest_files
from store import vectors
from store.db import open_engine
from store.vectors import block_revisions, read_blocks, read_vectors


def _jsonl(path: Path, *records: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _papers(n: int, word: str = "kernels") -> list[dict[str, str]]:
    return [
        {"id": f"p{i}", "title": f"Paper {i} on {word}", "abstract": f"We study {word} {i}."}
        for i in range(n)
    ]


def queued(store: Engine) -> set[int]:
    with store.connect() as conn:
        return set(conn.execute(text("SELECT paper_id FROM paper_vector_todo")).scalars())


def check_queue_follows_the_papers(store: Engine, folder: Path) -> None:
    ingest_files(store, [_jsonl(folder / "a.jsonl", *_papers(3))])
    assert queued(store) == {1, 2, 3}
    assert embed_missing(store) == 3
    assert queued(store) == set() and embed_missing(store) == 0

    changed = {"id": "p1", "title": "Paper 1 on kernels", "abstract": "A new abstract."}
    same = {"id": "p2", "title": "Paper 2 on kernels", "abstract": "We study kernels 2."}
    ingest_files(store, [_jsonl(folder / "b.jsonl", changed, same)])
    assert queued(store) == {2}  # paper p1 is row 2; p2's abstract did not change
    assert embed_missing(store) == 1
    with store.connect() as conn:
        stale = conn.execute(
            text(
                "SELECT count(*) FROM paper p JOIN paper_vector v ON v.paper_id = p.id "
                "WHERE v.abstract_hash <> p.abstract_hash"
            )
        ).scalar_one()
    assert stale == 0 and queued(store) == set()

    # A paper written by any other statement than ingest's bulk one is queued by its row.
    with store.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO paper (key, title_key, title, abstract, abstract_hash, version, "
                "authors, categories, source, created_at, updated_at) VALUES ('k', 'raw', "
                "'Raw', 'Raw text.', 'h', 1, '[]', '[]', 'sql', :now, :now)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )
    assert queued(store) == {4}


def test_new_papers_and_changed_abstracts_are_queued_until_embedded(tmp_path: Path) -> None:
    check_queue_follows_the_papers(open_engine(f"sqlite:///{tmp_path / 'q.db'}"), tmp_path)


@pytest.mark.postgres
def test_the_queue_follows_the_papers_on_postgresql(
    postgres_server: object, tmp_path: Path
) -> None:
    from tests.pg_server import PostgresServer

    assert isinstance(postgres_server, PostgresServer)
    check_queue_follows_the_papers(open_engine(postgres_server.create_database()), tmp_path)


def test_blocks_hold_every_vector_of_their_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors, "BLOCK", 4)
    store = open_engine(f"sqlite:///{tmp_path / 'b.db'}")
    ingest_files(store, [_jsonl(tmp_path / "a.jsonl", *_papers(10))])
    embed_missing(store)
    blocks = read_blocks(store, MODEL, DIM)
    assert [b.block for b in blocks] == [0, 1, 2]  # ids 1-3, 4-7, 8-10
    ids = np.concatenate([b.ids for b in blocks])
    assert ids.tolist() == list(range(1, 11))
    exact_ids, exact = read_vectors(store, MODEL, ids.tolist(), DIM)
    assert exact_ids.tolist() == ids.tolist()
    approx = np.concatenate([b.vectors.astype(np.float32) * b.scales[:, None] for b in blocks])
    # int8 with a scale a row: within half a step of the row's largest component.
    steps = np.abs(exact).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(approx - exact) <= steps / 2 + 1e-6)

    before = block_revisions(store, MODEL)
    changed = {"id": "p5", "title": "Paper 5 on kernels", "abstract": "Changed."}
    ingest_files(store, [_jsonl(tmp_path / "b.jsonl", changed)])
    embed_missing(store)
    after = block_revisions(store, MODEL)
    assert after[1] > before[1]  # paper 6 is in block 1
    assert {b: r for b, r in after.items() if b != 1} == {0: before[0], 2: before[2]}


def test_vectors_of_another_model_are_made_again(tmp_path: Path) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 'm.db'}")
    ingest_files(store, [_jsonl(tmp_path / "a.jsonl", *_papers(3))])
    embed_missing(store)
    with store.begin() as conn:
        conn.execute(text("UPDATE paper_vector SET model = 'old-model'"))
        conn.execute(text("UPDATE vector_block SET model = 'old-model'"))
    assert embed_missing(store) == 3
    assert [b.ids.tolist() for b in read_blocks(store, MODEL, DIM)] == [[1, 2, 3]]
    assert block_revisions(store, "old-model") == {}


def test_the_ingest_command_embeds_what_it_stored(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    source = _jsonl(tmp_path / "a.jsonl", *_papers(4))
    result = CliRunner().invoke(app, ["ingest", str(source), "--db", str(db)])
    assert result.exit_code == 0, result.output
    store = open_engine(f"sqlite:///{db}")
    assert queued(store) == set()
    assert read_vectors(store, MODEL, [1, 2, 3, 4], DIM)[0].tolist() == [1, 2, 3, 4]


def test_loading_the_embedding_model_leaves_logging_as_it_was() -> None:
    # wordllama calls logging.basicConfig(level=INFO) on import: left alone, every HTTP request
    # of the openai client was printed on the user's terminal during `run`.
    code = (
        "import logging\n"
        "from agent.ask.embed import embed\n"
        "embed(['a sentence'])\n"
        "root = logging.getLogger()\n"
        "print(root.level, len(root.handlers))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == [str(logging.WARNING), "0"]
