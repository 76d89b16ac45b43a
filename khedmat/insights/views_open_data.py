"""The open data at stable URLs under /open-data/ (no language prefix: the files are data)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from khedmat.core.calendar import from_solar_hijri, in_range

from . import opendata, selectors
from .services import month_key

CACHE_CONTROL = "public, max-age=3600"


def _csv(name: str, fields: Iterable[opendata.Field], records: Iterable[dict[str, Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(opendata.csv_lines(fields, records), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _day(text: str) -> datetime.date:
    """A day from the URL (YYYY-MM-DD), built, or a 404."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise Http404 from None
    if len(text) != 10 or not text.isascii() or not in_range(day) or not selectors.figure_days(first=day, last=day):
        raise Http404
    return day


def _month(text: str) -> int:
    """A Solar Hijri month from the URL (YYYY-MM), with figures, or a 404."""
    if len(text) != 7 or not text.isascii() or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        raise Http404
    year, month = int(text[:4]), int(text[5:])
    try:
        first = from_solar_hijri(year, month, 1)
    except ValueError:
        raise Http404 from None
    if not in_range(first):
        raise Http404
    key = year * 100 + month
    if key not in selectors.months_built():
        raise Http404
    return key


def _daily_records(first: datetime.date, last: datetime.date) -> Iterator[dict[str, Any]]:
    return (opendata.daily_record(row) for row in selectors.daily_rows(first=first, last=last))


def _monthly_records(first: int | None = None, last: int | None = None) -> Iterator[dict[str, Any]]:
    return (opendata.monthly_record(row) for row in selectors.monthly_rows(first=first, last=last))


@require_GET
def index(request: HttpRequest) -> JsonResponse:
    """The datasets, for programs: what each holds, its formats and URLs, schema and licence."""
    built = selectors.last_built()
    today = timezone.localdate()
    absolute = request.build_absolute_uri
    return _json({
        "title": "Asan Khedmat open data",
        "license": opendata.LICENSE,
        "updated": built.isoformat() if built else None,
        "suppression": "No figure computed from fewer than 5 cases is published: an empty CSV cell, null in JSON.",
        "datapackage": absolute(reverse("open_data:datapackage")),
        "datasets": [
            {"name": "services", "title": "Services", "formats": {"csv": absolute(reverse("open_data:services"))}},
            {"name": "centers", "title": "Service centers",
             "formats": {"csv": absolute(reverse("open_data:centers"))}},
            {"name": "daily-figures", "title": "Daily figures (last 31 days)",
             "formats": {"csv": absolute(reverse("open_data:daily_figures"))},
             "by_day": {"csv": absolute("/open-data/daily/{day}.csv"), "json": absolute("/open-data/daily/{day}.json"),
                        "example": (today - datetime.timedelta(days=1)).isoformat()}},
            {"name": "monthly-figures", "title": "Monthly figures (Solar Hijri months)",
             "formats": {"csv": absolute(reverse("open_data:monthly_figures"))},
             "by_month": {"csv": absolute("/open-data/monthly/{month}.csv"),
                          "json": absolute("/open-data/monthly/{month}.json"),
                          "months": [opendata.solar_month_text(month) for month in selectors.months_built()]}},
        ],
    })


@require_GET
def datapackage(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(json.dumps(opendata.datapackage(updated=selectors.last_built()), ensure_ascii=False,
                                       indent=1), content_type="application/json")
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_GET
def services_csv(request: HttpRequest) -> StreamingHttpResponse:
    records = ({"slug": service.slug, "agency": service.agency.slug, "name_en": service.current_version.name_en,
                "name_fa": service.current_version.name_fa, "name_ps": service.current_version.name_ps,
                "fee_min_afn": service.current_version.fee_min_afn,
                "time_standard_days": service.current_version.time_standard_days}
               for service in selectors.services_named().values())
    return _csv("services.csv", opendata.SERVICE_FIELDS, records)


@require_GET
def centers_csv(request: HttpRequest) -> StreamingHttpResponse:
    records = ({"slug": center.slug, "name_en": center.name_en, "name_fa": center.name_fa,
                "name_ps": center.name_ps, "city_en": center.city_en} for center in selectors.centers_named().values())
    return _csv("centers.csv", opendata.CENTER_FIELDS, records)


@require_GET
def daily_figures_csv(request: HttpRequest) -> StreamingHttpResponse:
    last = timezone.localdate()
    first = last - datetime.timedelta(days=opendata.DAILY_DAYS - 1)
    return _csv("daily-figures.csv", opendata.DAILY_FIELDS, _daily_records(first, last))


@require_GET
def monthly_figures_csv(request: HttpRequest) -> StreamingHttpResponse:
    return _csv("monthly-figures.csv", opendata.MONTHLY_FIELDS, _monthly_records())


@require_GET
def day_csv(request: HttpRequest, day: str) -> StreamingHttpResponse:
    found = _day(day)
    return _csv(f"{found.isoformat()}.csv", opendata.DAILY_FIELDS, _daily_records(found, found))


@require_GET
def day_json(request: HttpRequest, day: str) -> JsonResponse:
    found = _day(day)
    return _json({"day": found.isoformat(), "solar_hijri_month": opendata.solar_month_text(month_key(found)),
                  "license": opendata.LICENSE["name"], "schema": request.build_absolute_uri(
                      reverse("open_data:datapackage")) + "#daily-figures",
                  "rows": list(_daily_records(found, found))})


@require_GET
def month_csv(request: HttpRequest, month: str) -> StreamingHttpResponse:
    key = _month(month)
    return _csv(f"{month}.csv", opendata.MONTHLY_FIELDS, _monthly_records(key, key))


@require_GET
def month_json(request: HttpRequest, month: str) -> JsonResponse:
    key = _month(month)
    return _json({"solar_hijri_month": month, "license": opendata.LICENSE["name"],
                  "schema": request.build_absolute_uri(reverse("open_data:datapackage")) + "#monthly-figures",
                  "rows": list(_monthly_records(key, key))})
