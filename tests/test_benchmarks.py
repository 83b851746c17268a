"""The benchmarks in bench/ run in CI at a reduced size, so they cannot rot.

They print their figures (see the output with `pytest -s -m bench`); the full-size commands are
in README's Benchmarks section. Only targets that do not depend on machine speed are held here
(the token ratio); timing targets are checked by the full-size runs, not by tests.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.pg_server import find_bindir

RUNS = {
    "extraction": ["bench/bench_extraction.py"],
    "tokens": ["bench/bench_tokens.py", "--size", "60"],
    # Charged by use: charged by reservation, the limiter learns it from a first 429 and then
    # waits out the window (~45 s here); tests/test_limits.py covers that learning.
    "throughput": [
        "bench/bench_throughput.py",
        "--size",
        "400",
        "--rpm",
        "600",
        "--mode",
        "budget",
        "--charge",
        "used",
        "--min-fraction",
        "0",
    ],
    "ingest": ["bench/bench_ingest.py", "--size", "3000", "--max-growth", "200"],
    "search": ["bench/bench_search.py", "--papers", "2000", "--rounds", "1", "--target-ms", "inf"],
    "offline_run": ["bench/bench_offline_run.py", "--sizes", "300"],
    "offline_claims": ["bench/bench_offline_run.py", "--sizes", "300", "--claims"],
    "pages": ["bench/bench_pages.py", "--papers", "300", "--rounds", "1"],
    "commands": ["bench/bench_commands.py", "--papers", "300", "--rounds", "1"],
    "startup": ["bench/bench_startup.py", "--runs", "2", "--max-over", "inf"],
}


@pytest.mark.bench
@pytest.mark.parametrize("name", sorted(RUNS))
def test_benchmark_runs_at_reduced_size(name: str) -> None:
    result = subprocess.run(
        [sys.executable, *RUNS[name]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.strip()


@pytest.mark.bench
@pytest.mark.postgres
@pytest.mark.skipif(find_bindir() is None, reason="PostgreSQL server binaries not installed")
def test_workers_share_a_postgresql_backlog_none_twice_none_lost() -> None:
    """bench_workers at a reduced size: 1 and 4 workers on the LLM path, 1 and 2 offline, each
    run checked in SQL by the script (it exits non-zero when a paper was summarized or sent
    twice, or lost); its speed is not held here."""
    papers = 300
    result = subprocess.run(
        [sys.executable, "bench/bench_workers.py", "--papers", str(papers), "--latency", "0.2",
         "--offline-workers", "1,2", "--min-speedup", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    runs = [line.split(":")[0].split() for line in result.stdout.splitlines() if "wall" in line]
    assert runs == [["llm", "1", "worker(s)"], ["llm", "4", "worker(s)"],
                    ["offline", "1", "worker(s)"], ["offline", "2", "worker(s)"]]  # fmt: skip
    checked = f"checked in SQL: {papers} papers, each summarized once (none twice, none lost)"
    assert result.stdout.count(checked) == 4
    assert result.stdout.count("none sent twice") == 2
