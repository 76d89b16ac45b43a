"""Public: the service catalog (agencies, services with their current definition)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from khedmat.catalog import fragments
from khedmat.catalog import selectors as catalog_selectors
from khedmat.catalog.definition import fee_range
from khedmat.centers import selectors as center_selectors

from ..problems import ApiProblem
from ..schemas import AgencyOut, Problem, ServiceDetailOut, ServiceOut
from ..throttles import PUBLIC

router = Router(tags=["catalog (public)"], throttle=PUBLIC)


def _names(obj: Any, field: str = "name") -> dict[str, str]:
    return {lang: getattr(obj, f"{field}_{lang}") for lang in ("en", "fa", "ps")}


def _service(service: Any, centers: list[Any], *, with_definition: bool = False) -> dict[str, Any]:
    version = service.current_version
    definition = version.definition
    low, high = fee_range(definition)
    row = {
        "code": service.code, "slug": service.slug, "agency": service.agency.code, "name": _names(version),
        "version": version.number, "category": version.category.slug,
        "time_standard_days": version.time_standard_days, "fee_min_afn": low, "fee_max_afn": high,
        "fee_kind": definition["fee"]["kind"],
        "documents_required": list(definition.get("required_documents") or []),
        "channels": list(definition.get("channels") or []),
        "centers": [{"code": center.code, "slug": center.slug, "name": _names(center)} for center in centers],
    }
    if with_definition:
        row["definition"] = definition
    return row


def _json(value: Any) -> HttpResponse:
    return HttpResponse(value, content_type="application/json")


def _services_body() -> bytes:
    services = list(catalog_selectors.service_list())
    return json.dumps([_service(service, list(center_selectors.center_list(service=service)))
                       for service in services], ensure_ascii=False).encode()


@router.get("/agencies", response=list[AgencyOut], summary="Agencies")
def agencies(request: HttpRequest) -> HttpResponse:
    def render() -> bytes:
        return json.dumps([{"code": agency.code, "slug": agency.slug, "name": _names(agency),
                            "website": agency.website, "service_count": getattr(agency, "service_count", 0)}
                           for agency in catalog_selectors.agency_list()], ensure_ascii=False).encode()
    return _json(fragments.cached("api.agencies", render=render))


@router.get("/services", response=list[ServiceOut], summary="Published services")
def services(request: HttpRequest) -> HttpResponse:
    """Every published service: fees, documents required, time standard, centres offering it.
    Kept in the cache under the catalog's version (a save of what it shows renews it)."""
    return _json(fragments.cached("api.services", render=_services_body))


@router.get("/services/{slug}", response={200: ServiceDetailOut, 404: Problem}, summary="One service")
def service(request: HttpRequest, slug: str) -> HttpResponse:
    found = catalog_selectors.service_get(slug=slug[:80])
    if found is None:
        raise ApiProblem(404, "not_found", "No published service has this slug.")
    return _json(json.dumps(_service(found, list(center_selectors.center_list(service=found)),
                                     with_definition=True), ensure_ascii=False))
