"""Working days: the unit of every time standard.

The working week comes from settings.WORKING_WEEKDAYS (Afghan government default: Saturday
to Wednesday; Thursday and Friday are the weekend) and holidays from the Holiday table.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .caching import CACHE_UNAVAILABLE, cache_unavailable

# Python's weekday numbers (Monday = 0), named; the Afghan week starts on Saturday.
WEEKDAY_NAMES = {
    5: gettext_lazy("Saturday"), 6: gettext_lazy("Sunday"), 0: gettext_lazy("Monday"),
    1: gettext_lazy("Tuesday"), 2: gettext_lazy("Wednesday"), 3: gettext_lazy("Thursday"),
    4: gettext_lazy("Friday"),
}
_AFGHAN_WEEK = (5, 6, 0, 1, 2, 3, 4)


def holidays_between(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    """The public holidays from `start` to `end`, both included."""
    return {day for day in _holidays() if start <= day <= end}


# --- the holidays, kept in each process under a version -------------------------------------
# Every ticket asks whether its centre is open today (holidays included): a statement a
# request for a table that changes a few times a year (docs/performance.md). Each process
# keeps the whole (small) table under the holidays' version, a token in the shared cache
# replaced on every save or delete of a holiday: at once (this process's own transaction reads
# its change, and keeps nothing under that version: it may yet roll back) and again when the
# transaction commits (a process that read the old rows in between keeps them under a version
# no longer current). One cache read a request instead of a statement, and not even that
# while the copy's version was found current less than HOLIDAYS_VERSION_TRUST_SECONDS ago: a
# busy hall asks hundreds of times a second, a holiday changes a few times a year.

HOLIDAYS_VERSION_KEY = "core:holidays:version"
# A change that sends no signal (SQL by hand, a bulk load) is seen after at most this long.
HOLIDAYS_KEEP_SECONDS = 300
# Another process's change is seen after at most this long (this process's own at once).
HOLIDAYS_VERSION_TRUST_SECONDS = 1.0


@dataclass(frozen=True)
class _Kept:
    version: str
    dates: frozenset[datetime.date]
    read_at: float
    checked_at: float  # when `version` was last found current


_kept: _Kept | None = None
# Versions made by this process's own change before its commit: nothing is kept under them.
_unsettled: set[str] = set()


def _holidays() -> frozenset[datetime.date]:
    global _kept
    kept, now = _kept, time.monotonic()
    if kept is not None and now - kept.read_at < HOLIDAYS_KEEP_SECONDS:
        if now - kept.checked_at < HOLIDAYS_VERSION_TRUST_SECONDS:
            return kept.dates
        version = holidays_version()
        if version == kept.version:
            _kept = _Kept(version=version, dates=kept.dates, read_at=kept.read_at, checked_at=now)
            return kept.dates
    else:
        version = holidays_version()
    from .models import Holiday

    dates = frozenset(Holiday.objects.values_list("date", flat=True))
    if version is not None and version not in _unsettled:
        _kept = _Kept(version=version, dates=dates, read_at=now, checked_at=now)
    return dates


def holidays_forget() -> None:
    """This process forgets its copy: its next read asks for the version (and the rows)."""
    global _kept
    _kept = None


def holidays_version() -> str | None:
    """The holidays' current version (made when the cache has none); None while the cache
    is away (then every read goes to the database)."""
    try:
        version = cache.get(HOLIDAYS_VERSION_KEY)
        if version is None:
            cache.add(HOLIDAYS_VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(HOLIDAYS_VERSION_KEY)
    except CACHE_UNAVAILABLE as error:
        cache_unavailable("holidays version", error)
        return None
    return str(version) if version is not None else None


def _set_version(version: str) -> None:
    try:
        cache.set(HOLIDAYS_VERSION_KEY, version, timeout=None)
    except CACHE_UNAVAILABLE as error:  # the copies are read again within HOLIDAYS_KEEP_SECONDS
        cache_unavailable("holidays version", error)


def holidays_changed(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """A holiday was saved or deleted: a new version now, and another when the change commits."""
    unsettled = uuid.uuid4().hex
    _unsettled.add(unsettled)
    holidays_forget()  # this process's own transaction reads its change at once
    _set_version(unsettled)

    def committed() -> None:
        _set_version(uuid.uuid4().hex)
        _unsettled.discard(unsettled)
        holidays_forget()

    transaction.on_commit(committed, using=using)


post_save.connect(holidays_changed, sender="core.Holiday", dispatch_uid="core-holidays-saved")
post_delete.connect(holidays_changed, sender="core.Holiday", dispatch_uid="core-holidays-deleted")


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
