"""The development gateway: prints each message; the outbox keeps it in the database."""

from __future__ import annotations

import sys
from typing import ClassVar

from khedmat.notifications.sms.base import Accepted, OutgoingSms, SmsGateway


class Gateway(SmsGateway):
    plugin: ClassVar[str] = "console"

    def send(self, sms: OutgoingSms) -> Accepted:
        sys.stdout.write(f"[SMS to {sms.to}] {sms.body}\n")
        sys.stdout.flush()
        return Accepted(reference=f"console-{sms.message_id}", delivered=True)
