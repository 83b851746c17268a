"""Guards on what is published: a prompt version is never edited once published (a change is
a new version), and the migrations form one line with one head (no branches merged later)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from store.db import MIGRATIONS_DIR

ROOT = Path(__file__).resolve().parent.parent

# SHA-256 of every published prompt. Publishing a new version: add its line here.
PUBLISHED = {
    "prompts/confirm/v1.toml": "ab9899823e92e0eae7e54f72933c28310ab9fadf55be1e3d583cd2c23fc7195a",
    "prompts/confirm/v2.toml": "ade3d095269f297a2b33f137bef036892d79d7a01019f302fb294a4f52f740b8",
    "prompts/shorten/v1.toml": "007083ebcbba3cdd112e912f434d7f79b989ed0ed169434bec3dbb0f5e4a0516",
    "prompts/ask/v1.toml": "b3adca9715ea9c736389c1057c00a0bc10294fa570aa0d6ed97729a4a4b918ef",
    "prompts/editor/v1.toml": "bd439342a58d01fc362a16fdfb5daa56ffa130b6fbedfb93ea62d462309cadba",
    "prompts/judge/v1.toml": "b3a6f0f162855580223a066cdf976d010197a1de353d1f19521146acc86aa143",
    "prompts/summarize/v1.toml": "4ba76d2870a7267db3e2a9c411c3babba4948fc68d039fd01612bba3ba3cf3ce",
    "prompts/summarize/v2.toml": "8e59ad64f78b2aa2f666ea0168dc2a539678c4b14544981e554b4c520180798b",
    "prompts/summarize/v3.toml": "f0ca63631046f7e14827f133b9732c92a82abc7cb4d49e01a55b43bd10eb2e16",
    "prompts/summarize/v4.toml": "93c501ddad61e944cfd3e0d4d79bb46ff3024ab4d283209dcbd90497e33f59ff",
}


def test_published_prompts_are_never_edited() -> None:
    found = {
        str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((ROOT / "prompts").glob("*/v*.toml"))
    }
    edited = [name for name, digest in PUBLISHED.items() if found.get(name) != digest]
    assert edited == [], f"published prompts changed or removed (make a new version): {edited}"
    unpinned = sorted(set(found) - set(PUBLISHED))
    assert unpinned == [], f"new prompt versions: pin them in PUBLISHED: {unpinned}"


def test_migrations_have_one_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    heads = script.get_heads()
    assert len(heads) == 1, f"migration heads: {heads} (chain the new one after the head)"
    # One line from here on: 0007 joined the branches of 0004-0006 (databases in use have it,
    # so it stays); any later merge means a branch was made again.
    merges = [
        r.revision
        for r in script.walk_revisions()
        if isinstance(r.down_revision, tuple) and len(r.down_revision) > 1
    ]
    assert merges == ["0007_llm_relevance"], f"merge revisions: {merges}"
