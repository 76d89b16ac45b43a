"""Suite-wide fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.browser.fixtures"]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Throttle counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _compiled_translations() -> None:
    """Pashto pages exist only once its catalog is compiled (Django checks for the .mo)."""
    from django.core.management import call_command

    call_command("compile_translations", verbosity=0)


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    """A request to /fa/ or /ps/ leaves its language active in the thread; the next test
    must start in the default language whatever ran before it (order differs under xdist)."""
    from django.utils import translation

    yield
    translation.deactivate()
