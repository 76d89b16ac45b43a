"""`{% load handover %}{% collection_box application %}`: where a service that hands
something over (a passport) is to be collected, on the citizen's and the officer's file."""

from __future__ import annotations

from typing import Any

from django import template

from khedmat.centers.hours import center_hours_text
from khedmat.core.i18n import pick

from ..handover import collection_center

register = template.Library()


@register.inclusion_tag("applications/_collection_box.html")
def collection_box(application: Any, reader: str = "citizen") -> dict[str, Any]:
    """`reader` "office" words it for the officer who hands it over."""
    if application is None or getattr(application, "is_draft", True):
        return {"center": None}
    center = collection_center(application)
    if center is None:
        return {"center": None}
    handover = application.service_version.definition["handover"]
    return {"center": center, "what": pick(handover["what"], None), "hours": center_hours_text(center),
            "office": reader == "office", "ready": application.state == handover["ready_state"],
            "collected": application.state == handover["collected_state"]}
