"""`{% issued_document_panel application "citizen" %}` (or "office"): the issued document on a file's page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from khedmat.applications.forms import partial_form
from khedmat.core.formatting import current_language

from ..selectors import document_for_application, documents_for_application
from ..services import document_definition, may_reissue

if TYPE_CHECKING:
    from khedmat.applications.models import Application

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def issued_document_panel(context: template.Context, application: Application, side: str = "citizen") -> dict[str, Any]:
    document = document_for_application(application) if application.pk and not application.is_draft else None
    revocation = getattr(document, "revocation", None) if document is not None else None
    earlier = [d for d in documents_for_application(application) if d != document] if document is not None else []
    reissue_form = None
    request = context.get("request")
    user = getattr(request, "user", None)
    if side == "office" and document is not None and user is not None and may_reissue(user, application):
        block = document_definition(application) or {}
        printed = [block.get("holder_field", ""), *[entry["field"] for entry in block.get("fields", [])]]
        reissue_form = partial_form(application.service_version.definition, printed, language=current_language(),
                                    data=application.data)
    return {
        "document": document,
        "revocation": revocation,
        "earlier": earlier,
        "reissue_form": reissue_form,
        "side": side,
        "csrf_token": context.get("csrf_token"),
    }
