"""Model instances from plain SQL rows, for the busiest statements (the counter's call cycle).

`Model.objects.raw()` works out again on every run which of the row's columns are the model's
fields (reading the cursor's description through the database's introspection) and builds the
fields' converters again: on the counter's call, screen and finish that bookkeeping cost more
Python than the four statements themselves (docs/performance.md, round eight). Here the select
list is written in the model's field order (`model_columns`), so a row's first values are the
model's, and each field's converters are worked out once per process, model and database, as
the ORM's own reads apply them (SQLite's text dates and hexadecimal UUIDs, JSON). The row's
further columns (a joined name, a count) come back as they are, beside the instance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Plan:
    attnames: tuple[str, ...]
    # (index in the row, the column as the converters want it, the converters) for the
    # fields that have any: most have none on PostgreSQL.
    converting: tuple[tuple[int, Any, tuple[Any, ...]], ...]


_plans: dict[tuple[type[models.Model], str], _Plan] = {}


def _plan(model: type[models.Model], connection: Any) -> _Plan:
    key = (model, connection.alias)
    plan = _plans.get(key)
    if plan is None:
        table = model._meta.db_table
        converting = []
        for index, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(table)
            converters = (*connection.ops.get_db_converters(column), *column.get_db_converters(connection))
            if converters:
                converting.append((index, column, converters))
        plan = _plans[key] = _Plan(attnames=tuple(field.attname for field in model._meta.concrete_fields),
                                   converting=tuple(converting))
    return plan


def model_columns(model: type[models.Model], table: str) -> str:
    """The select list of `model`'s fields, in the order `fetch_models` reads them, each
    qualified by `table` (the table's alias in the statement) and named, never `*` (a
    prepared statement must not change its columns under a migration: decision 0043)."""
    quote = connections["default"].ops.quote_name
    return ", ".join(f"{table}.{quote(field.column)}" for field in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many of a row's values are `model`'s fields."""
    return len(model._meta.concrete_fields)


def converted(model: type[M], values: Sequence[Any], *, using: str) -> M:
    """An instance of `model` (as read from database `using`) from its fields' values in field
    order, as the database returned them."""
    connection = connections[using]
    plan = _plan(model, connection)
    row = list(values)
    for index, column, converters in plan.converting:
        value = row[index]
        for converter in converters:
            value = converter(value, column, connection)
        row[index] = value
    return model.from_db(using, list(plan.attnames), row)


def fetch_models(model: type[M], sql: str, params: Sequence[Any], *, using: str) -> list[tuple[M, tuple[Any, ...]]]:
    """Run `sql` (whose select list starts with `model_columns(model, …)`) on database
    `using`: for each row, the instance and the row's further values."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    size = width(model)
    return [(converted(model, row[:size], using=using), tuple(row[size:])) for row in rows]


_LITERAL = re.compile(r"[a-z0-9_]+")


def literals(*values: str) -> str:
    """Constants of our own code (a status, a choice's value) written into a statement's text
    as SQL literals, comma-separated, where a parameter would hide them from the planner.

    PostgreSQL plans a prepared statement (decision 0043) once for any parameters: a status
    passed as one looked as common as any other, and the counter screen's count read a
    centre's whole history of served tickets where `'waiting'` in the text uses the queue's
    index (12 ms to 0.3 ms at two months of history; decision 0046). Only plain lowercase
    words are accepted: nothing from a request ever comes here."""
    for value in values:
        if not _LITERAL.fullmatch(value):
            raise ValueError(f"not a plain constant for SQL: {value!r}")
    return ", ".join(f"'{value}'" for value in values)
