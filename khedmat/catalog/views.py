"""Public catalog pages: thin views over the selectors (and the sections other apps add, sections.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from . import fragments, sections, selectors
from .presenters import service_facts

MAX_QUERY_LENGTH = 100


def _body(template_name: str, context: dict[str, Any]) -> str:
    """A page's body for every visitor: rendered without the request, so nothing of theirs is in it."""
    return render_to_string(template_name, context)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    body = fragments.cached("home", get_language(), render=lambda: _body("catalog/_home_body.html", {
        "categories": selectors.category_list(),
        "agencies": selectors.agency_list(),
        "sections": sections.sections_for(sections.HOME),
    }))
    return render(request, "catalog/home.html", {"body": mark_safe(body)})  # noqa: S308 - rendered by us


def _service_list(request: HttpRequest, *, title: str = "", query: str = "", **context: Any) -> HttpResponse:
    body = _body("catalog/_service_list_body.html", {
        **context, "query": query, "services": selectors.service_list(query=query, **context),
        "categories": selectors.category_list(),
    })
    return render(request, "catalog/service_list.html", {"title": title, "query": query, "body": mark_safe(body)})  # noqa: S308


def _kept_list(request: HttpRequest, name: str, slug: str, find: Callable[[], Any]) -> HttpResponse:
    """A list of services kept in the cache (no search): its title and body, or a 404 kept too."""
    def render_list() -> tuple[str, str] | None:
        found = find()
        if found is None:
            return None
        context = {name: found} if name else {}
        body = _body("catalog/_service_list_body.html", {
            **context, "query": "", "services": selectors.service_list(**context),
            "categories": selectors.category_list(),
            "sections": sections.sections_for(sections.AGENCY, agency=found) if name == "agency" else [],
        })
        return (found.name if name else "", body)

    kept = fragments.cached("list", get_language(), name, slug, render=lambda: render_list() or ())
    if not kept:
        raise Http404
    title, body = kept
    return render(request, "catalog/service_list.html", {"title": title, "query": "", "body": mark_safe(body)})  # noqa: S308


@require_GET
def service_index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH].strip()
    if query:
        return _service_list(request, query=query)
    return _kept_list(request, "", "", find=lambda: True)


@require_GET
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _kept_list(request, "category", slug, find=lambda: selectors.category_get(slug=slug))


@require_GET
def agency_index(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/agency_list.html", {"agencies": selectors.agency_list()})


@require_GET
def agency_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _kept_list(request, "agency", slug, find=lambda: selectors.agency_get(slug=slug))


@require_GET
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    def render_page() -> tuple[str, str, str] | tuple[()]:
        service = selectors.service_get(slug=slug)
        if service is None:
            return ()
        version = service.current_version
        assert version is not None  # a published service has one (selectors._published_services)
        facts = service_facts(service)
        body = _body("catalog/_service_detail_body.html", {
            "service": service, "version": version, "facts": facts,
            "sections": sections.sections_for(sections.SERVICE, service=service),
        })
        return (version.name, facts.summary, body)

    kept = fragments.cached("service", get_language(), slug, render=render_page)
    if not kept:
        raise Http404
    title, description, body = kept
    return render(request, "catalog/service_detail.html", {
        "title": title, "description": description, "body": mark_safe(body),  # noqa: S308 - rendered by us
    })
