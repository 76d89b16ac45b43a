"""The public performance pages: thin views over the pre-aggregated figures (selectors.py)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors

from . import presenters, selectors
from .figures import INDEX_CRITERIA, MIN_CASES, service_index


def _url(name: str) -> Any:
    return lambda thing: reverse(f"insights:{name}", kwargs={"slug": thing.slug})


def _detail(request: HttpRequest, *, kind: str, title: str, where: dict[str, int],
            breakdown_key: str, named: dict[int, Any], breakdown_url: Any, **extra: Any) -> HttpResponse:
    period = selectors.current_period()
    by_month = selectors.figures_by_month(period=period, **where)
    total = presenters.summed_months(by_month)
    return render(request, "insights/detail.html", {
        "kind": kind, "title": title, "period_text": presenters.period_text(period),
        "total": total, "index": service_index(total), "months": presenters.month_rows(by_month),
        "charts": presenters.charts(by_month, period),
        "breakdown": presenters.breakdown(named, selectors.figures_by(period=period, key=breakdown_key, **where),
                                          breakdown_url),
        "criteria": INDEX_CRITERIA, "min_cases": MIN_CASES, "built_at": selectors.last_built(), **extra,
    })


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    period = selectors.current_period()
    services = selectors.services_named()
    agencies = selectors.agencies_named()
    centers = selectors.centers_named()
    return render(request, "insights/index.html", {
        "period_text": presenters.period_text(period),
        "services": presenters.breakdown(services, selectors.figures_by(period=period, key="service_id"),
                                         _url("service")),
        "agencies": presenters.breakdown(agencies, selectors.figures_by(period=period, key="agency_id"),
                                         _url("agency")),
        "centers": presenters.breakdown(centers, selectors.figures_by(period=period, key="center_id"),
                                        _url("center")),
        "criteria": INDEX_CRITERIA, "min_cases": MIN_CASES, "built_at": selectors.last_built(),
    })


@require_GET
def service(request: HttpRequest, slug: str) -> HttpResponse:
    found = catalog_selectors.service_get(slug=slug)
    if found is None:
        raise Http404
    return _detail(request, kind="service", title=found.name, where={"service_id": found.pk},
                   breakdown_key="center_id", named=selectors.centers_named(), breakdown_url=_url("center"),
                   service=found, version=found.current_version)


@require_GET
def agency(request: HttpRequest, slug: str) -> HttpResponse:
    found = catalog_selectors.agency_get(slug=slug)
    if found is None:
        raise Http404
    return _detail(request, kind="agency", title=found.name, where={"agency_id": found.pk},
                   breakdown_key="service_id", named=selectors.services_named(), breakdown_url=_url("service"),
                   agency=found)


@require_GET
def center(request: HttpRequest, slug: str) -> HttpResponse:
    found = center_selectors.center_by_slug(slug=slug)
    if found is None or not found.is_active:
        raise Http404
    return _detail(request, kind="center", title=found.name, where={"center_id": found.pk},
                   breakdown_key="service_id", named=selectors.services_named(), breakdown_url=_url("service"),
                   center=found)
