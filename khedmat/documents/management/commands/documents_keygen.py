"""Signing keys: make and rotate them, list them, export the public JWK set.

    manage.py documents_keygen                 # new key in the database, active; the old one retires
    manage.py documents_keygen --pem-out FILE  # new key in a PEM file (production: set
                                               # DOCUMENTS_SIGNING_KEY_FILE=FILE); its public half
                                               # is recorded and becomes active
    manage.py documents_keygen --list          # kid, status, where the private key is
    manage.py documents_keygen --jwks-out FILE # the JWK set, for offline verification

A retired key keeps verifying everything it signed; nothing is ever deleted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khedmat.documents import keystore
from khedmat.documents.models import SigningKey


class Command(BaseCommand):
    help = "Make a new document signing key (rotating the active one), list keys, or export the JWK set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pem-out", type=Path, help="write the new private key to this PEM file (0600)")
        parser.add_argument("--list", action="store_true", help="list the keys and change nothing")
        parser.add_argument("--jwks-out", type=Path, help="write the public JWK set to this file and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for key in SigningKey.objects.order_by("created_at", "id"):
                compromised = f"  compromised from {key.compromised_at.isoformat()}" if key.compromised_at else ""
                self.stdout.write(f"{key.kid}  {key.status:8}  {key.source:8}  {key.created_at:%Y-%m-%d}{compromised}")
            return
        if options["jwks_out"]:
            options["jwks_out"].write_text(json.dumps(keystore.jwks(), indent=2) + "\n", encoding="utf-8")
            self.stdout.write(f"Wrote the JWK set to {options['jwks_out']}.")
            return
        if options["pem_out"]:
            try:
                private_key = keystore.private_key_pem_write(options["pem_out"])
            except FileExistsError as error:
                raise CommandError(f"{options['pem_out']} exists: choose a new file.") from error
            key = keystore.signing_key_register_file(private_key)
            self.stdout.write(f"Key {key.kid} written to {options['pem_out']} and active. "
                              f"Set DOCUMENTS_SIGNING_KEY_FILE={options['pem_out']}.")
            return
        key = keystore.signing_key_create()
        self.stdout.write(f"Key {key.kid} is now active; earlier keys are retired and keep verifying.")
