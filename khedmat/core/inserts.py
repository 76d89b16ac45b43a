"""A new row written by a plain INSERT, for the busiest writes (a ticket, an SMS in the outbox).

`Model.objects.create()` spends far more CPU building its INSERT and walking its save
machinery than the database spends on the row: 0.2–0.5 ms a row against a few hundredths
(docs/performance.md; a phone's ticket writes three rows). `insert_new` writes the statement
once per process, model and database kind, and does what `save()` would for a new row of a
plain model: each field's `pre_save` (defaults, `auto_now_add`) and `get_db_prep_save`, the
same database (the router's), the primary key read back, `pre_save`/`post_save` sent with
`created=True` (the board's cache listens). Any model it cannot write exactly as the ORM
would (its own `save()`, a parent table, database defaults, generated columns) goes through
`save()` instead, so callers never need to know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.db import connections, models, router
from django.db.models import signals

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Plan:
    sql: str
    fields: tuple[models.Field[Any, Any], ...]
    returning: bool
    head: str  # INSERT INTO t (columns)
    row: str  # (%s, …)
    tail: str  # RETURNING pk, or nothing


_plans: dict[tuple[type[models.Model], str], _Plan | None] = {}


def _plan(model: type[models.Model], connection: Any) -> _Plan | None:
    key = (model, connection.vendor)
    if key in _plans:
        return _plans[key]
    meta = model._meta
    plain = (model.save is models.Model.save and model.save_base is models.Model.save_base
             and not meta.parents and meta.auto_field is not None and meta.pk is meta.auto_field)
    fields = tuple(field for field in meta.local_concrete_fields if field is not meta.auto_field)
    if plain and any(getattr(field, "generated", False) or field.db_default is not models.NOT_PROVIDED
                     for field in fields):
        plain = False
    plan = None
    if plain:
        quote = connection.ops.quote_name
        returning = bool(connection.features.can_return_columns_from_insert)
        head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"
        row = f"({', '.join(['%s'] * len(fields))})"
        tail = f" RETURNING {quote(meta.pk.column)}" if returning else ""
        plan = _Plan(sql=f"{head} VALUES {row}{tail}", fields=fields, returning=returning, head=head, row=row,
                     tail=tail)
    _plans[key] = plan
    return plan


def insert_new(obj: M) -> M:
    """Write `obj`, a new instance, as `obj.save(force_insert=True)` would; return it saved."""
    model = type(obj)
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    plan = _plan(model, connection)
    if plan is None:
        obj.save(force_insert=True, using=using)
        return obj
    meta = model._meta
    cast(Any, obj)._prepare_related_fields_for_save(operation_name="save")  # as save(): no unsaved related object
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in plan.fields]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        if plan.returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    setattr(obj, meta.pk.attname, pk)
    obj._state.adding = False
    obj._state.db = using
    signals.post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using)
    return obj


def insert_new_many(objs: Sequence[M]) -> list[M]:
    """Write `objs`, new instances of one model, in one multi-row INSERT (one round trip where
    `insert_new` for each would make one a row), each as `insert_new` writes it: its fields
    prepared, its signals sent, its primary key read back (in the order given, as Django's
    `bulk_create` reads them). Where the rows cannot be read back in one statement, or the
    model is not one `insert_new` writes itself, each goes through `insert_new`."""
    if len(objs) < 2:
        return [insert_new(obj) for obj in objs]
    model = type(objs[0])
    using = router.db_for_write(model, instance=objs[0])
    connection = connections[using]
    plan = _plan(model, connection)
    if (plan is None or not plan.returning or not connection.features.can_return_rows_from_bulk_insert
            or any(type(obj) is not model for obj in objs)):
        return [insert_new(obj) for obj in objs]
    meta = model._meta
    params: list[Any] = []
    for obj in objs:
        cast(Any, obj)._prepare_related_fields_for_save(operation_name="save")
        signals.pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
        params.extend(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in plan.fields)
    with connection.cursor() as cursor:
        cursor.execute(f"{plan.head} VALUES {', '.join([plan.row] * len(objs))}{plan.tail}", params)
        pks = [found[0] for found in cursor.fetchall()]
    for obj, pk in zip(objs, pks, strict=True):
        setattr(obj, meta.pk.attname, pk)
        obj._state.adding = False
        obj._state.db = using
        signals.post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using)
    return list(objs)
