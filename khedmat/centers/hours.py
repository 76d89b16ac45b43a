"""When a center is open: on its weekdays (Center.open_weekdays), between its hours, and never
on a public holiday (khedmat.core.models.Holiday, the calendar the time standards use).

Tickets are given only while the center is open (services.ticket_issue), and appointments are
offered only on its open days (selectors.appointment_slot_times): one rule for both. A
closing time of 00:00 means midnight, so 00:00–00:00 is a center open around the clock.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.core.formatting import format_date, format_time, localize_digits
from khedmat.core.workdays import WEEKDAY_NAMES, holidays_between

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import Center

MIDNIGHT = datetime.time(0)
# The Afghan week, Saturday first (Python weekday numbers).
AFGHAN_WEEK = (5, 6, 0, 1, 2, 3, 4)
# How far ahead the next opening is looked for (a center closed longer says only "closed").
HORIZON_DAYS = 60


def center_weekdays(center: Center) -> frozenset[int]:
    """The weekdays the center opens on (Python numbers, Monday = 0); bad entries ignored."""
    days = center.open_weekdays if isinstance(center.open_weekdays, list) else []
    return frozenset(day for day in days if isinstance(day, int) and 0 <= day <= 6)


def _hours_on(center: Center, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, center.opens_at))
    closing_day = day + datetime.timedelta(days=1) if center.closes_at == MIDNIGHT else day
    return start, timezone.make_aware(datetime.datetime.combine(closing_day, center.closes_at))


def is_open_day(center: Center, day: datetime.date, holidays: Iterable[datetime.date]) -> bool:
    return day.weekday() in center_weekdays(center) and day not in holidays


def open_days(center: Center, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The center's open days from `start` to `end`, both included (one query for holidays)."""
    holidays = holidays_between(start, end)
    return [start + datetime.timedelta(days=offset) for offset in range((end - start).days + 1)
            if is_open_day(center, start + datetime.timedelta(days=offset), holidays)]


@dataclass(frozen=True)
class Closed:
    """The center is closed now; `opens_at` is when it opens next (None if not within HORIZON_DAYS)."""

    center_name: str
    now: datetime.datetime
    opens_at: datetime.datetime | None

    def message(self, *, short: bool = False) -> str:
        """What a person is told, in their language: a sentence, or a few words for a USSD screen."""
        if self.opens_at is None:
            return _("Closed now.") if short else _("%(center)s is closed now.") % {"center": self.center_name}
        opens = timezone.localtime(self.opens_at)
        values = {"center": self.center_name, "time": format_time(opens), "date": format_date(opens),
                  "weekday": str(WEEKDAY_NAMES[opens.weekday()])}
        if opens.date() == timezone.localdate(self.now):
            if short:
                return _("Closed now; opens today at %(time)s.") % values
            return _("%(center)s is closed now. It opens today at %(time)s.") % values
        if short:
            return _("Closed now; opens %(weekday)s %(date)s at %(time)s.") % values
        return _("%(center)s is closed now. It opens on %(weekday)s %(date)s at %(time)s.") % values


def center_closed(*, center: Center, now: datetime.datetime | None = None) -> Closed | None:
    """None while the center is open at `now`; otherwise when it opens next (one query)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    # Yesterday too: a center open past midnight is still open in the small hours.
    holidays = holidays_between(today - datetime.timedelta(days=1), today + datetime.timedelta(days=HORIZON_DAYS))
    for day in (today - datetime.timedelta(days=1), today):
        if is_open_day(center, day, holidays):
            start, end = _hours_on(center, day)
            if start <= local < end:
                return None
    for offset in range(HORIZON_DAYS + 1):
        day = today + datetime.timedelta(days=offset)
        if is_open_day(center, day, holidays):
            start, _end = _hours_on(center, day)
            if start > local:
                return Closed(center_name=center.name, now=now, opens_at=start)
    return Closed(center_name=center.name, now=now, opens_at=None)


def weekdays_text(days: Iterable[int]) -> str:
    """Open days in words, in the Afghan week's order: "Saturday to Wednesday", "Every day"."""
    chosen = [day for day in AFGHAN_WEEK if day in set(days)]
    if not chosen:
        return ""
    if len(chosen) == len(AFGHAN_WEEK):
        return _("Every day")
    start = AFGHAN_WEEK.index(chosen[0])
    if len(chosen) > 1 and list(AFGHAN_WEEK[start:start + len(chosen)]) == chosen:
        return _("%(first)s to %(last)s") % {"first": WEEKDAY_NAMES[chosen[0]], "last": WEEKDAY_NAMES[chosen[-1]]}
    # Translators: separator between items of a list, e.g. "a, b, c".
    return _(", ").join(str(WEEKDAY_NAMES[day]) for day in chosen)


def center_hours_text(center: Center) -> str:
    """"Saturday to Wednesday, 08:00 to 16:00", or "Every day, around the clock"."""
    days = weekdays_text(center_weekdays(center))
    if center.opens_at == MIDNIGHT and center.closes_at == MIDNIGHT:
        hours = _("around the clock")
    else:
        closes = localize_digits("24:00") if center.closes_at == MIDNIGHT else format_time(center.closes_at)
        # Words, not a dash: "08:00–16:00" reads backwards in a right-to-left line.
        hours = _("%(first)s to %(last)s") % {"first": format_time(center.opens_at), "last": closes}
    return f"{days}{_(', ')}{hours}" if days else hours
