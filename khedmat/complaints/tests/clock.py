"""A frozen clock for the complaints' tests: `timezone.now` (and so `localdate`) at a chosen day."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone


def freezer(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime.date], None]:
    def freeze(day: datetime.date) -> None:
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze
