"""Deployment checks: production refuses to start (`check --deploy`, before gunicorn) while the
application's database role could rewrite or empty the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from .database import serving_role_faults


@register(Tags.security, "audit", deploy=True)
def serving_role_cannot_rewrite_the_trail(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return []
    try:
        faults = serving_role_faults(connection)
    except DatabaseError as error:
        return [Error(f"The audit tables' rights could not be checked: {error}".strip(),
                      hint="Check DATABASE_URL and that the database is migrated.", id="audit.E000")]
    messages: list[CheckMessage] = [Error(fault.message, hint=fault.hint, id=fault.code) for fault in faults]
    if settings.DATABASE_OWNER_URL:
        messages.append(Warning("DATABASE_OWNER_URL is set where the application serves: whoever takes over "
                                "the application holds the owner's password, and with it the audit tables.",
                                hint="Set it only for migrations (docs/audit.md, \"Two database roles\").",
                                id="audit.W001"))
    return messages
