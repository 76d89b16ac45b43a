"""The center manager's forms on the low ratings page: which days to list, and a follow-up."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from khedmat.core.formatting import format_number
from khedmat.core.forms import SolarHijriDateField

from .models import RatingFollowUp
from .services import NOTE_MAX_LENGTH

# The list opens on the last month; at most a year is listed at once.
DEFAULT_DAYS = 30
MAX_DAYS = 366


class LowRatingsFilter(forms.Form):
    """?start=&end= (Solar Hijri, as typed) and ?open=1 (only those nobody followed up yet)."""

    start = SolarHijriDateField(label=pgettext_lazy("date range", "From"), required=False)
    end = SolarHijriDateField(label=pgettext_lazy("date range", "To"), required=False)
    open = forms.BooleanField(label=_("Only those not followed up yet"), required=False)

    def __init__(self, *args: Any, today: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        for name in ("start", "end"):
            field = self.fields[name]
            assert isinstance(field, SolarHijriDateField)
            field.latest = self.today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        end = cleaned.get("end") or self.today
        start = cleaned.get("start") or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if end < start:
            raise forms.ValidationError(gettext("The last day comes before the first: swap them."), code="reversed")
        days = (end - start).days + 1
        if days > MAX_DAYS:
            raise forms.ValidationError(ngettext(
                "Choose at most %(max)s days: this range has %(count)s day.",
                "Choose at most %(max)s days: this range has %(count)s days.", days) % {
                "max": format_number(MAX_DAYS), "count": format_number(days)}, code="too_long")
        cleaned.update(start=start, end=end)
        return cleaned

    def span(self) -> tuple[datetime.date, datetime.date]:
        """The days to list: those asked for, or the last DEFAULT_DAYS when none (or refused)."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.today - datetime.timedelta(days=DEFAULT_DAYS - 1), self.today


class FollowUpForm(forms.Form):
    method = forms.ChoiceField(label=_("How did you follow it up?"), choices=RatingFollowUp.Method.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": _("Choose how you followed up."),
                                               "invalid_choice": _("Choose how you followed up.")})
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("What was said or done, e.g. the citizen was called back and helped."))
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
