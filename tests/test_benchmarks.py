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

RUNS = {
    "extraction": ["bench/bench_extraction.py"],
    "tokens": ["bench/bench_tokens.py", "--size", "60"],
    "throughput": [
        "bench/bench_throughput.py",
        "--size",
        "400",
        "--rpm",
        "600",
        "--mode",
        "budget",
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
