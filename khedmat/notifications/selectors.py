"""Reading the outbox (the console gateway's inbox in development and tests)."""

from __future__ import annotations

from .models import InboundMessage, Message


def sms_last_to(*, phone_number: str) -> Message | None:
    return Message.objects.filter(to=phone_number).order_by("-created_at", "-id").first()


def conversation(*, phone_number: str, limit: int = 12) -> list[dict[str, object]]:
    """The last texts to and from a number, oldest first (the simulator's phone screen).
    One-time codes are shown masked."""
    sent = [{"at": m.created_at, "incoming": False, "text": m.body if not m.sensitive else "••••••"}
            for m in Message.objects.filter(to=phone_number).order_by("-created_at", "-id")[:limit]]
    received = [{"at": m.received_at, "incoming": True, "text": m.text}
                for m in InboundMessage.objects.filter(sender=phone_number).order_by("-received_at", "-id")[:limit]]
    return sorted(sent + received, key=lambda item: item["at"])[-limit:]  # type: ignore[arg-type, return-value]
