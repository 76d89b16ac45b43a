"""Checkpoint signing keys: make and rotate them, list them.

    manage.py audit_keygen                 # new key in the database (encrypted); it signs from now on
    manage.py audit_keygen --pem-out FILE  # new key in a PEM file (production: then set
                                           # AUDIT_CHECKPOINT_KEY_FILE=FILE); its public half is recorded
    manage.py audit_keygen --list          # kid, where the private key is, whether this installation holds it

The old key vouches for the new one (and the new for the old) with a signed statement; both
stay published and keep verifying what they signed. Nothing is ever deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khedmat.audit import keys
from khedmat.audit.models import AuditKey


class Command(BaseCommand):
    help = "Make a new checkpoint signing key (it succeeds the newest), or list the keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pem-out", type=Path, help="write the new private key to this PEM file (0600)")
        parser.add_argument("--list", action="store_true", help="list the keys and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            trusted = keys.trusted_keys()
            for row in AuditKey.objects.order_by("id"):
                held = "held" if keys.held_private_key(row) is not None else "not held"
                vouched = "trusted" if row.kid in trusted else "NOT TRUSTED"
                self.stdout.write(f"{row.kid}  {row.source:8}  {held:8}  {vouched:11}  {row.created_at:%Y-%m-%d}")
            return
        if options["pem_out"]:
            try:
                private_key = keys.private_key_pem_write(options["pem_out"])
            except FileExistsError as error:
                raise CommandError(f"{options['pem_out']} exists: choose a new file.") from error
            row = keys.audit_key_register_file(private_key)
            self.stdout.write(f"Key {row.kid} written to {options['pem_out']}. Set "
                              f"AUDIT_CHECKPOINT_KEY_FILE={options['pem_out']} where the jobs run, then run "
                              "manage.py audit_checkpoint --force.")
            return
        row = keys.audit_key_create()
        self.stdout.write(f"Key {row.kid} signs checkpoints from now on; earlier keys keep verifying.")
