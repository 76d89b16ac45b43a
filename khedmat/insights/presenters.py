"""What a performance page shows, put together from the figures: months named in the reader's
language, the charts drawn, the index computed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _

from khedmat.core.formatting import current_language, format_number, localize_digits

from .charts import bar_chart
from .figures import Figures, ServiceIndex, service_index
from .selectors import Month
from .templatetags.insights import percent


@dataclass(frozen=True)
class MonthRow:
    label: str
    figures: Figures


@dataclass(frozen=True)
class Breakdown:
    name: str
    url: str
    figures: Figures
    index: ServiceIndex


def month_label(month: Month) -> str:
    language = current_language()
    return localize_digits(f"{month.name(language)} {month.year}", language)


def period_text(period: list[Month]) -> str:
    return _("%(first)s to %(last)s") % {"first": month_label(period[0]), "last": month_label(period[-1])}


def _short(value: int | float | None) -> str:
    return "–" if value is None else format_number(value)


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString


def charts(by_month: list[tuple[Month, Figures]], period: list[Month]) -> list[Chart]:
    """Three charts: files received, share decided in time, median wait (a month each)."""
    language, rtl = current_language(), get_language_bidi()
    labels = [month.name(language) for month, _figures in by_month]
    span = period_text(period)
    received = [figures.received for _month, figures in by_month]
    in_time = [figures.in_time_share for _month, figures in by_month]
    waits = [figures.wait_minutes_median for _month, figures in by_month]
    note = _("Months with fewer than 5 cases have no bar; the table gives every figure.")
    titles = (_("Applications received each month"), _("Share of decisions made within the time standard"),
              _("Median wait at the centers (minutes)"))
    return [
        Chart(titles[0], bar_chart(chart_id="chart-received", title=titles[0], description=f"{span}. {note}",
                                   labels=labels, values=received,
                                   value_texts=[_short(value) for value in received], rtl=rtl)),
        Chart(titles[1], bar_chart(chart_id="chart-in-time", title=titles[1], description=f"{span}. {note}",
                                   labels=labels, values=in_time, maximum=1.0, rtl=rtl,
                                   value_texts=["–" if value is None else percent(value) for value in in_time])),
        Chart(titles[2], bar_chart(chart_id="chart-wait", title=titles[2], description=f"{span}. {note}",
                                   labels=labels, values=waits,
                                   value_texts=[_short(value) for value in waits], rtl=rtl)),
    ]


def month_rows(by_month: list[tuple[Month, Figures]]) -> list[MonthRow]:
    return [MonthRow(label=month_label(month), figures=figures) for month, figures in by_month]


def breakdown(named: dict[int, Any], figures: dict[int | None, Figures], url_of: Any) -> list[Breakdown]:
    """A row per named thing that has figures, in the order of `named`."""
    return [Breakdown(name=thing.name, url=url_of(thing), figures=figures[pk], index=service_index(figures[pk]))
            for pk, thing in named.items() if pk in figures and figures[pk].has_cases]


def summed_months(by_month: list[tuple[Month, Figures]]) -> Figures:
    """The period's total from its months (no second statement)."""
    total: dict[str, int] = {}
    for _month, figures in by_month:
        for name, value in figures.counts.items():
            total[name] = total.get(name, 0) + value
    return Figures(total)
