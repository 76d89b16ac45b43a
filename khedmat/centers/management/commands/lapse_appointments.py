"""Mark appointments not checked in by the end of their window as lapsed (run it every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from khedmat.centers.services import appointments_lapse


class Command(BaseCommand):
    help = ("Mark booked appointments whose check-in window has closed as lapsed. "
            "Safe to run again: a booking lapses once.")

    def handle(self, *args: Any, **options: Any) -> None:
        lapsed = appointments_lapse()
        self.stdout.write(self.style.SUCCESS(f"{lapsed} appointment(s) lapsed."))
