"""What a service definition says about centers, checked when it is published (the catalog's
pure validation cannot see the centers: catalog.definition.register_publish_check)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from khedmat.catalog.definition import DefinitionError

from .models import Center


def handover_centers_exist(definition: dict[str, Any]) -> None:
    """Every center code under `handover.centers` is an active center's."""
    codes = (definition.get("handover") or {}).get("centers") or []
    if not codes:
        return
    known = set(Center.objects.filter(code__in=codes, is_active=True).values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        active = sorted(Center.objects.filter(is_active=True).values_list("code", flat=True))
        raise DefinitionError("handover.centers", _(
            "No active center has the code %(code)s. Active centers: %(known)s.") % {
                "code": unknown[0], "known": ", ".join(active) or "—"})
