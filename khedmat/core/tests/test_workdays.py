"""Time standards count Afghan working days: Saturday to Wednesday, less public holidays."""

from __future__ import annotations

import datetime

import pytest

from khedmat.core.models import Holiday
from khedmat.core.workdays import add_working_days, is_working_day, working_days_between

pytestmark = pytest.mark.django_db

SATURDAY = datetime.date(2026, 11, 28)


def test_weekend_is_thursday_and_friday() -> None:
    assert is_working_day(SATURDAY)
    assert not is_working_day(SATURDAY + datetime.timedelta(days=5))  # Thursday
    assert not is_working_day(SATURDAY + datetime.timedelta(days=6))  # Friday


def test_deadline_skips_the_weekend() -> None:
    # 5 working days after Saturday: Sun, Mon, Tue, Wed, then the next Saturday.
    assert add_working_days(SATURDAY, 5) == datetime.date(2026, 12, 5)
    assert add_working_days(SATURDAY, 0) == SATURDAY


def test_deadline_skips_a_holiday() -> None:
    Holiday.objects.create(date=datetime.date(2026, 11, 30), name_en="Test", name_fa="آزمایش", name_ps="ازموینه")
    assert add_working_days(SATURDAY, 5) == datetime.date(2026, 12, 6)


def test_working_days_between_counts_both_ways() -> None:
    assert working_days_between(SATURDAY, datetime.date(2026, 12, 5)) == 5
    assert working_days_between(datetime.date(2026, 12, 5), SATURDAY) == -5


def test_the_working_week_is_told_as_configured(settings) -> None:  # type: ignore[no-untyped-def]
    from django.utils import translation

    from khedmat.core.workdays import working_week_text

    with translation.override("en"):
        assert working_week_text() == "Saturday to Wednesday"
        settings.WORKING_WEEKDAYS = [5, 6, 0, 1, 2, 3]
        assert working_week_text() == "Saturday to Thursday"
        settings.WORKING_WEEKDAYS = [6, 1, 3]
        assert working_week_text() == "Sunday, Tuesday, Thursday"
