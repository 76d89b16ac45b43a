"""Fixtures for the project-wide tests (deployment, page weight, PostgreSQL, browser)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.availability import unavailable

LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The URL of a reachable PostgreSQL server's maintenance database ("postgres"): the server
    DATABASE_URL names when it names one (as the tables' owner, DATABASE_OWNER_URL, when the
    suite runs with two roles: the serving role may not create databases), else
    KHEDMAT_POSTGRES_URL or the local server."""
    import psycopg

    database_url = os.environ.get("DATABASE_OWNER_URL", "") or os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        database_url = os.environ.get("KHEDMAT_POSTGRES_URL", LOCAL_POSTGRES_URL)
    # The database DATABASE_URL names may not exist yet (pytest-django creates test_<name>).
    url = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL is not reachable at {url} ({str(error).strip()})",
                    install="install and start PostgreSQL (Debian: apt-get install postgresql), "
                            "or set KHEDMAT_POSTGRES_URL to a server you may create databases on")
    return url
