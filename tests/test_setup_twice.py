"""`make run` twice neither fails nor duplicates: migrations and the demonstration data, run
as `make run` runs them (manage.py in a subprocess), on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
CountRows = Callable[[], dict[str, int]]


def manage(database_url: str, *args: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DATABASE_URL": database_url}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def assert_setup_is_idempotent(database_url: str, count_rows: CountRows) -> None:
    manage(database_url, "migrate", "--no-input")
    manage(database_url, "seed_demo")
    first = count_rows()
    manage(database_url, "migrate", "--no-input")
    manage(database_url, "seed_demo")
    second = count_rows()
    assert first.get("catalog_service", 0) >= 25 and first.get("catalog_agency", 0) >= 8, first
    changed = {table: (first.get(table), count) for table, count in second.items() if first.get(table) != count
               and table != "django_session"}
    assert not changed, f"a second run changed these row counts (first, second): {changed}"


SUITE_ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def test_migrate_and_seed_twice_on_sqlite(tmp_path: Path) -> None:
    if SUITE_ON_POSTGRESQL:
        pytest.skip("the SQLite pass of the suite runs this (about 20 s; CI runs both passes)")
    path = tmp_path / "khedmat.sqlite3"

    def count_rows() -> dict[str, int]:
        with sqlite3.connect(path) as connection:
            tables = [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            return {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
                    for table in tables}

    assert_setup_is_idempotent(f"sqlite:///{path}", count_rows)


@pytest.fixture
def scratch_postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server, dropped afterwards."""
    import psycopg

    name = f"khedmat_setup_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(postgres_server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(postgres_server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.skipif(not SUITE_ON_POSTGRESQL and os.environ.get("CI") == "true",
                    reason="CI's PostgreSQL pass of the suite runs this (about 20 s)")
def test_migrate_and_seed_twice_on_postgresql(scratch_postgres_url: str) -> None:
    import psycopg
    from psycopg import sql

    def count_rows() -> dict[str, int]:
        counts = {}
        with psycopg.connect(scratch_postgres_url) as connection:
            tables = [row[0] for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            for table in tables:
                row = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
                counts[table] = row[0] if row else 0
        return counts

    assert_setup_is_idempotent(scratch_postgres_url, count_rows)
