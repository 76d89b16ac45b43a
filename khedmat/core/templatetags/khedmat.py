"""Template access to the formatting helpers: {{ value|sh_date }}, {{ day|sh_day }}, {{ n|number }}, {{ fee|afn }}."""

from __future__ import annotations

import datetime

from django import template
from django.urls import translate_url
from django.utils import timezone

from khedmat.core import formatting, workdays

register = template.Library()


@register.filter
def sh_date(value: datetime.date | None) -> str:
    return formatting.format_date(value)


@register.filter
def sh_date_both(value: datetime.date | None) -> str:
    return formatting.format_date(value, with_gregorian=True)


@register.filter
def sh_day(value: datetime.date | None) -> str:
    """A day to choose or keep: its weekday and Solar Hijri date ("Saturday 7 Qaws 1405")."""
    return formatting.format_date(value, with_weekday=True)


@register.filter
def sh_day_time(value: datetime.datetime | None) -> str:
    """An appointment's time: weekday, Solar Hijri date and time."""
    return formatting.format_datetime(value, with_weekday=True)


@register.filter
def sh_datetime(value: datetime.datetime | None) -> str:
    return formatting.format_datetime(value)


@register.filter
def time_local(value: datetime.time | datetime.datetime) -> str:
    return formatting.format_time(value)


@register.filter
def number(value: int | float) -> str:
    return formatting.format_number(value)


@register.filter
def afn(value: int) -> str:
    return formatting.format_amount(value)


@register.filter
def digits(value: object) -> str:
    return formatting.localize_digits(str(value))


@register.simple_tag
def working_week() -> str:
    """The working week in words, as configured (settings.WORKING_WEEKDAYS)."""
    return workdays.working_week_text()


@register.simple_tag
def today_sh() -> str:
    """Today's date in Solar Hijri with the Gregorian beside."""
    return formatting.format_date(timezone.localdate(), with_gregorian=True)


@register.simple_tag(takes_context=True)
def url_in_language(context: template.Context, language: str) -> str:
    """The current page's address in another language (for the language switcher)."""
    request = context["request"]
    return translate_url(request.get_full_path(), language)
