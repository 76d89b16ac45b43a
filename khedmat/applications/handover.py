"""Services that hand something over at a center (a definition's `handover` block,
docs/service-definitions.md): the form's center field lists the active centers offering the
service, so the ordinary choice checks refuse any other code on the server, and the file
knows where its passport (or card) is to be collected."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from khedmat.catalog import fragments
from khedmat.catalog.definition import CENTER_WIDGET
from khedmat.centers import selectors as center_selectors

if TYPE_CHECKING:
    from khedmat.catalog.models import ServiceVersion
    from khedmat.centers.models import Center

    from .models import Application


def collection_centers(definition: dict[str, Any], *, service_id: int) -> list[Center]:
    handover = definition.get("handover")
    if not handover:
        return []
    return center_selectors.centers_for_handover(service_id=service_id, codes=handover.get("centers") or [])


def form_definition(definition: dict[str, Any], *, service_id: int) -> dict[str, Any]:
    """The definition as its form is shown and checked: the center field's choices are the
    centers where the service hands over today (codes, with their names in three languages).
    A definition without a handover comes back as it is."""
    handover = definition.get("handover")
    if not handover:
        return definition
    centers = collection_centers(definition, service_id=service_id)
    expanded = copy.deepcopy(definition)
    field = expanded["form"]["properties"][handover["field"]]
    if field.get("x-widget") == CENTER_WIDGET:
        field["enum"] = [center.code for center in centers]
        field["x-enum-titles"] = {center.code: {"en": center.name_en, "fa": center.name_fa, "ps": center.name_ps}
                                  for center in centers}
    return expanded


def version_form_definition(version: ServiceVersion) -> dict[str, Any]:
    """`form_definition` of a published version, kept under the catalog version: a centre
    opening, closing or no longer offering the service gives the catalog a new version (the
    centres' models are watched), so the choices offered and accepted are never older than the
    last committed change, and the centres are not read again on every page and post.
    The value comes out of the shared cache as a copy of its own: callers may not share it."""
    definition = version.definition
    if not definition.get("handover"):
        return definition
    return fragments.cached("apply-definition", version.pk,
                            render=lambda: form_definition(definition, service_id=version.service_id))


def collection_center(application: Application) -> Center | None:
    """The center the applicant picked to collect at, if the service hands something over."""
    handover = application.service_version.definition.get("handover")
    if not handover:
        return None
    return center_selectors.center_by_code(code=str((application.data or {}).get(handover["field"]) or ""))
