"""Domain events: what happened, said once by the app that made it happen.

An app declares the events it publishes in its own `events.py`: frozen dataclasses that
derive from `DomainEvent`, each with a unique dotted `name` ("application.submitted") and
decorated with `@declare`. Its services call `publish(event)` inside the transaction of the
change. `publish` records the event (one `EventRecord` row) and calls every subscriber at
once, in that same transaction, so whatever a subscriber writes (a payment order, a
document, a message in the outbox) commits or rolls back with the change that caused it.

Subscribers never talk to the outside world: they write rows, and workers deliver those
after commit (the outbox, khedmat/notifications/delivery.py). They register in their app's
`AppConfig.ready()`:

    events.subscribe(ApplicationSubmitted, payment_order_open_on_submit)

Two phases keep the order plain: every `REACT` subscriber (one that changes the domain:
open an order, issue a document) runs before any `NOTIFY` subscriber (one that tells
people), so a message describes the state the reactions left.

An app that publishes never imports its subscribers, so dependencies point one way: the
import-linter contract in `.importlinter` holds the layers.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db import connections, models, router, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import EventRecord

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*$")
_NOT_RECORDED = "not_recorded"  # field metadata: kept in memory for subscribers, never recorded


class Phase(enum.IntEnum):
    REACT = 1
    NOTIFY = 2


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened. Subclasses add fields; model instances are allowed (the
    subscribers share the transaction) and are recorded as their primary key."""

    name: ClassVar[str] = ""

    def recorded_payload(self) -> dict[str, Any]:
        """What `EventRecord.payload` keeps: JSON values, secrets left out."""
        payload: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            if field.metadata.get(_NOT_RECORDED):
                continue
            payload[field.name] = _json_value(getattr(self, field.name))
        return payload


def secret_field() -> Any:
    """A field subscribers read (a one-time code to send) that the event record leaves out."""
    return dataclasses.field(metadata={_NOT_RECORDED: True})


def _json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


E = TypeVar("E", bound=DomainEvent)
Subscriber = Callable[[Any, "HttpRequest | None"], None]

_declared: dict[str, type[DomainEvent]] = {}
_subscribers: dict[type[DomainEvent], list[tuple[Phase, Subscriber]]] = {}


def declare(event_type: type[E]) -> type[E]:
    """Register an event type under its name (a class decorator)."""
    name = event_type.name
    if not _NAME.match(name):
        raise ValueError(f"event name {name!r} is not '<app_noun>.<past_tense_verb>'")
    known = _declared.get(name)
    if known is not None and known is not event_type:
        raise ValueError(f"event {name!r} is declared twice")
    _declared[name] = event_type
    return event_type


def declared() -> dict[str, type[DomainEvent]]:
    """Every declared event by name (for documentation, the outbox page and tests)."""
    return dict(sorted(_declared.items()))


def subscribe(event_type: type[E], handler: Callable[[E, HttpRequest | None], None], *,
              phase: Phase = Phase.REACT) -> None:
    """Call `handler(event, request)` whenever an event of this type is published. Idempotent, so a
    `ready()` that runs twice (tests, autoreload) does not subscribe twice."""
    if event_type.name not in _declared:
        raise ValueError(f"{event_type.__name__} is not declared (@events.declare)")
    handlers = _subscribers.setdefault(event_type, [])
    if (phase, handler) not in handlers:
        handlers.append((phase, handler))


def subscribers(event_type: type[DomainEvent]) -> list[Subscriber]:
    """The handlers of an event type in the order `publish` calls them."""
    handlers = _subscribers.get(event_type, [])
    return [handler for _phase, handler in sorted(handlers, key=lambda item: item[0])]


def publish(event: DomainEvent, *, request: HttpRequest | None = None) -> None:
    """Record the event and run its subscribers, inside the caller's transaction. `request`
    (when a person's request caused it) reaches the subscribers for their audit records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"publish {event.name} inside the transaction of the change that caused it")
    if type(event).name not in _declared:
        raise ValueError(f"{type(event).__name__} is not declared (@events.declare)")
    request_id = str(getattr(request, "request_id", "") or "") if request is not None else ""
    _record(event.name, event.recorded_payload(), request_id[:64])
    for handler in subscribers(type(event)):
        handler(event, request)


_RECORDED = ("name", "occurred_at", "payload", "request_id")
_record_statements: dict[str, str] = {}


@functools.cache
def _recorded_fields() -> list[models.Field[Any, Any]]:
    """The columns written, in `_RECORDED`'s order."""
    by_name = {field.name: field for field in EventRecord._meta.concrete_fields}
    return [by_name[name] for name in _RECORDED]


def _record_statement(connection: Any) -> str:
    """The INSERT of one event record, written once per process and database kind."""
    statement = _record_statements.get(connection.vendor)
    if statement is None:
        quote = connection.ops.quote_name
        names = ", ".join(quote(field.column) for field in _recorded_fields())
        statement = (f"INSERT INTO {quote(EventRecord._meta.db_table)} ({names}) "  # noqa: S608 (names from the model)
                     f"VALUES ({', '.join(['%s'] * len(_RECORDED))})")
        _record_statements[connection.vendor] = statement
    return statement


def _record(name: str, payload: dict[str, Any], request_id: str) -> None:
    """One `EventRecord` row, as `EventRecord.objects.create` would write it (each value through
    its field's own preparation: the JSON, the aware time), by a plain INSERT written once per
    process. Every write of the platform publishes at least one event: the ORM's building of
    the statement and its save machinery cost more CPU than the database's work (kiosk ticket,
    docs/performance.md). The record is never read back here, so no RETURNING."""
    using = router.db_for_write(EventRecord)
    connection = connections[using]
    values = (name, timezone.now(), payload, request_id)
    params = [field.get_db_prep_save(value, connection)
              for field, value in zip(_recorded_fields(), values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_record_statement(connection), params)
