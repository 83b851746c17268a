"""Export: one line per paper in the gold schema of ANNOTATION.md, keyed by its source's id."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Literal, TextIO

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.papers import public_id
from store.summaries import current_summary, gains_of, last_failure
from store.tables import Paper

ExportFormat = Literal["jsonl", "csv"]
CSV_FIELDS = [
    "id",
    "title",
    "takeaway",
    "has_claims",
    "gains",
    "status",
    "engine",
    "model",
    "prompt_version",
    "error",
    "arxiv_id",
    "url",
]


def export_rows(store: Engine) -> Iterator[dict[str, Any]]:
    """Every paper with its current summary (or its status when it has none)."""
    with Session(store) as session:
        for paper in session.exec(select(Paper).order_by(col(Paper.id))).all():
            row: dict[str, Any] = {
                "id": public_id(paper),
                "title": paper.title,
                "takeaway": None,
                "has_claims": None,
                "gains": [],
                "status": "pending",
                "engine": None,
                "model": None,
                "prompt_version": None,
                "error": None,
                "arxiv_id": paper.arxiv_id,
                "url": paper.url,
            }
            summary = current_summary(session, paper)
            if summary is not None:
                row.update(
                    takeaway=summary.takeaway,
                    has_claims=summary.has_claims,
                    gains=[g.model_dump() for g in gains_of(session, summary)],
                    status="ok",
                    engine=summary.engine,
                    model=summary.model,
                    prompt_version=summary.prompt_version,
                )
            elif (failure := last_failure(session, paper)) is not None:
                row.update(status="failed", error=failure.error, engine=failure.engine)
            yield row


def write_export(store: Engine, out: TextIO, fmt: ExportFormat) -> int:
    """Write the export to `out`; return the number of papers written."""
    count = 0
    if fmt == "jsonl":
        for row in export_rows(store):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in export_rows(store):
        writer.writerow({**row, "gains": json.dumps(row["gains"], ensure_ascii=False)})
        count += 1
    return count


def export_text(store: Engine, fmt: ExportFormat) -> str:
    buffer = io.StringIO()
    write_export(store, buffer, fmt)
    return buffer.getvalue()
