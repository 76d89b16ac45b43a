"""Writes on the platform's shared reference data."""

from __future__ import annotations

import datetime

from .models import Holiday


def holiday_upsert(*, date: datetime.date, name: dict[str, str]) -> Holiday:
    holiday, _created = Holiday.objects.update_or_create(
        date=date, defaults={f"name_{lang}": name[lang] for lang in ("en", "fa", "ps")},
    )
    return holiday
