"""Writes on the platform's shared reference data."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from .models import EventRecord, Holiday


def holiday_upsert(*, date: datetime.date, name: dict[str, str]) -> Holiday:
    holiday, _created = Holiday.objects.update_or_create(
        date=date, defaults={f"name_{lang}": name[lang] for lang in ("en", "fa", "ps")},
    )
    return holiday


def events_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete recorded domain events older than `EVENTS_KEEP_DAYS`; how many. (The audit
    trail, not this record, is what the platform keeps for good.)"""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.EVENTS_KEEP_DAYS)
    deleted, _per_model = EventRecord.objects.filter(occurred_at__lt=cutoff).delete()
    return deleted
