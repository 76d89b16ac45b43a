"""Reading sent messages (the console gateway's inbox, used by tests and the demo)."""

from __future__ import annotations

from .models import SmsMessage


def sms_last_to(*, phone_number: str) -> SmsMessage | None:
    return SmsMessage.objects.filter(to=phone_number).order_by("-created_at", "-id").first()
