"""Working days: the unit of every time standard.

The working week comes from settings.WORKING_WEEKDAYS (Afghan government default: Saturday
to Wednesday; Thursday and Friday are the weekend) and holidays from the Holiday table.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Python's weekday numbers (Monday = 0), named; the Afghan week starts on Saturday.
WEEKDAY_NAMES = {
    5: gettext_lazy("Saturday"), 6: gettext_lazy("Sunday"), 0: gettext_lazy("Monday"),
    1: gettext_lazy("Tuesday"), 2: gettext_lazy("Wednesday"), 3: gettext_lazy("Thursday"),
    4: gettext_lazy("Friday"),
}
_AFGHAN_WEEK = (5, 6, 0, 1, 2, 3, 4)


def holidays_between(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    """The public holidays from `start` to `end`, both included (one query)."""
    from .models import Holiday

    return set(Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", flat=True))


def is_working_day(day: datetime.date, holidays: Iterable[datetime.date] | None = None) -> bool:
    holidays = holidays_between(day, day) if holidays is None else holidays
    return day.weekday() in settings.WORKING_WEEKDAYS and day not in holidays


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (a deadline); `start` itself does not count."""
    if days < 0:
        raise ValueError("days must be zero or more")
    # A generous window: even with long holidays, 3× the days plus a month is enough.
    holidays = holidays_between(start, start + datetime.timedelta(days=days * 3 + 31))
    current = start
    remaining = days
    while remaining:
        current += datetime.timedelta(days=1)
        if is_working_day(current, holidays):
            remaining -= 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative if `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    holidays = holidays_between(start, end)
    count = 0
    current = start
    while current < end:
        current += datetime.timedelta(days=1)
        if is_working_day(current, holidays):
            count += 1
    return count


def working_week_text() -> str:
    """The working week in words, from settings.WORKING_WEEKDAYS: "Saturday to Wednesday"."""
    days = [day for day in _AFGHAN_WEEK if day in settings.WORKING_WEEKDAYS]
    if not days:
        return ""
    if days == list(_AFGHAN_WEEK[: len(days)]) or len(days) == 1:
        first, last = WEEKDAY_NAMES[days[0]], WEEKDAY_NAMES[days[-1]]
        return str(first) if len(days) == 1 else _("%(first)s to %(last)s") % {"first": first, "last": last}
    # Translators: separator between items of a list, e.g. "a, b, c".
    return _(", ").join(str(WEEKDAY_NAMES[day]) for day in days)
