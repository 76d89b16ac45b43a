"""Form fields of our own: the one Solar Hijri date input of the platform.

Every date a person types (the dashboard's day, the CSV's range) goes through
SolarHijriDateField: a plain text input, no JavaScript and no browser date picker (those
speak Gregorian only), showing the day as the reader's language writes it ("۱۴۰۵/۰۹/۱۲"),
and reading it back with core.parsing.parse_typed_day. See
docs/decisions/0020-solar-hijri-date-inputs.md.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EMPTY_VALUES
from django.utils import timezone
from django.utils.translation import gettext as _

from .calendar import EARLIEST_DATE, LATEST_DATE, MONTHS, from_solar_hijri
from .formatting import (
    current_language,
    format_date,
    format_date_input,
    format_number,
    localize_digits,
    western_digits,
)
from .parsing import NotADay, parse_typed_day

# Longer than anything a day is written as: the rest is not read.
MAX_LENGTH = 40


class SolarHijriDateInput(forms.TextInput):
    """A text input showing a day as "۱۴۰۵/۰۹/۱۲" (Western digits in English), with today as
    its example; what was typed comes back as typed when it could not be read."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"dir": "ltr", "autocomplete": "off", "maxlength": str(MAX_LENGTH), "size": "12",
                    "class": "date-typed"}
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime.date):
            return format_date_input(value)
        return super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        attrs = dict(attrs or {})
        attrs.setdefault("placeholder", format_date_input(timezone.localdate()))
        if attrs.get("id"):  # the hint ("12 Qaws 1405 (2026-12-03)") and the refusal, where the page has them
            attrs.setdefault("aria-describedby", f"{attrs['id']}_hint {attrs['id']}_error")
        return super().get_context(name, value, attrs)


def _days_in_month(year: int, month: int) -> int:
    for last in (31, 30, 29):
        try:
            from_solar_hijri(year, month, last)
        except ValueError:
            continue
        return last
    raise AssertionError("unreachable: every Solar Hijri month has 29 days")


class SolarHijriDateField(forms.Field):
    """A day typed in the Solar Hijri calendar (year/month/day, Eastern or Western digits,
    "/" or "-"), as a datetime.date between `earliest` and `latest` (the platform's range at
    most). A refusal says what was wrong in the reader's language."""

    widget = SolarHijriDateInput

    def __init__(self, *, earliest: datetime.date | None = None, latest: datetime.date | None = None,
                 **kwargs: Any) -> None:
        self.earliest = max(earliest or EARLIEST_DATE, EARLIEST_DATE)
        self.latest = min(latest or LATEST_DATE, LATEST_DATE)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if value in EMPTY_VALUES or not str(value).strip():
            return None
        try:
            return parse_typed_day(value, earliest=self.earliest, latest=self.latest)
        except NotADay as refusal:
            raise ValidationError(self._message(str(value), refusal.code), code=refusal.code) from None

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")

    def _message(self, typed: str, code: str) -> str:
        example = format_date_input(timezone.localdate())
        if code == "range":
            return _("Enter a day from %(earliest)s to %(latest)s.") % {
                "earliest": format_date(self.earliest), "latest": format_date(self.latest)}
        if code == "no_such_day":
            parts = western_digits(typed.strip()).replace("-", "/").split("/")
            year, month = int(parts[0]), int(parts[1])
            if year < 1700 and 1 <= month <= 12:
                return _("There is no such day: %(month)s %(year)s has %(days)s days.") % {
                    "month": MONTHS.get(current_language(), MONTHS["en"])[month - 1],
                    "year": localize_digits(str(year)),
                    "days": format_number(_days_in_month(year, month))}
            return _("There is no such day: the month is a number from 1 to 12, and the day must be in "
                     "that month.")
        if code == "calendar":
            return _("Enter the year in the Solar Hijri calendar, for example %(example)s.") % {"example": example}
        return _("Enter the day as year/month/day in the Solar Hijri calendar, for example %(example)s.") % {
            "example": example}
