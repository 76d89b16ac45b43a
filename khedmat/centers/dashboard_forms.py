"""The manager dashboard's choices: the day it shows, and the days the CSV export covers.

Both are typed in the Solar Hijri calendar through the platform's one date input
(core.forms.SolarHijriDateField; docs/decisions/0020-solar-hijri-date-inputs.md).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from khedmat.core.formatting import format_number
from khedmat.core.forms import SolarHijriDateField

# The longest export: a year, leap day included. Longer ranges are refused, not cut short.
MAX_EXPORT_DAYS = 366


class DayForm(forms.Form):
    """?day= (Solar Hijri as typed, or a Gregorian YYYY-MM-DD from a link): today or earlier."""

    day = SolarHijriDateField(label=_("Day"), required=False)

    def __init__(self, *args: Any, today: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["day"]
        assert isinstance(field, SolarHijriDateField)
        field.latest = today or timezone.localdate()

    def chosen_day(self) -> datetime.date:
        """The day asked for; today when none (or one refused: the form then says why)."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("day"):
            day: datetime.date = self.cleaned_data["day"]
            return day
        field = self.fields["day"]
        assert isinstance(field, SolarHijriDateField)
        return field.latest


class RangeForm(forms.Form):
    """The CSV export's days: from `start` to `end`, both included, at most MAX_EXPORT_DAYS."""

    start = SolarHijriDateField(label=pgettext_lazy("date range", "From"),
                                error_messages={"required": _("Enter the first day.")})
    end = SolarHijriDateField(label=pgettext_lazy("date range", "To"),
                              error_messages={"required": _("Enter the last day.")})

    def __init__(self, *args: Any, today: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            field = self.fields[name]
            assert isinstance(field, SolarHijriDateField)
            field.latest = today or timezone.localdate()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            return cleaned
        if end < start:
            raise forms.ValidationError(gettext("The last day comes before the first: swap them."), code="reversed")
        days = (end - start).days + 1
        if days > MAX_EXPORT_DAYS:
            raise forms.ValidationError(ngettext(
                "Choose at most %(max)s days: this range has %(count)s day.",
                "Choose at most %(max)s days: this range has %(count)s days.", days) % {
                "max": format_number(MAX_EXPORT_DAYS), "count": format_number(days)}, code="too_long")
        return cleaned

    def days(self) -> list[datetime.date]:
        """Every day of a valid range, first to last."""
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        return [start + datetime.timedelta(days=offset) for offset in range((end - start).days + 1)]
