"""Mark a document signing key compromised: `manage.py documents_key_compromised <kid>
--since 2026-11-20T08:00+04:30 --reason "…"`.

From `--since` (now by default) everything the key signed is refused as forged online, and
the JWK set publishes the time for offline verifiers; the key never signs again. Prints the
documents the platform itself issued with the key since then: they must be issued anew.
Audited. See docs/documents.md, "A key compromised".
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from khedmat.documents.services import DocumentError, signing_key_mark_compromised


def _moment(text: str) -> datetime.datetime:
    """ISO 8601; without an offset, in the installation's time zone."""
    moment = datetime.datetime.fromisoformat(text)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Mark a document signing key compromised from a time: what it signed since is refused as forged."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kid", help="the key's id (documents_keygen --list)")
        parser.add_argument("--since", help="ISO 8601 time from which the key is in other hands (default: now)")
        parser.add_argument("--reason", required=True, help="why: kept in the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            since = _moment(options["since"]) if options["since"] else timezone.now()
        except (ValueError, OverflowError) as error:
            raise CommandError("Give --since as an ISO 8601 time, e.g. 2026-11-20T08:00+04:30.") from error
        try:
            affected = signing_key_mark_compromised(kid=options["kid"], since=since, reason=options["reason"])
        except DocumentError as refusal:
            raise CommandError(refusal.message) from refusal
        self.stdout.write(f"Key {options['kid']} is compromised from {timezone.localtime(since).isoformat()}: "
                          "it signs nothing more, and what it signed since is refused as forged.")
        self.stdout.write(f"{len(affected)} documents issued with it since then must be issued anew"
                          + (":" if affected else "."))
        for number in affected:
            self.stdout.write(f"  {number}")
        self.stdout.write("Publish the JWK set again for offline verifiers (documents_keygen --jwks-out FILE).")
