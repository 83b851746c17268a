"""End to end in a real headless Chromium: the real server, the keyboard, htmx, the digest.

Needs Debian's `chromium` and `chromium-driver` packages and the `selenium` package (dev
dependency); skipped with the reason when they are missing. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LISTING, ROOT

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = ROOT / "test-artifacts"
NEW_TAKEAWAY = "IsolateGPT isolates LLM apps from each other with under 30% overhead."


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited: {server.stdout.read() if server.stdout else ''!r}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on port {port}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`paperskim serve` on a free port over the 119 papers of the listing (offline engine)."""
    db = str(tmp_path / "browser.db")
    run = [sys.executable, "-m", "agent"]
    made = subprocess.run(
        [*run, "run", str(LISTING), "--db", db, "--out", str(tmp_path / "d.md")],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    port = _free_port()
    process = subprocess.Popen(
        [*run, "serve", "--db", db, "--port", str(port), "--reviewer", "e2e"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def test_review_a_paper_in_the_browser(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 10)
    ARTIFACTS.mkdir(exist_ok=True)

    def press(key: str) -> None:
        browser.find_element(By.TAG_NAME, "body").send_keys(key)

    def text_of(css: str) -> str:
        return str(browser.find_element(By.CSS_SELECTOR, css).text)

    browser.get(server + "/")
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr[data-href]")
    assert len(rows) == 50  # the first page of the 119 papers
    assert browser.find_elements(By.CSS_SELECTOR, "a[rel=next]")
    browser.save_screenshot(str(ARTIFACTS / "review-queue.png"))

    # keyboard: j moves the selection, k back, Enter opens the selected paper
    press("j")
    assert "selected" in (rows[1].get_attribute("class") or "")
    press("k")
    press("\ue007")  # Enter
    wait.until(ec.presence_of_element_located((By.ID, "abstract")))
    first_url = browser.current_url
    assert "IsolateGPT" in text_of("h1")
    marks = browser.find_elements(By.CSS_SELECTOR, "#abstract mark.quote")
    assert marks and "30%" in marks[0].text
    press("j")
    wait.until(lambda d: d.current_url != first_url)
    press("k")
    wait.until(lambda d: d.current_url == first_url)

    # e opens the inline editor; a takeaway with a number not in the abstract is refused
    press("e")
    takeaway = wait.until(ec.visibility_of_element_located((By.ID, "takeaway")))
    takeaway.clear()
    takeaway.send_keys("IsolateGPT is 7x safer.")
    browser.find_element(By.ID, "save").click()
    errors = wait.until(ec.visibility_of_element_located((By.ID, "errors")))
    assert "numbers not in the abstract: 7" in errors.text
    assert text_of("#status") == "draft"

    takeaway = browser.find_element(By.ID, "takeaway")
    takeaway.clear()
    takeaway.send_keys(NEW_TAKEAWAY)
    browser.find_element(By.ID, "save").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "corrected"))
    assert text_of("#shown-takeaway") == NEW_TAKEAWAY
    assert "corrected by e2e" in text_of("#summary h2")

    press("a")
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "approved"))
    browser.save_screenshot(str(ARTIFACTS / "review-paper.png"))

    browser.refresh()  # stored, not just shown
    wait.until(ec.presence_of_element_located((By.ID, "status")))
    assert text_of("#status") == "approved" and text_of("#shown-takeaway") == NEW_TAKEAWAY

    browser.get(server + "/digest")
    frames = browser.find_elements(By.ID, "digest-frame")
    if frames:  # the digest's own HTML page, framed
        browser.switch_to.frame(frames[0])
        digest = str(browser.find_element(By.TAG_NAME, "body").text)
        browser.switch_to.default_content()
    else:
        digest = text_of("#digest")
    # The preview is the top 50 of the 119 papers by claim strength (IsolateGPT's cost bound
    # ranks below them); tests/test_web.py checks a correction shows in the preview.
    assert "50 papers" in digest and "offline engine (no LLM)" in digest
    browser.save_screenshot(str(ARTIFACTS / "review-digest.png"))
