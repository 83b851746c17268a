"""The HTML digest in a real headless Chromium: it renders, escapes, and fits a phone.

Screenshots are saved under test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from agent.config import ProfileSettings
from agent.digest.editor_note import statistical_note
from agent.digest.render import render_html_page
from agent.digest.select import collect
from store.db import open_engine
from tests.conftest import ROOT
from tests.test_digest import PAPERS, add_papers

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SEED = ROOT / "evals" / "data" / "seed_papers.jsonl"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.fixture
def page(tmp_path: Path) -> Path:
    """The digest of the seed papers plus a hostile title, as a file Chromium can open."""
    store: Engine = open_engine(f"sqlite:///{tmp_path / 'b.db'}")
    add_papers(store, tmp_path, PAPERS, "papers")
    source = tmp_path / "seed.jsonl"
    source.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    from agent.ingest.step import ingest_files
    from agent.summarize.engines import OfflineSummarizer, summarize_pending

    ingest_files(store, [source])
    summarize_pending(store, OfflineSummarizer())
    profile = ProfileSettings(
        keywords=["KV cache"],
        topics={"Serving & inference": ["serving", "inference"], "Training": ["training"]},
    )
    items = collect(store, profile=profile)
    path = tmp_path / "digest.html"
    path.write_text(render_html_page(items, note=statistical_note(items)), encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "width"), [("phone", 390), ("desktop", 1280)])
def test_the_html_digest_renders_in_chromium(
    page: Path, tmp_path: Path, name: str, width: int
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"digest-{name}.png"
    shot.unlink(missing_ok=True)
    chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},2400", page.as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000  # a blank page is a few KB
    assert png_size(shot) == (width, 2400)


def test_the_browser_shows_a_hostile_title_as_text(page: Path, tmp_path: Path) -> None:
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    # Had the title been injected, the DOM would hold a real <script> or <img> element.
    assert "<script" not in dom and "<img" not in dom
    assert "&lt;script&gt;" in dom
    assert dom.count("<article") == 119 + len(PAPERS)
    assert "Serving &amp; inference" in dom and "Editor's note by statistics" in dom
