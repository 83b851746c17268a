"""Synthetic papers for the scale and fault tests: many distinct, valid, small abstracts."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from agent.ingest.step import ingest_files


def synthetic_records(n: int, start: int = 0) -> list[dict[str, str]]:
    return [
        {
            "id": f"2601.{i:05d}",
            "title": f"Method{i}: faster serving number {i}",
            "abstract": (
                f"We present Method{i} for model serving. It improves throughput by "
                f"{i % 9 + 1}.{i % 10}x over the baseline and cuts memory by {i % 40 + 5}% "
                "on three workloads."
            ),
        }
        for i in range(start, start + n)
    ]


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return path


def load_synthetic(store: Engine, folder: Path, n: int) -> None:
    report = ingest_files(store, [write_jsonl(folder / "synthetic.jsonl", synthetic_records(n))])
    assert report.new == n
