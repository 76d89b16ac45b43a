"""A gateway that does what its options say, for tests and fail-over drills.

Options: `outcome` — "accept" (default), "down" (a temporary failure), "refuse" (the number is
refused for good) or "misconfigured"; `receipts` — whether it promises delivery receipts.
Everything handed to it is kept in `SENT` (per process), newest last.
"""

from __future__ import annotations

from typing import ClassVar

from khedmat.notifications.sms.base import (
    Accepted,
    GatewayError,
    GatewayMisconfigured,
    OutgoingSms,
    SmsGateway,
)

SENT: list[tuple[str, OutgoingSms]] = []


class Gateway(SmsGateway):
    plugin: ClassVar[str] = "scripted"

    @property
    def sends_receipts(self) -> bool:  # type: ignore[override]
        return bool(self.option("receipts", False))

    def send(self, sms: OutgoingSms) -> Accepted:
        outcome = self.option("outcome", "accept")
        if outcome == "down":
            raise GatewayError(f"{self.name} is down")
        if outcome == "refuse":
            raise GatewayError(f"{self.name} refuses {sms.to}", temporary=False)
        if outcome == "misconfigured":
            raise GatewayMisconfigured(f"{self.name} has no password")
        SENT.append((self.name, sms))
        return Accepted(reference=f"{self.name}-{sms.message_id}")
