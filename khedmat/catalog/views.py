"""Public catalog pages: thin views over the selectors (and the sections other apps add, sections.py)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import sections, selectors
from .presenters import service_facts

MAX_QUERY_LENGTH = 100


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/home.html", {
        "categories": selectors.category_list(),
        "agencies": selectors.agency_list(),
        "sections": sections.sections_for(sections.HOME),
    })


@require_GET
def service_index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH].strip()
    return render(request, "catalog/service_list.html", {
        "services": selectors.service_list(query=query),
        "query": query,
        "categories": selectors.category_list(),
    })


@require_GET
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_get(slug=slug)
    if category is None:
        raise Http404
    return render(request, "catalog/service_list.html", {
        "services": selectors.service_list(category=category),
        "category": category,
        "categories": selectors.category_list(),
    })


@require_GET
def agency_index(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/agency_list.html", {"agencies": selectors.agency_list()})


@require_GET
def agency_detail(request: HttpRequest, slug: str) -> HttpResponse:
    agency = selectors.agency_get(slug=slug)
    if agency is None:
        raise Http404
    return render(request, "catalog/service_list.html", {
        "services": selectors.service_list(agency=agency),
        "agency": agency,
        "categories": selectors.category_list(),
    })


@require_GET
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = selectors.service_get(slug=slug)
    if service is None:
        raise Http404
    return render(request, "catalog/service_detail.html", {
        "service": service,
        "version": service.current_version,
        "facts": service_facts(service),
        "sections": sections.sections_for(sections.SERVICE, service=service),
    })
