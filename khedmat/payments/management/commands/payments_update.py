"""`manage.py payments_update`: move on paid files, start and end the time to pay (run often)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from khedmat.payments.services import payment_orders_update


class Command(BaseCommand):
    help = "Move on files whose fee is paid, date orders that fell due, close orders not paid in time."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = payment_orders_update()
        self.stdout.write(f"{counts['moved']} moved on, {counts['due']} fell due, {counts['expired']} expired.")
