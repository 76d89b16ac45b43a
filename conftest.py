"""Suite-wide fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest_plugins = ["tests.browser.fixtures"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """PostgreSQL with two roles (DATABASE_OWNER_URL): the owner makes and migrates the test
    database (tests/database_roles.py)."""
    from tests import database_roles

    database_roles.become_owner()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Then every test connects as the serving role, with its production rights; flushes that
    empty audit tables go through the owner. The owner drops the database at the end."""
    from django.db import connection

    from tests import database_roles

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            database_roles.install_flush_as_owner()
        database_roles.become_serving_role()
    yield
    with django_db_blocker.unblock():
        database_roles.become_owner()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Throttle counters live in the cache: each test starts with none, and no process copy
    kept under a version of the cache just cleared (the holidays trust theirs for a second)."""
    from django.core.cache import cache

    from khedmat.core.workdays import holidays_forget

    cache.clear()
    holidays_forget()


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
