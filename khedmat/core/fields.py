"""Model fields of our own."""

from __future__ import annotations

import json
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
