"""The development gateway: prints each message; the platform already keeps it in the database."""

from __future__ import annotations

import sys

from khedmat.notifications.sms.base import SmsBackend


class ConsoleSmsBackend(SmsBackend):
    def send(self, *, to: str, body: str) -> None:
        sys.stdout.write(f"[SMS to {to}] {body}\n")
        sys.stdout.flush()
