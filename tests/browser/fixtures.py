"""The one headless Chromium of a test session, registered suite-wide by the root conftest
(`pytest_plugins`), so that browser tests outside tests/browser share it: two Playwright
instances in one process refuse to run ("Sync API inside the asyncio loop").

Playwright never downloads a browser here: it drives /usr/bin/chromium (or CHROMIUM_PATH).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.availability import unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Playwright's sync API keeps an event loop on the main thread; Django would otherwise take
# every ORM call the tests make (seeding, assertions) for a call from async code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_PATH = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps calling Google's hosts, which a closed
# network refuses; --headless is the new headless mode.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_executable() -> Path:
    if not (CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK)):
        unavailable(f"Chromium is not installed at {CHROMIUM_PATH}",
                    install="sudo apt-get install chromium (Debian/Ubuntu), or set CHROMIUM_PATH to a "
                            "Chromium or Chrome binary")
    return CHROMIUM_PATH


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session; each test opens its own context."""
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS,
                                              headless=True, timeout=60_000)
        yield chromium
        chromium.close()


