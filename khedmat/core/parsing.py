"""The one place that reads numbers people and machines type: digits of any script in, a
bounded integer or a clear refusal out.

`str.isdigit()` accepts "²", "①" and other characters `int()` refuses (or reads as huge
numbers), which turned a kiosk URL, a date field or a callback's timestamp into a server
error. Only the Western (0–9), Persian (۰–۹) and Arabic-Indic (٠–٩) digits count as digits
here; everything else is refused, never guessed at.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from .calendar import EARLIEST_DATE, LATEST_DATE, SOLAR_HIJRI_YEARS, solar_hijri_date
from .formatting import western_digits

_PLAIN_DIGITS = re.compile(r"[0-9]+")
# Longer than any number we accept: refused before int() has to read it.
MAX_DIGITS = 18


class NotANumber(ValueError):
    """The text is not a whole number within the bounds asked for."""


class NotADate(ValueError):
    """The text is not a day (YYYY-MM-DD) within the bounds asked for."""


def parse_int(raw: Any, *, minimum: int = 0, maximum: int = 10**MAX_DIGITS - 1, strip: str = "") -> int:
    """The whole number written in `raw` (digits of any of our scripts, surrounding spaces and
    the characters in `strip` ignored), or NotANumber if it is anything else or out of bounds."""
    text = western_digits(str(raw if raw is not None else "")).strip()
    if strip:
        text = text.translate({ord(character): None for character in strip})
    if len(text) > MAX_DIGITS or not _PLAIN_DIGITS.fullmatch(text):
        raise NotANumber(text[:40])
    value = int(text)
    if not minimum <= value <= maximum:
        raise NotANumber(text)
    return value


def parse_int_or_none(raw: Any, *, minimum: int = 0, maximum: int = 10**MAX_DIGITS - 1) -> int | None:
    """parse_int, or None when the text is not such a number (for optional query parameters)."""
    try:
        return parse_int(raw, minimum=minimum, maximum=maximum)
    except NotANumber:
        return None


def is_plain_number(raw: Any, *, minimum: int = 0, maximum: int = 10**MAX_DIGITS - 1) -> bool:
    return parse_int_or_none(raw, minimum=minimum, maximum=maximum) is not None


def digits_only(raw: Any) -> str:
    """The digits in `raw` (any of our scripts) as Western digits, everything else dropped:
    a phone number or a code as a key, however it was written."""
    return "".join(character for character in western_digits(str(raw or "")) if "0" <= character <= "9")


def digit_string(raw: Any, *, strip: str = " -", lengths: tuple[int, ...] = ()) -> str:
    """A code typed as digits (an SMS code, an appointment code) as Western digits, with spaces
    and dashes dropped, leading zeros kept; NotANumber for anything else or a wrong length."""
    text = western_digits(str(raw if raw is not None else "")).translate(
        {ord(character): None for character in strip + "\t\n\r"})
    if not _PLAIN_DIGITS.fullmatch(text) or len(text) > MAX_DIGITS or (lengths and len(text) not in lengths):
        raise NotANumber(text[:40])
    return text


_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_date(raw: Any, *, earliest: datetime.date = EARLIEST_DATE,
               latest: datetime.date = LATEST_DATE) -> datetime.date:
    """The Gregorian day written in `raw` as YYYY-MM-DD (digits of any of our scripts), or
    NotADate for anything else, a day that does not exist, or one outside [earliest, latest].

    The bounds never reach beyond core.calendar's range, so the day before and the day after
    an accepted date, and its Solar Hijri form, always exist."""
    text = western_digits(str(raw if raw is not None else "")).strip()
    match = _ISO_DAY.fullmatch(text)
    if match is None:
        raise NotADate(text[:40])
    try:
        value = datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise NotADate(text) from None
    if not max(earliest, EARLIEST_DATE) <= value <= min(latest, LATEST_DATE):
        raise NotADate(text)
    return value


def parse_date_or_none(raw: Any, *, earliest: datetime.date = EARLIEST_DATE,
                       latest: datetime.date = LATEST_DATE) -> datetime.date | None:
    """parse_date, or None when the text is not such a day (for optional query parameters)."""
    try:
        return parse_date(raw, earliest=earliest, latest=latest)
    except NotADate:
        return None


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def plain_text(raw: Any) -> str:
    """A line of text a person typed (a reason, a note's first line), as it can be stored and
    shown: control characters removed (NUL among them, which PostgreSQL refuses in any text),
    runs of white space made one space, the ends trimmed."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", str(raw if raw is not None else "")).split())


# --- a day as people type it: Solar Hijri ---------------------------------------------------------

# Year, month and day, separated by "/" or "-" (spaces around them forgiven); the year first.
_TYPED_DAY = re.compile(r"([0-9]{4})\s*[/-]\s*([0-9]{1,2})\s*[/-]\s*([0-9]{1,2})")
# A year from here on cannot be Solar Hijri (those stop at calendar.SOLAR_HIJRI_YEARS[1]):
# it is a Gregorian day, as links, bookmarks and machines write one (2026-12-03).
GREGORIAN_FROM_YEAR = 1700


class NotADay(NotADate):
    """A typed day refused, with why: `code` is "format" (not year/month/day), "calendar" (a
    year neither calendar reads), "no_such_day" (31 Mizan, 30 Hut of a common year) or
    "range" (outside [earliest, latest])."""

    def __init__(self, text: str, code: str) -> None:
        super().__init__(text)
        self.code = code


def parse_typed_day(raw: Any, *, earliest: datetime.date = EARLIEST_DATE,
                    latest: datetime.date = LATEST_DATE) -> datetime.date:
    """The day written in `raw` as a Solar Hijri year/month/day ("۱۴۰۵/۰۹/۱۲", "1405-9-12":
    digits of any of our scripts, "/" or "-"), or NotADay saying why not.

    A year of GREGORIAN_FROM_YEAR or later is read as a Gregorian day (the two calendars'
    years of the platform's range do not overlap, so this guesses nothing)."""
    text = western_digits(str(raw if raw is not None else "")).strip()
    match = _TYPED_DAY.fullmatch(text) if len(text) <= 40 else None
    if match is None:
        raise NotADay(text[:40], "format")
    year, month, day = (int(part) for part in match.groups())
    gregorian = year >= GREGORIAN_FROM_YEAR
    if not gregorian and not SOLAR_HIJRI_YEARS[0] <= year <= SOLAR_HIJRI_YEARS[1]:
        raise NotADay(text, "calendar")
    try:
        value = datetime.date(year, month, day) if gregorian else solar_hijri_date(year, month, day)
    except ValueError:
        raise NotADay(text, "no_such_day") from None
    if not max(earliest, EARLIEST_DATE) <= value <= min(latest, LATEST_DATE):
        raise NotADay(text, "range")
    return value
