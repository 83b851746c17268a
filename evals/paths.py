"""Where the shipped gold sets are (loading them is evals/gold.py's job).

Kept apart from gold.py, which loads pydantic, so that `paperskim eval --help` can show these
defaults without loading it.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
GOLD_PATH = DATA_DIR / "seed_gold.jsonl"
PAPERS_PATH = DATA_DIR / "seed_papers.jsonl"
REAL_DIR = DATA_DIR / "real"
# name → (gold, papers) of the gold sets shipped in evals/data/
GOLD_SETS: dict[str, tuple[Path, Path]] = {
    "seed": (GOLD_PATH, PAPERS_PATH),
    "real-dev": (REAL_DIR / "dev_gold.jsonl", REAL_DIR / "dev_papers.jsonl"),
    # drawn later from the same pool, past real-dev's rules (see evals/data/real/README.md)
    "real-dev2": (REAL_DIR / "dev2_gold.jsonl", REAL_DIR / "dev2_papers.jsonl"),
    "real-test": (REAL_DIR / "test_gold.jsonl", REAL_DIR / "test_papers.jsonl"),
    # one later blind draw from repositories no earlier part used, split by the same id hash:
    # dev3 is development data, test2 a second frozen test part (evals/data/real/README.md)
    "real-dev3": (REAL_DIR / "dev3_gold.jsonl", REAL_DIR / "dev3_papers.jsonl"),
    "real-dev4": (REAL_DIR / "dev4_gold.jsonl", REAL_DIR / "dev4_papers.jsonl"),
    "real-dev5": (REAL_DIR / "dev5_gold.jsonl", REAL_DIR / "dev5_papers.jsonl"),
    "real-dev6": (REAL_DIR / "dev6_gold.jsonl", REAL_DIR / "dev6_papers.jsonl"),
    "real-dev7": (REAL_DIR / "dev7_gold.jsonl", REAL_DIR / "dev7_papers.jsonl"),
    "real-test2": (REAL_DIR / "test2_gold.jsonl", REAL_DIR / "test2_papers.jsonl"),
}
