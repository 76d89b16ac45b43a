"""Model rows read with plain SQL, for the hall's busiest requests (the kiosk ticket, the join).

Building the ORM's SQL for a statement costs about a millisecond of CPU, ten times what the
database takes to answer it (docs/performance.md): a kiosk ticket's reads were most of its
request. The few reads of those requests are written here once per process instead; each row
becomes the instance the ORM would have made, every concrete field passed through the same
database converters (a JSON field parsed, SQLite's text dates made dates), so callers cannot
tell the difference. Portable: quoted names, `%s` parameters, boolean columns tested bare.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)
_Converter = tuple[Callable[..., Any], Any]


@dataclass(frozen=True)
class Columns(Generic[M]):
    """Every concrete column of `model` under a table alias, and how to make a row of them an instance."""

    model: type[M]
    select: str  # 'a."id", a."name", …' for the SELECT list
    attnames: tuple[str, ...]
    converters: tuple[tuple[_Converter, ...], ...]

    @property
    def width(self) -> int:
        return len(self.attnames)

    def build(self, values: Sequence[Any]) -> M:
        """The instance of a row's values (exactly `width` of them, in column order)."""
        if any(self.converters):
            converted = list(values)
            for index, converters in enumerate(self.converters):
                for converter, expression in converters:
                    converted[index] = converter(converted[index], expression, connection)
            values = converted
        return self.model.from_db(connection.alias, list(self.attnames), list(values))


def columns(model: type[M], alias: str) -> Columns[M]:
    """The columns of `model` as table `alias` (made once per process and database kind)."""
    return _columns(model, alias, connection.vendor)  # type: ignore[return-value]


@functools.lru_cache(maxsize=64)
def _columns(model: type[models.Model], alias: str, vendor: str) -> Columns[models.Model]:
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    converters = []
    for field in fields:
        expression = field.get_col(alias)
        found = [*connection.ops.get_db_converters(expression), *expression.get_db_converters(connection)]
        converters.append(tuple((converter, expression) for converter in found))
    return Columns(model=model, select=", ".join(f"{alias}.{quote(field.column)}" for field in fields),
                   attnames=tuple(field.attname for field in fields), converters=tuple(converters))


def table(model: type[models.Model]) -> str:
    """The model's table name, quoted."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    """A field's column name, quoted."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and isinstance(field.column, str), name
    return connection.ops.quote_name(field.column)


def param(model: type[models.Model], name: str, value: Any) -> Any:
    """`value` as the database takes it for this field (a UUID as text on SQLite)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return field.get_db_prep_value(value, connection, prepared=False)


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row of a plain statement, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None
