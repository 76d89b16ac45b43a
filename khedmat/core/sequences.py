"""Gap-free numbers for people to read: application references, queue tickets.

Each sequence is one counter row per scope (a service and a year; a center, a queue group
and a day), so that no single row is shared by the whole platform. Taking a number is one
statement, UPDATE … RETURNING, inside the caller's transaction: the row stays locked until
it commits (a parallel caller waits, then takes the next number), and a rollback gives the
number back, so there are no gaps and no duplicates. PostgreSQL, and SQLite from 3.35.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction


def sequence_next(model: type[models.Model], *, counter_field: str = "last_number", **scope: Any) -> int:
    """Add one to the counter of `model` identified by `scope` (field=value) and return it,
    creating the counter at 0 first if this scope has none yet."""
    assert transaction.get_connection().in_atomic_block, "take a number inside the transaction that uses it"
    number = _increment(model, counter_field, scope)
    if number is None:  # the scope's first number: open its counter (a parallel opener is harmless)
        model._default_manager.bulk_create([model(**scope, **{counter_field: 0})], ignore_conflicts=True)
        number = _increment(model, counter_field, scope)
        assert number is not None
    return number


def _increment(model: type[models.Model], counter_field: str, scope: dict[str, Any]) -> int | None:
    quote = connection.ops.quote_name
    meta = model._meta
    counter = quote(_column(model, counter_field))
    conditions, values = [], []
    for name, value in scope.items():
        conditions.append(f"{quote(_column(model, name))} = %s")
        values.append(value.pk if isinstance(value, models.Model) else value)
    sql = (f"UPDATE {quote(meta.db_table)} SET {counter} = {counter} + 1 "  # noqa: S608 - names are ours
           f"WHERE {' AND '.join(conditions)} RETURNING {counter}")
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return row[0] if row else None


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and isinstance(field.column, str), name
    return field.column
