"""An answer for an abstract that changed while it was on its way is not stored as the new one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlmodel import Session

from agent.ingest.step import ingest_files
from agent.summarize.engines import OfflineSummarizer, summarize_pending
from agent.summarize.llm_engine import PaperOutcome
from store.db import open_engine
from store.papers import get_paper
from store.summaries import current_summary
from store.tables import Paper


def test_a_new_version_arriving_mid_run_is_not_overwritten_by_the_old_answer(
    tmp_path: Path,
) -> None:
    store = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    source = tmp_path / "v1.jsonl"
    source.write_text('{"id": "z1", "title": "Zeta: Fast", "abstract": "Zeta is 2.5x faster."}\n')
    ingest_files(store, [source])

    class NewVersionMidRun(OfflineSummarizer):
        def run_chunks(self, chunks: Iterable[list[Paper]]) -> Iterator[list[PaperOutcome]]:
            for outcomes in super().run_chunks(chunks):
                v2 = tmp_path / "v2.jsonl"
                v2.write_text(
                    '{"id": "z1", "title": "Zeta: Fast", "abstract": "Zeta is 1.1x faster now."}\n'
                )
                ingest_files(store, [v2])  # a new version lands while the answer is in flight
                yield outcomes

    report = summarize_pending(store, NewVersionMidRun())
    # The old answer is dropped; the new version, pending again, is summarized in the same run.
    assert (report.stale, report.summarized) == (1, 1)
    with Session(store) as session:
        paper = get_paper(session, "z1")
        assert paper is not None and paper.version == 2
        shown = current_summary(session, paper)
        assert shown is not None and shown.abstract_hash == paper.abstract_hash
        assert "2.5" not in (shown.takeaway or "")
    assert summarize_pending(store, OfflineSummarizer()).summarized == 0
