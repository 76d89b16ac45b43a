"""`manage.py payments_refunds_backfill`: open the refunds owed for money recorded before
refunds existed (run once after upgrading; harmless to repeat)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from khedmat.payments.services import refunds_backfill


class Command(BaseCommand):
    help = ("Open a refund for every second payment of an order, and every payment of a file closed before "
            "its payment step, that has none yet. Each applicant is told by SMS.")

    def handle(self, *args: Any, **options: Any) -> None:
        opened = refunds_backfill()
        self.stdout.write(f"{opened} refunds opened.")
