"""Model fields of our own."""

from __future__ import annotations

import json
from collections import OrderedDict
from threading import Lock
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

if TYPE_CHECKING:
    _TextBackedField = models.Field[Any, Any]
else:
    _TextBackedField = models.Field


class OrderedJSONField(_TextBackedField):
    """JSON kept as text, so the order of keys survives the database.

    PostgreSQL's jsonb reorders an object's keys; a service definition's order is meaning
    (the order of a form's fields, of a workflow's states), so definitions are stored as
    text and parsed on load. Nothing queries inside them.
    """

    description = "JSON stored as text, key order preserved"

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)

    def value_to_string(self, obj: models.Model) -> str:
        return self.get_prep_value(self.value_from_object(obj)) or ""


class ImmutableOrderedJSONField(OrderedJSONField):
    """OrderedJSONField for rows never changed once saved (a published ServiceVersion's
    definition): each text is parsed once per process and the same object handed to every row
    that holds it. A catalog page lists 28 services and the board shows 8 tickets; parsing each
    definition (6 KB) on every load was a tenth of those pages' time (docs/performance.md).

    Keyed by the text itself, so a cached value can never be the wrong one. The value is shared:
    readers must not change it in place (what edits a definition deep-copies it first, as
    catalog.definition.validate_definition and applications.handover.form_definition do).
    """

    description = "JSON stored as text, key order preserved, parsed once per process"
    cache_size = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parsed: OrderedDict[str, Any] = OrderedDict()
        self._lock = Lock()

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        with self._lock:
            parsed = self._parsed.get(value)
            if parsed is not None:
                self._parsed.move_to_end(value)
                return parsed
        parsed = json.loads(value)
        with self._lock:
            self._parsed[value] = parsed
            if len(self._parsed) > self.cache_size:
                self._parsed.popitem(last=False)
        return parsed
