"""Reads of the API app: an agency's keys for its staff page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import ApiKey

if TYPE_CHECKING:
    from khedmat.catalog.models import Agency


def api_keys_of(*, agency: Agency) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(agency=agency).prefetch_related("services").order_by("-created_at")


def api_key_of_agency(*, agency: Agency, public_id: str) -> ApiKey | None:
    try:
        return ApiKey.objects.select_related("user").filter(agency=agency, public_id=public_id).first()
    except Exception:  # a malformed UUID
        return None
