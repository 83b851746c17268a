"""Export: one line per paper in the gold schema of ANNOTATION.md, keyed by its source's id."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, Literal, TextIO

from sqlalchemy import Engine
from sqlmodel import Session

from agent.core.models import PaperSummary
from agent.core.text import spreadsheet_cell
from store.papers import public_id
from store.reviews import vouched_summaries
from store.summaries import as_paper_summary
from store.tables import Paper
from store.views import export_records

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
    """Every paper with its current summary (or its status when it has none), streamed from the
    store in keyset chunks with their gains, so memory stays flat at any size."""
    for record in export_records(store):
        row: dict[str, Any] = {
            "id": record.public_id,
            "title": record.title,
            "takeaway": None,
            "has_claims": None,
            "gains": [],
            "status": "pending",
            "engine": None,
            "model": None,
            "prompt_version": None,
            "error": None,
            "arxiv_id": record.arxiv_id,
            "url": record.url,
        }
        if record.engine is not None:
            row.update(
                takeaway=record.takeaway,
                has_claims=record.has_claims,
                gains=record.gains,
                status="ok",
                engine=record.engine,
                model=record.model,
                prompt_version=record.prompt_version,
            )
        elif record.failure_engine is not None:
            row.update(status="failed", error=record.failure_error, engine=record.failure_engine)
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
        cells = {**row, "gains": json.dumps(row["gains"], ensure_ascii=False)}
        # Paper text opened in a spreadsheet must not run as a formula (=HYPERLINK(...)).
        writer.writerow(
            {k: spreadsheet_cell(v) if isinstance(v, str) else v for k, v in cells.items()}
        )
        count += 1
    return count


def reviewed_summaries(store: Engine) -> list[tuple[Paper, PaperSummary]]:
    """Papers whose current abstract a person approved or corrected, with what they vouched for.

    For an approval that is the summary shown when it was approved (even if a newer machine
    summary came later); for a correction, the corrected summary.
    """
    found = []
    with Session(store, expire_on_commit=False) as session:
        for paper, summary in vouched_summaries(session):
            found.append((paper, as_paper_summary(session, public_id(paper), summary)))
    return found


def write_reviewed(store: Engine, out: TextIO) -> int:
    """Approved or corrected summaries in the gold format of ANNOTATION.md, one JSON a line."""
    count = 0
    for _, summary in reviewed_summaries(store):
        out.write(json.dumps(summary.model_dump(), ensure_ascii=False) + "\n")
        count += 1
    return count
