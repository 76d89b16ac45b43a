"""Reads for the assisted channel: what an operator's center offers in person, their own drafts."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from khedmat.centers import selectors as center_selectors

from ..models import Application, Consent
from ..services.assisted import service_offered_in_person

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.catalog.models import Service


def assisted_services(*, operator: User) -> list[Service]:
    """The services the operator's center offers that may be filed in person, by name."""
    if operator.center_id is None:
        return []
    services = center_selectors.center_services_offered(center_id=operator.center_id)
    return sorted((service for service in services if service_offered_in_person(service)),
                  key=lambda service: (service.agency.name, service.name))


def assisted_draft_get(*, operator: User, public_id: uuid.UUID) -> Application | None:
    """A draft this operator started at their center, or None (never another's)."""
    if operator.center_id is None:
        return None
    return (
        Application.objects.select_related("service", "service_version", "applicant", "agency", "center")
        .filter(public_id=public_id, filed_by=operator, center_id=operator.center_id)
        .first()
    )


def assisted_recent(*, operator: User, limit: int = 10) -> QuerySet[Application]:
    """The operator's latest filings, newest first (the list on the start page)."""
    return (
        Application.objects.filter(filed_by=operator)
        .select_related("service_version", "applicant")
        .order_by("-created_at", "-id")[:limit]
    )


def consent_of(application: Application) -> Consent | None:
    """How the applicant consented to a file filed on their behalf, if it was."""
    return Consent.objects.filter(application=application).select_related("recorded_by").first()
