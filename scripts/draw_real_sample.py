"""Draw a blind sample of real arXiv abstracts for a new evaluation part from local mirrors.

    python scripts/draw_real_sample.py MIRRORS_DIR [PART] > evals/data/real/PART_papers.jsonl

PART is `dev2` (the default), `dev3`, `test2`, `dev4`, `dev5`, `dev6` or `dev7` (see
PARTS). MIRRORS_DIR holds bare clones named `owner+name/repo` (what the project's fetch tool
makes) of the part's repositories: for dev2, dev6 and dev7, the daily-arXiv forks (and for dev2
the Kaggle-snapshot repository) listed in evals/data/real/README.md; for dev3, test2 and dev4,
the repositories of FRESH; for dev5, FRESH's two cs forks. The selection is the README's, with
a salt of the part's own, so it is reproducible and nobody picks abstracts by reading them:

1. pool: every raw `*.jsonl` of every branch of the part's repositories (never `*AI_enhanced*`
   files, nor the files in the part's `skip`), read in order, first copy of an id kept; for
   dev2 also the 200 Kaggle-snapshot lines;
2. drop ids already in the parts the part names as known, and keep only the ids on the part's
   side of the split hash (`int(sha256(id)[:8], 16) % 10 < 4` is the test side): dev2 and
   dev3 take the dev side, test2 the test side, so no draw reads what belongs to the other;
3. the README's filters (fewer than 60 words, cut short, seed/hold-out title, fixture marker,
   withdrawal, malformed id, duplicate title);
4. buckets by primary category (stat.ML also takes cross-lists whose primary is outside the
   eight feed categories), each ordered by `sha256(SALT + arxiv_id)`, the first QUOTA taken.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SALT = "paperskim-real-dev2-select:"
FORKS = [  # README order: the first copy of an id read is kept
    "dw-dengwei",
    "springkill",
    "KAFKA2306",
    "70asunflower",
    "InfiniteNightmare",
    "Troy9748",
    "zzhaozeng",
    "Casablancassss",
    "mudongjing",
    "xpo0a",
]
KAGGLE = ("wanng-ide/arxivSpider_mnbvc", "main", "arxiv-metadata-oai-snapshot.json")
FEED = ("cs.LG", "cs.CL", "cs.CV", "cs.DC", "cs.CR", "cs.DB", "eess.AS")
QUOTA = {
    "cs.LG": 10,
    "cs.CL": 10,
    "cs.CV": 10,
    "cs.DC": 8,
    "cs.CR": 8,
    "cs.DB": 8,
    "eess.AS": 8,
    "stat.ML": 6,
    "physics": 7,
    "math": 3,
    "q-bio": 2,
}
PHYSICS = ("astro-ph", "cond-mat", "hep-", "quant-ph", "physics.", "gr-qc", "nucl-", "nlin")
MARKERS = ("lorem ipsum", "fresh work on autonomous research agents", "this is the abstract of")
ID_RE = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})$")
DATA_FILE = re.compile(r"(^|/)\d{4}-\d{2}-\d{2}\.jsonl$")  # the daily raw listing files
REAL = Path(__file__).resolve().parents[1] / "evals" / "data"


def git(git_dir: Path, *args: str) -> str:
    out = subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True)
    return out.stdout.decode(
        "utf-8", errors="replace"
    )  # a stray non-UTF-8 line fails json, not the run


def in_test(arxiv_id: str) -> bool:
    return int(hashlib.sha256(arxiv_id.encode()).hexdigest()[:8], 16) % 10 < 4


def norm_title(title: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", re.sub(r"\s+", " ", title.lower())).strip()


def fork_records(
    mirrors: Path, owner: str, skip: frozenset[str] = frozenset()
) -> Iterator[dict[str, Any]]:
    """The raw daily records of repository `owner` (a daily-arXiv-ai-enhanced fork's owner, or
    a whole "owner/name"), but those of the files named in `skip`."""
    repo = owner if "/" in owner else f"{owner}/daily-arXiv-ai-enhanced"
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    refs = git(git_dir, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
    for line in refs.splitlines():
        _, commit = line.split()
        for path in sorted(git(git_dir, "ls-tree", "-r", "--name-only", commit).splitlines()):
            if not DATA_FILE.search(path) or f"{repo}:{path}" in skip:
                continue
            try:
                text = git(git_dir, "show", f"{commit}:{path}")
            except subprocess.CalledProcessError:  # a large file the mirror lists but lacks
                continue
            for raw in text.splitlines():
                try:
                    item = json.loads(raw)
                except json.JSONDecodeError:
                    continue
                if not isinstance(item, dict) or not item.get("summary") or not item.get("id"):
                    continue
                yield {
                    "id": "arxiv:" + str(item["id"]),
                    "arxiv_id": str(item["id"]),
                    "version": None,
                    "title": re.sub(r"\s+", " ", str(item.get("title", ""))).strip(),
                    "abstract": item["summary"],
                    "categories": [c for c in item.get("categories") or [] if "." in c or "-" in c],
                    "authors": item.get("authors") or [],
                    "announce_type": None,
                    "source": {
                        "repo": repo,
                        "path": path,
                        "commit": commit,
                        "form": "daily-arxiv-jsonl",
                    },
                }


def kaggle_records(mirrors: Path) -> Iterator[dict[str, Any]]:
    repo, branch, path = KAGGLE
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    commit = git(git_dir, "rev-parse", branch).strip()
    for raw in git(git_dir, "show", f"{commit}:{path}").splitlines():
        item = json.loads(raw)
        versions = item.get("versions") or []
        names = [
            " ".join(p for p in (a[1], a[0], a[2]) if p) for a in item.get("authors_parsed") or []
        ]
        yield {
            "id": "arxiv:" + item["id"],
            "arxiv_id": item["id"],
            "version": versions[-1]["version"] if versions else None,
            "title": re.sub(r"\s+", " ", item["title"]).strip(),
            "abstract": item["abstract"],
            "categories": [c for c in item["categories"].split() if "." in c or "-" in c],
            "authors": names,
            "announce_type": None,
            "source": {"repo": repo, "path": path, "commit": commit, "form": "kaggle-snapshot"},
        }


def bucket(categories: list[str]) -> str | None:
    if not categories:
        return None
    primary = categories[0]
    if primary in FEED:
        return primary
    if primary == "stat.ML" or "stat.ML" in categories:
        return "stat.ML"
    if primary.startswith(PHYSICS):
        return "physics"
    if primary.startswith(("math.", "math-ph")):
        return "math"
    if primary.startswith("q-bio"):
        return "q-bio"
    return None


def known_ids_and_titles(names: tuple[str, ...]) -> tuple[set[str], set[str]]:
    ids, titles = set(), set()
    for name in names:
        for line in (REAL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                ids.add(record.get("arxiv_id") or record["id"])
                titles.add(norm_title(record["title"]))
    return ids, titles


@dataclass(frozen=True)
class Part:
    """One draw: where from, in what blind order, how many of each bucket, which hash side."""

    salt: str
    repos: tuple[str, ...]
    quota: dict[str, int]
    kaggle: bool
    side: str  # "dev": ids outside the TEST hash bucket; "test": ids inside it
    known: tuple[str, ...]  # parts (under evals/data) whose ids and titles are left out
    skip: frozenset[str] = frozenset()  # "repo:path" files somebody here has already read


KNOWN = ("real/dev_papers", "real/test_papers", "seed_papers", "holdout_papers")
# Repositories none of the earlier parts drew from. The 2026-02-26 file of MYZhangwww's fork was
# run through paperskim in a new-user trial (its digest was read), so it is left out.
FRESH = ("MYZhangwww", "xmkxabc", "Straw674/daily-arXiv-astro-ph")
FRESH_SKIP = frozenset({"MYZhangwww/daily-arXiv-ai-enhanced:data/2026-02-26.jsonl"})
FRESH_QUOTA = {
    "cs.LG": 8,
    "cs.CL": 8,
    "cs.CV": 8,
    "cs.DC": 4,
    "cs.CR": 4,
    "cs.DB": 2,
    "eess.AS": 2,
    "stat.ML": 4,
    "physics": 6,
    "math": 2,
    "q-bio": 2,
}
FRESH_SALT = "paperskim-real-fresh3-select:"
FRESH_KNOWN = (*KNOWN, "real/dev2_papers")
DEV4_SALT = "paperskim-real-dev4-select:"
DEV4_QUOTA = {
    "cs.LG": 12,
    "cs.CL": 10,
    "cs.CV": 12,
    "cs.DC": 8,
    "cs.CR": 6,
    "cs.DB": 4,
    "eess.AS": 4,
    "stat.ML": 4,
}
DEV5_SALT = "paperskim-real-dev5-select:"
DEV5_QUOTA = {
    "cs.LG": 10,
    "cs.CL": 8,
    "cs.CV": 10,
    "cs.DC": 6,
    "cs.CR": 4,
    "cs.DB": 2,
    "eess.AS": 2,
    "stat.ML": 3,
    "physics": 5,
}
DEV6_SALT = "paperskim-real-dev6-select:"
DEV6_QUOTA = {
    "cs.LG": 9,
    "cs.CL": 8,
    "cs.CV": 9,
    "cs.DC": 5,
    "cs.CR": 5,
    "cs.DB": 4,
    "eess.AS": 3,
    "stat.ML": 3,
    "physics": 3,
    "math": 1,
}
DEV7_SALT = "paperskim-real-dev7-select:"
# Abstracts that mostly claim nothing: where invented gains come from.
DEV7_QUOTA = {"physics": 26, "math": 8, "q-bio": 6}
# Each later draw leaves out every part drawn before it.
DEV3_KNOWN = (*FRESH_KNOWN, "real/dev3_papers", "real/test2_papers")
DEV4_KNOWN = (*DEV3_KNOWN, "real/dev4_papers")
DEV5_KNOWN = (*DEV4_KNOWN, "real/dev5_papers")
PARTS = {
    "dev2": Part(SALT, tuple(FORKS), QUOTA, True, "dev", KNOWN),
    # One blind draw from the fresh repositories, split by the same id hash as real-dev/test:
    # dev3 may be read and tuned on once scored untuned; test2 is frozen like test.
    "dev3": Part(FRESH_SALT, FRESH, FRESH_QUOTA, False, "dev", FRESH_KNOWN, FRESH_SKIP),
    "test2": Part(FRESH_SALT, FRESH, FRESH_QUOTA, False, "test", FRESH_KNOWN, FRESH_SKIP),
    # A second dev draw from the same repositories, weighted to the feeds where abstracts claim
    # gains: the metric labels' errors on unseen text are what it is for.
    "dev4": Part(DEV4_SALT, FRESH, DEV4_QUOTA, False, "dev", DEV3_KNOWN, FRESH_SKIP),
    # A third dev draw (2026-12-03) once dev4 had been tuned on: the two cs forks of FRESH (the
    # astro-ph fork's June 2026 files were read in a new-user trial), a new salt.
    "dev5": Part(DEV5_SALT, FRESH[:2], DEV5_QUOTA, False, "dev", DEV4_KNOWN, FRESH_SKIP),
    # The ten forks real-test was drawn from (dev side of the hash), so that a dev part shares
    # the frozen test's sources and years: what generalizes to it should show here first.
    "dev6": Part(DEV6_SALT, tuple(FORKS), DEV6_QUOTA, False, "dev", DEV5_KNOWN),
    "dev7": Part(
        DEV7_SALT, tuple(FORKS), DEV7_QUOTA, False, "dev", (*DEV5_KNOWN, "real/dev6_papers")
    ),
}


def main(mirrors: Path, part: Part) -> None:
    known_ids, known_titles = known_ids_and_titles(part.known)
    seen_ids: set[str] = set()
    seen_titles: set[str] = set()
    buckets: dict[str, list[dict[str, Any]]] = {b: [] for b in part.quota}
    pool = (rec for repo in part.repos for rec in fork_records(mirrors, repo, part.skip))
    extra = kaggle_records(mirrors) if part.kaggle else iter(())
    for rec in (*pool, *extra):
        aid, text, title = rec["arxiv_id"], rec["abstract"], norm_title(rec["title"])
        if aid in seen_ids:
            continue
        seen_ids.add(aid)
        if aid in known_ids or in_test(aid) != (part.side == "test") or not ID_RE.match(aid):
            continue
        if len(text.split()) < 60 or text.rstrip().endswith(("...", "…")):
            continue
        low = text.lower()
        if any(m in low for m in MARKERS) or "withdrawn" in low[:200]:
            continue
        if title in known_titles or title in seen_titles:
            continue
        seen_titles.add(title)
        name = bucket(rec["categories"])
        if name in buckets:  # a part may leave buckets out
            buckets[name].append(rec)
    chosen = []
    for name, quota in part.quota.items():
        ranked = sorted(
            buckets[name],
            key=lambda r: hashlib.sha256((part.salt + r["arxiv_id"]).encode()).hexdigest(),
        )
        chosen += ranked[:quota]
        print(
            f"{name}: {len(buckets[name])} candidates, {min(quota, len(ranked))} taken",
            file=sys.stderr,
        )
    for rec in sorted(chosen, key=lambda r: r["id"]):
        print(json.dumps(rec, ensure_ascii=False))


if __name__ == "__main__":
    name = sys.argv[2] if len(sys.argv) > 2 else "dev2"
    if len(sys.argv) < 2 or name not in PARTS:
        sys.exit(f"usage: {sys.argv[0]} MIRRORS_DIR [{'|'.join(PARTS)}]")
    main(Path(sys.argv[1]), PARTS[name])
