"""Figures as the public pages print them: withheld ones as "fewer than 5", shares as percentages,
digits in the reader's language (through core.formatting)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from khedmat.core.formatting import current_language, format_number, localize_digits

register = template.Library()


@register.filter
def figure(value: int | float | None) -> str:
    """A count, mean or duration; None (withheld: fewer than 5 cases) as words."""
    if value is None:
        return _("fewer than 5")
    return format_number(value)


@register.filter
def percent(value: float | None) -> str:
    """A share (0…1) as a whole percentage; None (withheld) as words."""
    if value is None:
        return _("fewer than 5")
    language = current_language()
    sign = "%" if language == "en" else "٪"
    return localize_digits(f"{round(value * 100)}", language) + sign
