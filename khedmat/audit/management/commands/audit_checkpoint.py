"""Sign a checkpoint of the audit trail now (the `audit_checkpoint` job does it at intervals).

    manage.py audit_checkpoint          # seal what is pending, sign the head if it grew
    manage.py audit_checkpoint --force  # sign even if nothing changed (after a key rotation)
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khedmat.audit.keys import AuditKeyError
from khedmat.audit.services import CheckpointRefused, audit_checkpoint_create


class Command(BaseCommand):
    help = "Seal pending audit events and sign a checkpoint of the chain's head."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="sign even if no event was sealed since the last")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            row = audit_checkpoint_create(force=options["force"])
        except (CheckpointRefused, AuditKeyError) as error:
            raise CommandError(f"No checkpoint signed: {error}") from error
        if row is None:
            self.stdout.write("Nothing new to sign.")
            return
        self.stdout.write(f"Checkpoint of {row.tree_size} event(s) signed with key {row.key.kid}:\n\n{row.note}")
