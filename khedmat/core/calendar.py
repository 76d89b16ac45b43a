"""The Solar Hijri calendar as Afghanistan writes it.

jdatetime does the arithmetic; the month names are Afghanistan's own (Hamal … Hut in Dari,
Wray … Kab in Pashto), not the Iranian names jdatetime would print.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import jdatetime

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
