"""Give the serving database role its rights (PostgreSQL), as the owner of the tables.

    DATABASE_URL=postgres://khedmat_owner@db/khedmat manage.py audit_grant_serving_role khedmat_app

SELECT, INSERT, UPDATE and DELETE on every table, USAGE on the schema and the sequences; on
the audit tables only SELECT and INSERT. Run it after every migration (new tables get no
rights until it runs). With DATABASE_OWNER_URL set it connects as that role instead.
"""

from __future__ import annotations

from typing import Any

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from khedmat.audit.database import serving_role_grant


class Command(BaseCommand):
    help = "As the tables' owner, give the serving role normal rights, and only SELECT/INSERT on the audit tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the application serves as")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles exist on PostgreSQL only.")
        if settings.DATABASE_OWNER_URL:
            owner = environ.Env.db_url_config(settings.DATABASE_OWNER_URL)
            connection.close()
            connection.settings_dict.update({key: owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")
                                             if key in owner})
        try:
            serving_role_grant(connection, role)
        except DatabaseError as error:
            raise CommandError(f"Could not grant (run this as the tables' owner): {error}") from error
        connection.close()
        self.stdout.write(f"{role} may now read and append to the audit tables, and read and write the others. "
                          f"`manage.py check --deploy`, run as {role}, confirms it.")
