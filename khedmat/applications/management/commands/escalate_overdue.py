"""Flag overdue files and tell each agency's administrators by SMS (run it every hour or so)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from khedmat.applications.services import applications_escalate_overdue


class Command(BaseCommand):
    help = ("Escalate every open, running file past its deadline that was not escalated yet, and notify "
            "the agency administrators by SMS. Safe to run again: a file is escalated once.")

    def handle(self, *args: Any, **options: Any) -> None:
        escalated = applications_escalate_overdue()
        self.stdout.write(self.style.SUCCESS(f"{len(escalated)} file(s) escalated."))
