"""Reading the outbox (the console gateway's inbox in development and tests)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min
from django.utils import timezone

from .models import FINAL_STATUSES, InboundMessage, Message, Status


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


@dataclass(frozen=True)
class OutboxLag:
    """How far behind the outbox is: for monitoring (the metrics scrape)."""

    oldest_pending_seconds: float  # the oldest message not yet handed to a gateway (0: none)
    pending_by_status: dict[str, int]  # messages not handed over and not given up, by status
    last_day_by_status: dict[str, int]  # messages created in the last 24 hours, by status


def outbox_lag(now: datetime.datetime | None = None) -> OutboxLag:
    """Three queries, each on an index: the pending ones by status (few), the last day's by
    creation time; never a count of the whole table."""
    now = now or timezone.now()
    pending_statuses = [status for status in Status.values if status not in FINAL_STATUSES]
    pending = Message.objects.filter(status__in=pending_statuses, handed_over_at__isnull=True)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    by_status = dict(pending.values_list("status").annotate(n=Count("id")).order_by())
    last_day = dict(Message.objects.filter(created_at__gte=now - datetime.timedelta(days=1))
                    .values_list("status").annotate(n=Count("id")).order_by())
    return OutboxLag(
        oldest_pending_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        pending_by_status={status: by_status.get(status, 0) for status in pending_statuses},
        last_day_by_status={status: last_day.get(status, 0) for status in Status.values},
    )
