"""`{% issued_document_panel application "citizen" %}` (or "office"): the issued document on a file's page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from ..selectors import document_for_application

if TYPE_CHECKING:
    from khedmat.applications.models import Application

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def issued_document_panel(context: template.Context, application: Application, side: str = "citizen") -> dict[str, Any]:
    document = document_for_application(application) if application.pk and not application.is_draft else None
    revocation = getattr(document, "revocation", None) if document is not None else None
    return {
        "document": document,
        "revocation": revocation,
        "side": side,
        "csrf_token": context.get("csrf_token"),
    }
