"""Check the audit trail's hash chain and name the first event that was edited, deleted or reordered."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from khedmat.audit.selectors import audit_unsealed_count, audit_verify_chain
from khedmat.audit.services import audit_seal_pending


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (exit status 1 if it is broken)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-seal", action="store_true", help="Do not seal pending events first.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_seal"]:
            audit_seal_pending(full=True)
        fault = audit_verify_chain()
        if fault is not None:
            raise CommandError(
                f"Audit chain broken at sequence {fault.sequence} (event id {fault.event_id}): {fault.problem}.")
        pending = audit_unsealed_count()
        self.stdout.write(self.style.SUCCESS("Audit chain verified.") + (
            f" {pending} event(s) not yet sealed." if pending else ""))
