"""Dropping an index that another one covers, in a migration, without holding up writes
(decision 0047).

A single-column index is covered when another index of the same table begins with that column:
every lookup it served is served as well by the other, and every row written (and, in
PostgreSQL, every update that cannot stay on its page) pays for both. Django adds such indexes
on its own: one per foreign key, and on PostgreSQL a `varchar_pattern_ops` copy for LIKE beside
each indexed or unique text column.

The names are Django's own, made from the table and the column, the same on every backend. On
PostgreSQL the index goes `CONCURRENTLY` (the migration must be non-atomic), so the running
release keeps writing meanwhile; going back builds it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import migrations


def dropped_indexes(table: str, *, everywhere: Mapping[str, str] = {},
                    postgres_only: Mapping[str, str] = {}) -> migrations.RunPython:
    """A migration step dropping these indexes of `table` ({name: what it indexes}, for going
    back); `postgres_only` are the ones Django makes only there (the `_like` copies)."""

    def chosen(schema_editor) -> tuple[bool, dict[str, str]]:  # type: ignore[no-untyped-def]
        postgres = schema_editor.connection.vendor == "postgresql"
        return postgres, {**everywhere, **(postgres_only if postgres else {})}

    def forwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        postgres, indexes = chosen(schema_editor)
        for name in indexes:
            schema_editor.execute(f"DROP INDEX {'CONCURRENTLY ' if postgres else ''}IF EXISTS {name}")

    def backwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        postgres, indexes = chosen(schema_editor)
        for name, indexed in indexes.items():
            schema_editor.execute(f"CREATE INDEX {'CONCURRENTLY ' if postgres else ''}IF NOT EXISTS {name} "
                                  f"ON {table} ({indexed})")

    return migrations.RunPython(forwards, backwards, elidable=False)
