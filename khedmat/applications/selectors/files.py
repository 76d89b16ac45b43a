"""A file by its key, as other apps (payments, documents) and commands read it."""

from __future__ import annotations

from ..models import Application


def application_get(*, pk: int) -> Application:
    """The file as it stands now, with its service, agency, version and applicant (one query)."""
    return Application.objects.select_related("service", "agency", "service_version", "applicant").get(pk=pk)
