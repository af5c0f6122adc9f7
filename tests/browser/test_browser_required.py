"""The browser tier's rule: without Chromium its tests skip, unless CI requires the browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import browser


def test_chromium_missing__skips__or_fails_when_the_browser_is_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr(browser, "REQUIRE_BROWSER", True)
    with pytest.raises(pytest.fail.Exception, match="ORDERDESK_TEST_REQUIRE_BROWSER=1"):
        browser.chromium_executable()
    monkeypatch.setattr(browser, "REQUIRE_BROWSER", False)
    with pytest.raises(pytest.skip.Exception):
        browser.chromium_executable()
