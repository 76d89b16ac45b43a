"""`{% load complaints %}`: "Complain about this" links and a file's complaints, for the pages of
apps below this one (an application's page, a centre's page), which import nothing of it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from .. import selectors, workflow

register = template.Library()


@register.inclusion_tag("complaints/_complain_link.html")
def complain_link(*, application: Any = None, service: Any = None, center: Any = None) -> dict[str, Any]:
    """A link to the complaint form, filled in with what the page is about."""
    query: dict[str, str] = {}
    if application is not None:
        query["application"] = str(application.public_id)
    elif service is not None:
        query["service"] = service.slug
    elif center is not None:
        query["center"] = center.slug
    return {"url": reverse("complaints:new") + (f"?{urlencode(query)}" if query else "")}


@register.inclusion_tag("complaints/_file_complaints.html")
def file_complaints(application: Any, side: str = "citizen") -> dict[str, Any]:
    """The complaints about a file and their history: on the citizen's file page (their own
    steps) and the officer's (with the escalations). Staff of the agency see only complaints
    their agency answers for; one about a member of staff is left to the supervisors' pages."""
    if application is None or getattr(application, "pk", None) is None:
        return {"complaints": []}
    staff = side == "office"
    rows = []
    for complaint in selectors.complaints_about_application(application_id=application.pk):
        if staff and complaint.about == complaint.About.STAFF:
            continue
        events = [(event, workflow.STEP_TEXT.get(event.step, event.step)) for event in complaint.events.all()
                  if staff or not event.internal]
        rows.append({"complaint": complaint, "state": workflow.STATE_TEXT[complaint.state], "history": events,
                     "url": reverse("complaints:staff_detail" if staff else "complaints:detail",
                                    args=[complaint.public_id])})
    return {"complaints": rows, "staff": staff}
