"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Without Chromium these tests fail in CI and skip elsewhere, saying what to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

# `browser` (one Chromium per session) comes from tests/browser/fixtures.py, registered in
# the root conftest so that every browser test of the suite shares it.


@pytest.fixture
def demo_site(live_server: LiveServer, transactional_db: None) -> str:
    """The live server's address, with the demonstration data loaded."""
    call_command("seed_demo", quiet=True)
    return str(live_server.url)
