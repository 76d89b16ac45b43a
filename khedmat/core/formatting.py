"""The one place that turns dates, numbers and amounts into text for people.

Dari and Pashto get Eastern Arabic-Indic digits (۰–۹) with their own separators, and
Solar Hijri dates with Afghan month names; English gets Western digits. Every template and
every message goes through these functions (templates via the `khedmat` template tags).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .calendar import to_solar_hijri
from .workdays import WEEKDAY_NAMES

_EASTERN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# What people type: Persian (۰–۹) and Arabic (٠–٩) digits, read as Western ones.
_WESTERN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_BABEL_LOCALES = {"en": "en", "fa": "fa_AF", "ps": "ps_AF"}


def current_language() -> str:
    """The active language reduced to one of ours: en, fa or ps."""
    language = (get_language() or "en").split("-")[0].lower()
    return language if language in _BABEL_LOCALES else "en"


def uses_eastern_digits(language: str | None = None) -> bool:
    return (language or current_language()) in ("fa", "ps")


def localize_digits(text: str, language: str | None = None) -> str:
    """Write the Western digits in `text` as the language writes them."""
    return text.translate(_EASTERN_DIGITS) if uses_eastern_digits(language) else text


def western_digits(text: str) -> str:
    """The digits a person typed (Western, Persian or Arabic-Indic) as Western digits: the
    one place input is read this way."""
    return text.translate(_WESTERN_DIGITS)


def format_code(code: str, language: str | None = None) -> str:
    """A code such as a ticket number ("P-042") inside running text: digits as the language
    writes them, and kept left to right in a Dari or Pashto sentence (a Unicode isolate),
    where the letter and the digits would otherwise swap places ("۰۴۲-P")."""
    if not uses_eastern_digits(language):
        return code
    return f"\u2066{localize_digits(code, language)}\u2069"


def isolate_ltr(text: str) -> str:
    """Plain text that must read left to right (a reference, a phone number, an address, a
    Latin name) inside a sentence of any direction: wrapped in a Unicode left-to-right isolate,
    so neither it nor the sentence's punctuation changes places. For HTML use the `ltr`
    template filter, which makes a `<bdi dir="ltr">`."""
    return f"\u2066{text}\u2069" if text else text


def isolate(text: str) -> str:
    """Plain text typed by someone (a name, a device's name) inside a sentence: wrapped in a
    first-strong isolate, so a Latin name in a Dari sentence keeps its own direction and the
    sentence its punctuation."""
    return f"\u2068{text}\u2069" if text else text


def _with_example(message: str, example: str) -> str:
    return str(message) % {"example": isolate_ltr(example)}


# A message with an example that reads left to right (a Tazkira or phone number, a reference):
# with_example(gettext_lazy("…, for example %(example)s."), "1400-0101-12345"), lazy like the message.
with_example: Callable[[Any, str], str] = lazy(_with_example, str)

TAZKIRA_EXAMPLE = "1400-0101-12345"
PHONE_EXAMPLE = "0700 123 456"
REFERENCE_EXAMPLE = "MOI-PSP-1405-000123"


def format_number(value: int | float | Decimal, language: str | None = None) -> str:
    return _format_number(value, language or current_language())


@functools.lru_cache(maxsize=4096, typed=True)
def _format_number(value: int | float | Decimal, language: str) -> str:
    # Babel builds the number's pattern on every call: a catalog page writes some fifty numbers
    # (fees, counts, days), and formatting them was a tenth of its time (docs/performance.md).
    # The same number in the same language is written the same way: formatted once per process.
    if language == "en":
        text = format_decimal(value, locale="en")
    else:
        text = format_decimal(value, locale=_BABEL_LOCALES[language], numbering_system="arabext")
    return localize_digits(text, language)


def format_amount(afghani: int, language: str | None = None) -> str:
    """An amount in afghani, e.g. "1,500 AFN" or "۱٬۵۰۰ افغانی"."""
    # Translators: %(amount)s is a formatted number of afghani, the Afghan currency.
    return _("%(amount)s AFN") % {"amount": format_number(afghani, language)}


def weekday_name(value: datetime.date, language: str | None = None) -> str:
    """The day of the week in the reader's language ("Saturday", "شنبه", "شنبه")."""
    with translation.override(language or current_language()):
        return str(WEEKDAY_NAMES[value.weekday()])


def format_date(value: datetime.date | datetime.datetime | None, *, with_gregorian: bool = False,
                with_weekday: bool = False, language: str | None = None) -> str:
    """A date in the Solar Hijri calendar ("7 Qaws 1405"), optionally with the Gregorian beside
    and the weekday before it ("Saturday 7 Qaws 1405": days people choose among)."""
    if value is None:
        return ""
    language = language or current_language()
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    solar = to_solar_hijri(value)
    text = localize_digits(f"{solar.day} {solar.month_name(language)} {solar.year}", language)
    if with_weekday:
        text = f"{weekday_name(value, language)} {text}"
    if with_gregorian:
        gregorian = value.date() if isinstance(value, datetime.datetime) else value
        # In right-to-left text "2026-11-28" would be reordered by the bidi algorithm
        # (hyphens do not join Arabic-Indic numbers); slashes do, so Dari and Pashto use them.
        gregorian_text = gregorian.strftime("%Y/%m/%d") if uses_eastern_digits(language) else gregorian.isoformat()
        text = f"{text} ({localize_digits(gregorian_text, language)})"
    return text


def format_date_input(value: datetime.date | None, language: str | None = None) -> str:
    """A day as a date input shows it and reads it back (core.parsing.parse_typed_day):
    Solar Hijri year/month/day, "۱۴۰۵/۰۹/۱۲" in Dari and Pashto, "1405/09/12" in English.
    Slashes keep the digits in one left-to-right run inside right-to-left text."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    solar = to_solar_hijri(value)
    return localize_digits(f"{solar.year:04d}/{solar.month:02d}/{solar.day:02d}", language)


def format_time(value: datetime.datetime | datetime.time, language: str | None = None) -> str:
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return localize_digits(value.strftime("%H:%M"), language)


def format_datetime(value: datetime.datetime | None, language: str | None = None, *,
                    with_weekday: bool = False) -> str:
    if value is None:
        return ""
    language = language or current_language()
    separator = "، " if uses_eastern_digits(language) else ", "
    day = format_date(value, language=language, with_weekday=with_weekday)
    return f"{day}{separator}{format_time(value, language)}"
