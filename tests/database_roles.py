"""PostgreSQL with two roles in the test suite, as in production (docs/audit.md).

With DATABASE_OWNER_URL set (CI does), the test database is created and migrated by the
owner, the serving role (DATABASE_URL's user) gets the rights `audit_grant_serving_role`
gives, and every test then connects as the serving role. Without it, one role does both.

Emptying the tables between transactional tests (pytest-django's flush, a TRUNCATE of every
table) goes through the owner, which switches the audit tables' TRUNCATE triggers off for
that one transaction: the only TRUNCATE of audit rows anywhere, and only in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import environ
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")
_serving: dict[str, Any] = {}


def two_roles() -> bool:
    return bool(settings.DATABASE_OWNER_URL) and connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def _owner_credentials() -> dict[str, Any]:
    owner = environ.Env.db_url_config(settings.DATABASE_OWNER_URL)
    return {key: owner.get(key, "") for key in _CREDENTIALS}


def _use(credentials: dict[str, Any]) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.close()
    connection.settings_dict.update(credentials)
    settings.DATABASES[DEFAULT_DB_ALIAS].update(credentials)


def become_owner() -> None:
    """Connect as the owner (before the test database is made, and to drop it)."""
    if not two_roles():
        return
    if not _serving:
        _serving.update({key: connections[DEFAULT_DB_ALIAS].settings_dict.get(key, "") for key in _CREDENTIALS})
    _use(_owner_credentials())


def become_serving_role() -> None:
    """Give the serving role its production rights on the test database, then connect as it."""
    if not two_roles():
        return
    from khedmat.audit.database import serving_role_grant

    serving_role_grant(connections[DEFAULT_DB_ALIAS], _serving["USER"])
    _use(_serving)


def owner_connection() -> BaseDatabaseWrapper:
    """A new connection to the test database as the tables' owner (the one role, without
    DATABASE_OWNER_URL), outside Django's connection handler: close it after use."""
    default = connections[DEFAULT_DB_ALIAS]
    settings_dict = {**default.settings_dict, **(_owner_credentials() if two_roles() else {})}
    return type(default)(settings_dict, alias="__owner__")


def _audit_tables() -> list[str]:
    from khedmat.audit.database import append_only_tables

    return append_only_tables()


def flush_as_owner(original: Callable[[Any, list[str]], None]) -> Callable[[Any, list[str]], None]:
    """DatabaseOperations.execute_sql_flush for PostgreSQL: a flush that empties audit tables
    runs as the owner, with their TRUNCATE triggers off until it commits."""

    def execute_sql_flush(self: Any, sql_list: list[str]) -> None:
        tables = _audit_tables()
        if not any(table in sql for sql in sql_list for table in tables):
            original(self, sql_list)
            return
        owner = owner_connection()
        try:
            owner.set_autocommit(False)
            with owner.cursor() as cursor:
                for table in tables:
                    cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{table}_no_truncate"')
                for sql in sql_list:
                    cursor.execute(sql)
                for table in tables:
                    cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{table}_no_truncate"')
            owner.commit()
        finally:
            owner.close()

    return execute_sql_flush


def install_flush_as_owner() -> None:
    from django.db.backends.postgresql.operations import DatabaseOperations

    if not getattr(DatabaseOperations.execute_sql_flush, "as_owner", False):
        patched = flush_as_owner(DatabaseOperations.execute_sql_flush)
        patched.as_owner = True  # type: ignore[attr-defined]
        DatabaseOperations.execute_sql_flush = patched  # type: ignore[method-assign,assignment]


@contextmanager
def as_tables_owner() -> Iterator[CursorWrapper]:
    """A cursor of someone who owns the audit tables, with their triggers off, committed at
    the end: how an attacker holding the owner's (or a superuser's) password edits the trail.
    Tests using it must be transactional (django_db(transaction=True)): it is another
    connection. On SQLite, which has no owner and no triggers, the test's own connection."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    owner = owner_connection()
    try:
        owner.set_autocommit(False)
        with owner.cursor() as cursor:
            for table in _audit_tables():
                cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
            yield cursor
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys checked now, before ALTER TABLE
            for table in _audit_tables():
                cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        owner.commit()
    finally:
        owner.close()
