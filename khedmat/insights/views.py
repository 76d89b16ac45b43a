"""The public performance pages: thin views over the pre-aggregated figures (selectors.py).

A page's body is the same for every visitor in a language, so it is rendered without the
request and kept until the figures or the catalog change (kept.py); the view draws the shell.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors

from . import presenters, selectors
from .figures import INDEX_CRITERIA, MIN_CASES, service_index
from .kept import kept


def _url(name: str) -> Any:
    return lambda thing: reverse(f"insights:{name}", kwargs={"slug": thing.slug})


def _page(request: HttpRequest, kind: str, slug: str, body: Any) -> HttpResponse:
    """The kept (title, body) of a page, or a 404 (kept too: a wrong slug costs no query twice)."""
    period = selectors.current_period()
    found = kept(kind, get_language(), slug, period[-1].key, render=lambda: body(period) or ())
    if not found:
        raise Http404
    title, html = found
    return render(request, "insights/page.html", {"title": title, "body": mark_safe(html)})  # noqa: S308 - ours


def _detail_body(period: list[selectors.Month], *, kind: str, title: str, where: dict[str, int],
                 breakdown_key: str, named: dict[int, Any], breakdown_url: Any, **extra: Any) -> tuple[str, str]:
    by_month = selectors.figures_by_month(period=period, **where)
    total = presenters.summed_months(by_month)
    return _("Performance: %(name)s") % {"name": title}, render_to_string("insights/_detail_body.html", {
        "kind": kind, "title": title, "period_text": presenters.period_text(period),
        "total": total, "index": service_index(total), "months": presenters.month_rows(by_month),
        "charts": presenters.charts(by_month, period),
        "breakdown": presenters.breakdown(named, selectors.figures_by(period=period, key=breakdown_key, **where),
                                          breakdown_url),
        "criteria": INDEX_CRITERIA, "min_cases": MIN_CASES, "built_at": selectors.last_built(), **extra,
    })


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    def body(period: list[selectors.Month]) -> tuple[str, str]:
        title = str(_("Public performance"))
        return title, render_to_string("insights/_index_body.html", {
            "period_text": presenters.period_text(period),
            "services": presenters.breakdown(selectors.services_named(),
                                             selectors.figures_by(period=period, key="service_id"), _url("service")),
            "agencies": presenters.breakdown(selectors.agencies_named(),
                                             selectors.figures_by(period=period, key="agency_id"), _url("agency")),
            "centers": presenters.breakdown(selectors.centers_named(),
                                            selectors.figures_by(period=period, key="center_id"), _url("center")),
            "criteria": INDEX_CRITERIA, "min_cases": MIN_CASES, "built_at": selectors.last_built(),
        })
    return _page(request, "index", "", body)


@require_GET
def service(request: HttpRequest, slug: str) -> HttpResponse:
    def body(period: list[selectors.Month]) -> tuple[str, str] | None:
        found = catalog_selectors.service_get(slug=slug)
        if found is None:
            return None
        return _detail_body(period, kind="service", title=found.name, where={"service_id": found.pk},
                            breakdown_key="center_id", named=selectors.centers_named(), breakdown_url=_url("center"),
                            service=found, version=found.current_version)
    return _page(request, "service", slug, body)


@require_GET
def agency(request: HttpRequest, slug: str) -> HttpResponse:
    def body(period: list[selectors.Month]) -> tuple[str, str] | None:
        found = catalog_selectors.agency_get(slug=slug)
        if found is None:
            return None
        return _detail_body(period, kind="agency", title=found.name, where={"agency_id": found.pk},
                            breakdown_key="service_id", named=selectors.services_named(),
                            breakdown_url=_url("service"), agency=found)
    return _page(request, "agency", slug, body)


@require_GET
def center(request: HttpRequest, slug: str) -> HttpResponse:
    def body(period: list[selectors.Month]) -> tuple[str, str] | None:
        found = center_selectors.center_by_slug(slug=slug)
        if found is None or not found.is_active:
            return None
        return _detail_body(period, kind="center", title=found.name, where={"center_id": found.pk},
                            breakdown_key="service_id", named=selectors.services_named(),
                            breakdown_url=_url("service"), center=found)
    return _page(request, "center", slug, body)
