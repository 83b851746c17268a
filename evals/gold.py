"""Loading the seed set: the parsed abstracts and their hand-annotated gold summaries.

Both files are JSON Lines keyed by paper id (see evals/data/ANNOTATION.md). A bad line stops the
load with a `GoldDataError` naming the file, the 1-based line number and what is wrong, because
an eval scored against silently skipped gold would report numbers that mean nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.core.errors import PaperskimError
from agent.core.models import PaperSummary
from evals.paths import GOLD_PATH, GOLD_SETS, PAPERS_PATH

Record = TypeVar("Record", bound=BaseModel)


class GoldDataError(PaperskimError):
    """A line of a seed or gold file is not valid JSON, fails validation or repeats an id."""

    def __init__(self, path: Path, line_no: int, problem: str) -> None:
        super().__init__(f"{path}, line {line_no}: {problem}")
        self.path = path
        self.line_no = line_no
        self.problem = problem


class SeedPaper(BaseModel):
    """One parsed paper of the seed listing."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable id of the paper in the seed set, e.g. 'seed-011'.")
    title: str = Field(description="The paper title as listed.")
    abstract: str = Field(description="The abstract as listed, unchanged.")


class UnknownGoldSetError(PaperskimError):
    """`--set` names no shipped gold set, or its files are missing."""


def gold_set_paths(name: str) -> tuple[Path, Path]:
    """The (gold, papers) files of a shipped gold set (a key of GOLD_SETS, e.g. 'real-dev')."""
    if name not in GOLD_SETS:
        raise UnknownGoldSetError(f"no gold set {name!r}; choose one of: {', '.join(GOLD_SETS)}")
    gold, papers = GOLD_SETS[name]
    for path in (gold, papers):
        if not path.exists():
            raise UnknownGoldSetError(f"gold set {name!r} is missing its file {path}")
    return gold, papers


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines of `path` with their 1-based line numbers."""
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                yield line_no, line


def _validation_problem(error: ValidationError) -> str:
    """The first few validation errors as one line: 'gains.0.value: Input should be ...'."""
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item["loc"]) or "record"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _load(
    path: Path, parse: Callable[[object], Record], id_of: Callable[[Record], str]
) -> dict[str, Record]:
    """Records of a JSON Lines file by id; `parse` raises ValueError for a bad record."""
    records: dict[str, Record] = {}
    for line_no, line in _lines(path):
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldDataError(path, line_no, f"not valid JSON ({exc.msg})") from exc
        try:
            record = parse(raw)
        except ValidationError as exc:
            raise GoldDataError(path, line_no, _validation_problem(exc)) from exc
        except ValueError as exc:
            raise GoldDataError(path, line_no, str(exc)) from exc
        key = id_of(record)
        if key in records:
            raise GoldDataError(path, line_no, f"duplicate id {key!r}")
        records[key] = record
    return records


def _gold_record(raw: object) -> PaperSummary:
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k != "note"}  # the annotator's remark, if any
    summary = PaperSummary.model_validate(raw)
    if summary.has_claims != bool(summary.gains):
        state = "true with no gains" if summary.has_claims else "false but gains are given"
        raise ValueError(f"has_claims is {state}")
    return summary


def load_gold(path: Path = GOLD_PATH) -> dict[str, PaperSummary]:
    """Gold summaries by paper id, in file order; `has_claims` must agree with `gains`."""
    return _load(Path(path), _gold_record, lambda s: s.id)


# Fields of the real corpus (evals/data/real/README.md) that say where a record came from; the
# eval reads only id, title and abstract, and any other field is still an error.
PROVENANCE_FIELDS = frozenset(
    {"arxiv_id", "version", "categories", "authors", "announce_type", "source"}
)


def _paper_record(raw: object) -> SeedPaper:
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k not in PROVENANCE_FIELDS}
    return SeedPaper.model_validate(raw)


def load_papers(path: Path = PAPERS_PATH) -> dict[str, SeedPaper]:
    """Gold papers by id, in file order (provenance fields of the real corpus are skipped)."""
    return _load(Path(path), _paper_record, lambda p: p.id)
