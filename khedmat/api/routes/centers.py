"""Public: centres, their opening hours and their live queue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from khedmat.centers import selectors as center_selectors
from khedmat.centers.hours import center_closed

from ..problems import ApiProblem
from ..schemas import CenterOut, Problem, QueueOut
from ..throttles import PUBLIC

router = Router(tags=["centres (public)"], throttle=PUBLIC)


def _names(obj: Any, field: str) -> dict[str, str]:
    return {lang: getattr(obj, f"{field}_{lang}") for lang in ("en", "fa", "ps")}


def _center(center: Any) -> dict[str, Any]:
    return {
        "code": center.code, "slug": center.slug, "name": _names(center, "name"), "city": _names(center, "city"),
        "address": _names(center, "address"), "opens_at": center.opens_at.strftime("%H:%M"),
        "closes_at": center.closes_at.strftime("%H:%M"), "open_weekdays": sorted(center.open_weekdays or []),
        "open_on_holidays": center.open_on_holidays, "open_now": center_closed(center=center) is None,
    }


def _get(slug: str) -> Any:
    center = center_selectors.center_by_slug(slug=slug[:60])
    if center is None or not center.is_active:
        raise ApiProblem(404, "not_found", "No open centre has this slug.")
    return center


@router.get("", response=list[CenterOut], summary="Service centres and their hours")
def centers(request: HttpRequest) -> list[dict[str, Any]]:
    return [_center(center) for center in center_selectors.center_list()]


@router.get("/{slug}", response={200: CenterOut, 404: Problem}, summary="One centre")
def center(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _center(_get(slug))


@router.get("/{slug}/queue", response={200: QueueOut, 404: Problem}, summary="People waiting now, per service")
def queue(request: HttpRequest, slug: str) -> dict[str, Any]:
    found = _get(slug)
    groups = center_selectors.live_services(center=found)
    return {"center": found.code, "open_now": center_closed(center=found) is None,
            "waiting": sum(group.waiting for group in groups),
            "groups": [{"service": group.service.code, "waiting": group.waiting,
                        "longest_wait_minutes": group.longest_wait_minutes} for group in groups]}
