"""The Solar Hijri calendar as Afghanistan writes it, and the range of dates the platform reads.

jdatetime does the arithmetic; the month names are Afghanistan's own (Hamal … Hut in Dari,
Wray … Kab in Pashto), not the Iranian names jdatetime would print.

Every date that comes in (a form's answer, a `?day=` in a URL, a command's option) is held to
the Solar Hijri years 1200 to 1600 (Gregorian 1821 to 2222): wide enough for any birth, deed
or licence, and narrow enough that "the day before" and the Solar Hijri conversion of any
accepted date exist (0001-01-01 and 9999-12-31 made both overflow).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import jdatetime

# The Solar Hijri years a date may fall in, first and last included.
SOLAR_HIJRI_YEARS = (1200, 1600)

MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "Hamal", "Sawr", "Jawza", "Saratan", "Asad", "Sunbula",
        "Mizan", "Aqrab", "Qaws", "Jadi", "Dalw", "Hut",
    ),
    "fa": (
        "حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله",
        "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت",
    ),
    "ps": (
        "وری", "غویی", "غبرګولی", "چنګاښ", "زمری", "وږی",
        "تله", "لړم", "لیندۍ", "مرغومی", "سلواغه", "کب",
    ),
}


@dataclass(frozen=True)
class SolarHijriDate:
    year: int
    month: int  # 1 = Hamal
    day: int

    def month_name(self, language: str) -> str:
        return MONTHS.get(language, MONTHS["en"])[self.month - 1]


def to_solar_hijri(value: datetime.date) -> SolarHijriDate:
    """Convert a Gregorian date (or the date part of a datetime) to Solar Hijri."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    jdate = jdatetime.date.fromgregorian(date=value)
    return SolarHijriDate(jdate.year, jdate.month, jdate.day)


def from_solar_hijri(year: int, month: int, day: int) -> datetime.date:
    """Convert a Solar Hijri date to Gregorian; raises ValueError for a date that does not exist."""
    return jdatetime.date(year, month, day).togregorian()


def solar_hijri_year(value: datetime.date) -> int:
    return to_solar_hijri(value).year


# The first and last days of SOLAR_HIJRI_YEARS, in the Gregorian calendar.
EARLIEST_DATE = from_solar_hijri(SOLAR_HIJRI_YEARS[0], 1, 1)
LATEST_DATE = from_solar_hijri(SOLAR_HIJRI_YEARS[1] + 1, 1, 1) - datetime.timedelta(days=1)


def in_range(value: datetime.date) -> bool:
    """Whether the platform reads this date at all (see the module's docstring)."""
    return EARLIEST_DATE <= value <= LATEST_DATE


def solar_hijri_date(year: int, month: int, day: int) -> datetime.date:
    """The Gregorian date of a Solar Hijri day within SOLAR_HIJRI_YEARS; ValueError for a year
    outside them or a day that does not exist (31 Mizan, 30 Hut of a common year)."""
    if not SOLAR_HIJRI_YEARS[0] <= year <= SOLAR_HIJRI_YEARS[1]:
        raise ValueError("year outside the Solar Hijri years the platform reads")
    return from_solar_hijri(year, month, day)


# --- bounds on a date answer, as a service definition writes them ---------------------------

_RELATIVE = re.compile(r"^today(?:\s*([+-])\s*([0-9]{1,6})\s*([ymd]))?$")
_SOLAR_DAY = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
# An offset beyond the whole range is a mistake, not a bound.
MAX_OFFSET = {"y": 400, "m": 400 * 12, "d": 400 * 366}


@dataclass(frozen=True)
class DateBound:
    """The earliest or latest date a form accepts: a fixed Solar Hijri day ("1300-01-01"), or
    today moved by whole years, months or days ("today", "today-120y", "today+30d").

    Relative bounds are worked out on the day the form is filled, so "today" stays today."""

    fixed: datetime.date | None = None
    sign: int = 0
    count: int = 0
    unit: str = "d"

    @classmethod
    def parse(cls, text: object) -> DateBound:
        """The bound written as `text`; ValueError for anything else."""
        if not isinstance(text, str):
            raise ValueError("not text")
        written = text.strip().lower()
        relative = _RELATIVE.match(written)
        if relative:
            sign, count, unit = relative.groups()
            if sign is None:
                return cls()
            if int(count) > MAX_OFFSET[unit]:
                raise ValueError("offset too large")
            return cls(sign=1 if sign == "+" else -1, count=int(count), unit=unit)
        solar = _SOLAR_DAY.match(written)
        if solar:
            return cls(fixed=solar_hijri_date(*(int(part) for part in solar.groups())))
        raise ValueError("neither a Solar Hijri day nor today±N")

    def on(self, today: datetime.date) -> datetime.date:
        """The bound's date when the form is filled on `today`, kept within the platform's range."""
        if self.fixed is not None:
            return self.fixed
        value = _shift(today, self.sign * self.count, self.unit)
        return min(max(value, EARLIEST_DATE), LATEST_DATE)


def _shift(day: datetime.date, count: int, unit: str) -> datetime.date:
    """`day` moved by `count` years, months or days; a day the month lacks (29 February in a
    common year, 31 April) becomes that month's last day."""
    if unit == "d":
        try:
            return day + datetime.timedelta(days=count)
        except OverflowError:
            return EARLIEST_DATE if count < 0 else LATEST_DATE
    months = count * (12 if unit == "y" else 1)
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    year = min(max(year, EARLIEST_DATE.year - 1), LATEST_DATE.year + 1)
    month += 1
    for last in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")
