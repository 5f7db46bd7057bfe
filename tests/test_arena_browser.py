"""The arena in a real browser: Debian's headless Chromium driven by Playwright (no browser download) loads the
page, starts a taboo game, sends a move the game cannot read, sees the teacher's correction, and saves a
screenshot under the test's tmp dir.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``); skipped without it, except where
``PLAYSCHOOL_REQUIRE_BROWSER=1`` (CI sets it) turns the skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gradio")
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.slow


def _need_browser() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("PLAYSCHOOL_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from playschool.arena import ArenaConfig
    from playschool.arena.launch import launch

    _need_browser()
    config = ArenaConfig(db_path=tmp_path_factory.mktemp("arena-browser") / "arena.db", games=("taboo",), n=1)
    app, arena, local = launch(config, port=None, block=False)
    yield local
    app.close()
    arena.close()


def _pick(page: Any, elem_id: str, value: str) -> None:
    """Choose ``value`` in a Gradio dropdown (an input with a listbox of options)."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    page.get_by_role("option", name=value, exact=True).click()


def test_play_a_taboo_turn_and_see_a_correction(url: str, tmp_path: Path) -> None:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            page.get_by_text("PlaySchool arena").first.wait_for(timeout=30_000)
            _pick(page, "play-game", "taboo")
            _pick(page, "play-role", "guesser")
            page.locator("#play-new").click()
            page.locator("#play-status").get_by_text("Your move").wait_for(timeout=30_000)
            chat = page.locator("#play-chat")
            before = chat.inner_text()
            assert "taboo" in page.locator("#play-status").inner_text().lower()
            page.locator("#play-text textarea").fill("I have no idea, could you say more?")
            page.locator("#play-text textarea").press("Enter")
            chat.get_by_text("Correction", exact=False).first.wait_for(timeout=30_000)
            after = chat.inner_text()
            assert len(after) > len(before)
            assert "correction" in after.lower()
            shot = tmp_path / "arena-correction.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
